"""Build the PTB `Application`: handlers in their groups, persistence, rate limiter, the
error handler, and its jobs (`start_jobs`: `bot.jobs`, which plans with `bot.planning` and
delivers with `bot.delivery`); and open what it stands on (settings → organisation →
database).

Datasette-style: this is the one place where the parts are wired together.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

from telegram import BotCommand, Update
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes, Defaults
from telegram.request import BaseRequest
from telegram.warnings import PTBUserWarning

from bot.clock import Clock, clock_starting_at
from bot.config import Settings
from bot.forms.loader import load_forms
from bot.jobs import schedule_jobs
from bot.locale.jalali import local_date
from bot.ops.jobs import schedule_operations
from bot.ops.monitor import InstrumentedApplication, Monitor
from bot.ops.network import messenger_requests
from bot.ordering import PerSenderUpdateProcessor
from bot.org import load_organisation
from bot.persistence import SqlitePersistence
from bot.ratelimit import RepliesFirstLimiter
from bot.services import Services
from handlers import (
    access,
    agency,
    dashboard,
    errors,
    forms,
    invite,
    people,
    privacy,
    referral_card,
    requests,
    start,
    submissions,
    supervisor,
    xlsforms,
)
from handlers.context import BotContext
from handlers.form_hooks import HOOKS_KEY, FormHooks
from handlers.menu import bot_commands
from storage import offices
from storage.db import Database
from storage.offices import OfficeSpec
from storage.people import ensure_admins

log = logging.getLogger("tashilyar")
# The forms conversation mixes typed answers and buttons on purpose (per_message=False).
warnings.filterwarnings("ignore", message="If 'per_message=False'", category=PTBUserWarning)

ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY]


async def open_services(settings: Settings, clock: Clock | None = None) -> Services:
    """Load the organisation file and the forms, open and migrate the database, sync offices
    and admins. Any broken file stops here, before the bot talks to anyone. `clock` is the
    time everything reads (default: the machine's, or CLOCK_START's)."""
    clock = clock or clock_starting_at(settings.clock_start)
    org = load_organisation(settings.org_file)
    tz = settings.timezone
    # the forms' `today()` reads this application's clock (bound in, no module-level hook)
    forms = load_forms(settings.forms_dir, today=lambda: local_date(clock.now(), tz))
    db = await Database.open(settings.database_path, clock=clock.now)
    try:
        await offices.sync_organisation(
            db,
            [(p.slug, p.name) for p in org.provinces],
            [OfficeSpec(o.slug, o.name, o.province, o.city,
                        tuple((h.slug, h.name) for h in o.neighbourhoods)) for o in org.offices],
        )
        await ensure_admins(db, settings.admin_ids)
    except BaseException:
        await db.close()
        raise
    return Services(settings=settings, db=db, org=org, forms=forms, clock=clock)


def build_application(
    services: Services, *, request: BaseRequest | None = None, rate_limit: bool = True
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The bot, ready for `initialize()`; `request` replaces HTTP (the in-process sandbox);
    `rate_limit=False` only for tests that send thousands of updates in process."""
    settings, db = services.settings, services.db
    builder: Any = (  # its generic type changes with each setting
        Application.builder()
        .token(settings.require_token())
        .base_url(settings.bot_api_url)
        .base_file_url(settings.bot_file_url)
        .defaults(Defaults(tzinfo=settings.timezone, do_quote=False))
        .context_types(ContextTypes(context=BotContext))
        .persistence(SqlitePersistence(lambda: db))
        .concurrent_updates(PerSenderUpdateProcessor())
    )
    # One limiter for every send of the bot: replies first, the outbox's bulk sends in what
    # they leave, 29 a second and 20 a minute per group, `retry_after` obeyed (bot/ratelimit).
    # Without `rate_limit` it only passes calls through (the outbox still marks its bulk).
    builder = builder.rate_limiter(RepliesFirstLimiter() if rate_limit
                                   else RepliesFirstLimiter(per_second=0))
    # Operations (bot/ops): every update counted, timed and de-duplicated; every call to the
    # messenger through PROXY_URL when set, its answer reported to the monitor.
    monitor = Monitor(services)
    calls, updates = (request, request) if request is not None else messenger_requests(
        settings, monitor)
    builder = builder.application_class(InstrumentedApplication).request(calls)
    if request is None and settings.uses_webhook:  # the web server (web/) takes the updates
        builder = builder.updater(None)
    application = builder.get_updates_request(updates).build()
    application.bot_data["services"] = services
    application.bot_data["monitor"] = monitor
    for group, gate in access.handlers():
        application.add_handler(gate, group=group)
    application.bot_data[HOOKS_KEY] = form_hooks(services)
    # /forget works mid-form too: before the conversation, which would take the command
    application.add_handlers(privacy.handlers())
    application.add_handler(forms.edit_handler())  # before the conversation: edits stop there
    application.add_handler(forms.conversation(services.forms))
    for module in (submissions, requests, supervisor, invite, people, agency, referral_card,
                   start):
        application.add_handlers(module.handlers())
    application.add_handlers(dashboard.handlers())  # the dashboard (issue 21)
    application.add_handlers(start.fallback_handlers())
    application.add_error_handler(errors.on_error)  # type: ignore[arg-type]
    return application


def form_hooks(services: Services) -> FormHooks:
    """What each feature adds to the forms conversation, joined in this order: where
    completed forms go, guards, receipts, what follows, notes, fallbacks outside a form."""
    return FormHooks.join(module.form_hooks(services)
                          for module in (submissions, requests, agency, xlsforms, privacy, start))


def start_jobs(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """The tick (digests, reminders, first-response checks, outbox delivery) and the
    operations' jobs (backups, the webhook check, the record of job runs)."""
    schedule_jobs(application)
    schedule_operations(application)


async def announce_commands(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Show everyone the resident's commands; staff get theirs per chat when they /start."""
    commands: list[BotCommand] = bot_commands("resident")
    try:
        await application.bot.set_my_commands(commands)
    except TelegramError as error:
        log.info("the messenger did not take the command list (%s)", type(error).__name__)
