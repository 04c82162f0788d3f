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
from telegram.ext import AIORateLimiter, Application, ContextTypes, Defaults
from telegram.request import BaseRequest
from telegram.warnings import PTBUserWarning

from bot.clock import SYSTEM_CLOCK, Clock
from bot.config import Settings
from bot.forms.model import load_forms
from bot.jobs import schedule_jobs
from bot.ordering import PerSenderUpdateProcessor
from bot.org import load_organisation
from bot.services import Services
from handlers import (
    access,
    errors,
    forms,
    invite,
    people,
    requests,
    start,
    submissions,
    supervisor,
)
from handlers.context import BotContext
from handlers.menu import bot_commands
from storage import offices
from storage.db import Database
from storage.offices import OfficeSpec
from storage.people import ensure_admins
from storage.persistence import SqlitePersistence

log = logging.getLogger("tashilyar")
# The forms conversation mixes typed answers and buttons on purpose (per_message=False).
warnings.filterwarnings("ignore", message="If 'per_message=False'", category=PTBUserWarning)

ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY]


async def open_services(settings: Settings, clock: Clock = SYSTEM_CLOCK) -> Services:
    """Load the organisation file and the forms, open and migrate the database, sync offices
    and admins. Any broken file stops here, before the bot talks to anyone. `clock` is the
    time everything reads (a test's clock may stand anywhere)."""
    org = load_organisation(settings.org_file)
    forms = load_forms(settings.forms_dir)
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


class _OneLineForRateLimits(logging.Filter):
    """PTB's limiter logs a traceback at ERROR when a rate limit outlasts its retries; the
    caller handles that (the outbox waits and retries, a reply gets the error handler), so
    a one-line warning says all there is to say."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info:
            error = record.exc_info[1]
            record.msg, record.args = f"{record.getMessage()}: {error}", None
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def quiet_rate_limit_tracebacks() -> None:
    """Install `_OneLineForRateLimits` on PTB's limiter logger (once)."""
    limiter_log = logging.getLogger("telegram.ext.AIORateLimiter")
    if not any(isinstance(f, _OneLineForRateLimits) for f in limiter_log.filters):
        limiter_log.addFilter(_OneLineForRateLimits())


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
    if rate_limit:
        # One message per 1/29 s, no bursts: never more than 30 in any second, as Telegram
        # asks; a RetryAfter is obeyed (slept) up to three times before it surfaces.
        quiet_rate_limit_tracebacks()
        builder = builder.rate_limiter(AIORateLimiter(
            overall_max_rate=1, overall_time_period=1 / 29, group_max_rate=20,
            group_time_period=60, max_retries=3))
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    application = builder.build()
    application.bot_data["services"] = services
    for group, gate in access.handlers():
        application.add_handler(gate, group=group)
    application.add_handler(forms.conversation(services.forms))
    for module in (submissions, requests, supervisor, invite, people, start):
        application.add_handlers(module.handlers())
    application.add_handlers(start.fallback_handlers())
    application.add_error_handler(errors.on_error)  # type: ignore[arg-type]
    return application


def start_jobs(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Outbox delivery, digests, reminders and first-response checks on the job queue."""
    schedule_jobs(application)


async def announce_commands(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Show everyone the resident's commands; staff get theirs per chat when they /start."""
    commands: list[BotCommand] = bot_commands("resident")
    try:
        await application.bot.set_my_commands(commands)
    except TelegramError as error:
        log.info("the messenger did not take the command list (%s)", type(error).__name__)
