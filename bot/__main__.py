"""The command line: `tashilyar run | check | status | invite | apikey | backup | restore |
export | audit | console | demo`.

`run` (the default) receives updates (polling, or a webhook with WEBHOOK_URL) until SIGINT
or SIGTERM, with the web server (webhook, /healthz, /metrics, dashboard) on WEB_PORT.
`status` prints the bot's health from its database; `restore` puts a backup back. `check`
validates the settings and the organisation file, migrates the database and asks the server
who the bot is. `invite` prints a one-time invite code (staff, or an agency's focal point);
`apikey` prints an agency's Open311 key or revokes one. `backup` copies the live database.
`console` lets a person chat with the bot in the terminal, with no token, through the fake
messenger.
Configuration problems are printed as one line naming what to fix, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from telegram import Bot
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import Application

from bot.clock import SYSTEM_CLOCK, Clock
from bot.config import ConfigError, Settings, load_settings
from bot.forms.model import FormDefinitionError
from bot.ops.logs import setup_logging
from bot.ops.network import messenger_requests, shown_proxy
from bot.org import OrgFileError
from storage.db import DatabaseTooNew

log = logging.getLogger("tashilyar")

EXIT_CONFIG = 2
EXIT_UNREACHABLE = 1


def polling_trouble(error: TelegramError) -> None:
    """The messenger is unreachable or failing: one line per failed poll, no traceback (PTB
    keeps retrying with a growing pause)."""
    log.warning("polling failed (%s); retrying", type(error).__name__)


async def _until_done(stop: asyncio.Event, what: str, action: Callable[[], Awaitable[Any]]
                      ) -> bool:
    """Run `action` until it succeeds, retrying every 5 s while the messenger is
    unreachable; False if a stop came first."""
    while not stop.is_set():
        try:
            await action()
            return True
        except InvalidToken:
            raise ConfigError("BOT_TOKEN", "the server rejected this token; copy it again "
                              "from BotFather") from None
        except NetworkError as error:
            log.warning("cannot reach the messenger to %s (%s); retrying in 5 s", what,
                        type(error).__name__)
            try:
                await asyncio.wait_for(stop.wait(), 5)
            except TimeoutError:
                pass
    return False


async def start_updates(application: Application[Any, Any, Any, Any, Any, Any],
                        settings: Settings, stop: asyncio.Event) -> bool:
    """Start receiving updates: with WEBHOOK_URL, set the webhook (the web server, already
    listening, puts what the messenger posts on the application's queue), else polling
    (which deletes any webhook)."""
    from bot.app import ALLOWED_UPDATES

    if not settings.uses_webhook:
        updater = application.updater
        assert updater is not None
        return await _until_done(stop, "start polling", lambda: updater.start_polling(
            poll_interval=settings.poll_interval, timeout=10, bootstrap_retries=0,
            allowed_updates=ALLOWED_UPDATES, error_callback=polling_trouble))
    if settings.is_bale:  # Bale's setWebhook takes only the URL; the secret is in its path
        options: dict[str, Any] = {}
    else:
        options = {"secret_token": settings.webhook_secret, "allowed_updates": ALLOWED_UPDATES,
                   "max_connections": 40}
    return await _until_done(stop, "set the webhook", lambda: application.bot.set_webhook(
        url=settings.webhook_target, **options))


async def run_bot(settings: Settings) -> None:
    """Receive updates (polling, or the webhook) until SIGINT/SIGTERM, then stop cleanly
    (finishing the update in hand)."""
    from bot.app import announce_commands, build_application, open_services, start_jobs
    from handlers.context import acknowledgements_sent
    from web.app import serve_web
    from web.server import WebServer

    settings.require_token()
    web: WebServer | None = None
    services = await open_services(settings)
    db = services.db
    application = build_application(services)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        if not await _until_done(stop, "start", application.initialize):
            return
        await announce_commands(application)
        web = await serve_web(application)  # listening before the webhook is set
        if not await start_updates(application, settings, stop):
            return
        start_jobs(application)
        await application.start()
        how = f"webhook on {settings.web_listen}:{settings.webhook_port}" if (
            settings.uses_webhook) else "polling"
        log.info("running as @%s on %s (%s)", application.bot.username, settings.messenger, how)
        await stop.wait()
        log.info("stopping")
        if web is not None:
            await web.stop()
            web = None
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        await application.stop()
    finally:
        if web is not None:
            await web.stop()
        if application.running:
            await application.stop()
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        await acknowledgements_sent()  # taps answered while the last updates were handled
        await application.shutdown()
        await db.close()
        log.info("stopped")


async def check(settings: Settings) -> int:
    """Validate everything and ask the server who the bot is; return the exit code."""
    from bot.app import open_services

    services = await open_services(settings)
    org = services.org
    hoods = sum(len(o.neighbourhoods) for o in org.offices)
    print(f"organisation: {org.name} — {len(org.offices)} offices, {hoods} neighbourhoods")
    print("forms: " + ", ".join(f"{f.name} v{f.version} ({len(f.questions)} questions)"
                                for f in services.forms.values()))
    try:
        version = await services.db.schema_version()
        print(f"database: {settings.database_path} (schema version {version})")
    finally:
        await services.db.close()
    token = settings.require_token()
    calls, _ = messenger_requests(settings)
    bot = Bot(token, base_url=settings.bot_api_url, base_file_url=settings.bot_file_url,
              request=calls)
    through = f" through the proxy {shown_proxy(settings.proxy_url)}" if (
        settings.proxy_url) else ""
    if through:
        print(f"proxy: {shown_proxy(settings.proxy_url or '')} (PROXY_URL)")
    try:
        async with bot:
            me = await bot.get_me()
    except InvalidToken:
        print(f"error: BOT_TOKEN was rejected by {settings.bot_api_url}; copy it again from "
              "BotFather", file=sys.stderr)
        return EXIT_UNREACHABLE
    except TelegramError as error:
        hint = "check PROXY_URL, the proxy and the network" if through else (
            "check the URL and the network")
        print(f"error: could not reach the messenger at BOT_API_URL={settings.bot_api_url}"
              f"{through} ({type(error).__name__}: {error}); {hint}", file=sys.stderr)
        return EXIT_UNREACHABLE
    if through:
        print(f"the API answered{through}")
    print(f"bot: @{me.username} ({me.first_name}), id {me.id}, on {settings.messenger}")
    if settings.uses_webhook:
        secret = settings.webhook_secret or ""
        print(f"updates: webhook {settings.webhook_target.replace(secret, '***')}, listening "
              f"on {settings.web_listen}:{settings.webhook_port}"
              f"{settings.webhook_path.replace(secret, '***')}")
    else:
        print("updates: polling")
    return 0


async def make_invite(settings: Settings, role: str, office: str | None,
                      province: str | None, days: int, agency: str | None = None) -> int:
    """Print a one-time invite code and, when the server can be asked, its deep link. An
    agency's focal point (role 'agency') is invited for an agency of the organisation file."""
    from bot.app import open_services
    from storage import offices
    from storage.people import create_invite

    services = await open_services(settings)
    db = services.db
    try:
        if role == "agency" and services.org.agency(agency or "") is None:
            known = ", ".join(a.slug for a in services.org.agencies)
            print(f"error: no agency {agency!r} in the organisation file; known: {known}",
                  file=sys.stderr)
            return EXIT_CONFIG
        if office:
            row = await offices.office_by_slug(db, office)
            if row is None:
                known = ", ".join(o.slug for o in await offices.list_offices(db))
                print(f"error: no office {office!r}; known: {known}", file=sys.stderr)
                return EXIT_CONFIG
            code = await create_invite(db, role=role, office_id=row.id, created_by=None,
                                       days=days, agency=agency)
        else:
            found = await offices.province_by_slug(db, province or "")
            if found is None:
                print(f"error: no province {province!r}", file=sys.stderr)
                return EXIT_CONFIG
            code = await create_invite(db, role=role, province_id=found[0], created_by=None,
                                       days=days, agency=agency)
    finally:
        await db.close()
    whose = f"{role} of {agency}" if agency else role
    print(f"invite code ({whose}, valid {days} days, single use): {code}")
    print(f"the invited person sends the bot: /start {code}")
    if settings.bot_token:
        try:
            bot = Bot(settings.bot_token, base_url=settings.bot_api_url)
            async with bot:
                me = await bot.get_me()
            print(f"deep link: {settings.deep_link(me.username or '', code)}")
        except TelegramError as error:
            print(f"(no deep link: the messenger could not be asked for the bot's name: "
                  f"{type(error).__name__})")
    return 0


async def apikey(settings: Settings, agency: str | None, revoke: str | None,
                 listing: bool) -> int:
    """Print a new Open311 API key for an agency (shown once, stored hashed), revoke keys by
    their first characters, or list the keys (their first characters, never the keys)."""
    from bot.app import open_services
    from storage import apikeys

    services = await open_services(settings)
    db = services.db
    try:
        if agency is not None and services.org.agency(agency) is None:
            known = ", ".join(a.slug for a in services.org.agencies)
            print(f"error: no agency {agency!r} in the organisation file; known: {known}",
                  file=sys.stderr)
            return EXIT_CONFIG
        if revoke is not None:
            revoked = await apikeys.revoke(db, revoke, agency=agency)
            if not revoked:
                print(f"error: no active key starts with {revoke!r} (give at least 6 "
                      "characters)", file=sys.stderr)
                return EXIT_CONFIG
            for gone in revoked:
                print(f"revoked the key {gone.prefix}… of {gone.agency}")
            return 0
        if listing:
            for kept in await apikeys.list_keys(db, agency):
                state = f"revoked {kept.revoked_at}" if kept.revoked_at else "active"
                print(f"{kept.prefix}…  {kept.agency}  created {kept.created_at}  {state}  "
                      f"last used {kept.last_used_at or 'never'}")
            return 0
        if agency is None:
            raise ConfigError("--agency", "name the agency the new key is for")
        key = await apikeys.create(db, agency)
    finally:
        await db.close()
    print(f"API key for {agency} (shown once; pass it as api_key): {key}")
    print(f"to revoke it: tashilyar apikey --revoke {key[:8]}")
    return 0


async def status(settings: Settings, clock: Clock = SYSTEM_CLOCK) -> int:
    """Print the bot's health as its database records it; 1 if the outbox is stuck."""
    from bot.ops.status import status_lines
    from storage.db import Database

    if not settings.database_path.is_file():
        raise ConfigError("DATABASE_PATH", f"no database at {settings.database_path}; "
                          "point DATABASE_PATH at the bot's database")
    db = await Database.open(settings.database_path, clock=clock.now, migrate=False)
    try:
        lines, problem = await status_lines(db, settings, clock.now())
    finally:
        await db.close()
    print("\n".join(lines))
    return 1 if problem else 0


def restore(settings: Settings, backup_file: Path) -> int:
    """Put a backup in place of the database (the bot must be stopped)."""
    from bot.ops.backups import RestoreError
    from bot.ops.backups import restore as put_back

    try:
        aside = put_back(backup_file, settings.database_path, SYSTEM_CLOCK.now())
    except RestoreError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_CONFIG
    if aside is not None:
        print(f"the previous database was moved to {aside}")
    print(f"restored {backup_file} to {settings.database_path}; start the bot again")
    return 0


def backup(settings: Settings, destination: Path) -> int:
    """Copy the live database to `destination` with SQLite's online backup."""
    from storage.db import backup_database

    def progress(done: int, total: int) -> None:
        print(f"backup: {done}/{total} pages copied; checking the copy (integrity_check) …",
              file=sys.stderr, flush=True)

    if settings.database_path.is_file():
        size = settings.database_path.stat().st_size / 2**20
        print(f"backup: copying {settings.database_path} ({size:,.0f} MiB) …", file=sys.stderr,
              flush=True)
    pages = backup_database(settings.database_path, destination, progress)
    print(f"backup written to {destination} ({pages} pages, integrity ok)")
    return 0


async def export(settings: Settings, args: argparse.Namespace) -> int:
    """Write the Excel export of a Jalali date range for an office, a province or all."""
    from bot.app import open_services
    from bot.locale.jalali import JalaliDateError, parse_jalali_date
    from bot.locale.normalize import to_ascii_digits
    from bot.reports.export import build_export, export_file_name
    from storage import exports, offices

    def jalali_flag(flag: str, value: str) -> date:
        text = to_ascii_digits(value)
        if text[:4].isdigit() and int(text[:4]) > 1500:
            raise ConfigError(flag, f"{value!r} looks Gregorian; write a Jalali date such as "
                              "1405/08/01")
        try:
            return parse_jalali_date(text)
        except JalaliDateError as error:
            raise ConfigError(flag, f"{value!r} is not a Jalali date ({error.reason}); "
                              "write e.g. 1405/08/01") from None

    first, last = jalali_flag("--from", args.first), jalali_flag("--to", args.last)
    if first > last:
        print("note: --from was after --to; exporting the range between them",
              file=sys.stderr)
        first, last = last, first
    if not settings.database_path.is_file():
        raise ConfigError("DATABASE_PATH", f"no database at {settings.database_path}; "
                          "point DATABASE_PATH at the bot's database")
    services = await open_services(settings)
    db = services.db
    try:
        if args.office:
            office = await offices.office_by_slug(db, args.office)
            if office is None:
                raise ConfigError("--office", f"no office {args.office!r}")
            office_ids = [office.id]
        elif args.province:
            province = await offices.province_by_slug(db, args.province)
            if province is None:
                known = await exports.province_slugs(db)
                raise ConfigError("--province", f"no province {args.province!r}; known: "
                                  + ", ".join(known))
            office_ids = [o.id for o in await offices.offices_in_province(db, province[0])]
        else:
            office_ids = [o.id for o in await offices.list_offices(db)]

        def progress(sheet: str, rows: int) -> None:
            print(f"  {sheet}: {rows} rows…", file=sys.stderr, flush=True)

        data, counts = await build_export(
            db, services.forms, office_ids=office_ids, start=first, end=last,
            tz=settings.timezone, with_phones=args.with_phones, progress=progress,
            withheld=() if args.with_text else services.org.sensitive)
        out = args.out or Path("exports") / export_file_name(first, last)
        if counts.get("requests") or args.with_phones:  # residents' text or phones: a look
            from storage.privacy import log_look
            flags = " ".join(f for f, on in (("--with-phones", args.with_phones),
                                             ("--with-text", args.with_text)) if on)
            await log_look(db, person_id=None, kind="export", through="cli",
                           detail=f"{out.name} {flags}".strip())
    finally:
        await db.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    print(f"export written to {out}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


async def audit(settings: Settings, args: argparse.Namespace,
                clock: Clock = SYSTEM_CLOCK) -> int:
    """Print the access log (every look at personal data) in Persian, Jalali dates."""
    from bot.locale.jalali import JalaliDateError, parse_jalali_date
    from bot.locale.normalize import to_ascii_digits
    from bot.privacy import audit_lines, jalali_start
    from storage.db import Database
    from storage.privacy import looks

    since = None
    if args.since:
        try:
            since = jalali_start(parse_jalali_date(to_ascii_digits(args.since)),
                                 settings.timezone)
        except JalaliDateError as error:
            raise ConfigError("--since", f"{args.since!r} is not a Jalali date "
                              f"({error.reason}); write e.g. 1405/08/01") from None
    if not settings.database_path.is_file():
        raise ConfigError("DATABASE_PATH", f"no database at {settings.database_path}; "
                          "point DATABASE_PATH at the bot's database")
    db = await Database.open(settings.database_path, clock=clock.now, migrate=False)
    try:
        if "access_log" not in await db.tables():
            print("the database has no access log yet: start the bot once to migrate it")
            return 0
        found = await looks(db, person=args.person, request_code=args.request, since=since)
    finally:
        await db.close()
    print("\n".join(audit_lines(found, settings.timezone)))
    return 0


def parser() -> argparse.ArgumentParser:
    """The argument parser."""
    p = argparse.ArgumentParser(prog="tashilyar", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command")
    sub.add_parser("run", help="poll the messenger until SIGINT/SIGTERM (the default)")
    sub.add_parser("check", help="validate settings, organisation file, database and token")
    inv = sub.add_parser("invite", help="print a one-time invite code for a staff member")
    inv.add_argument("--role", required=True, choices=["facilitator", "supervisor", "agency"])
    inv.add_argument("--agency", help="an agency's slug, for --role agency (a focal point)")
    where = inv.add_mutually_exclusive_group(required=True)
    where.add_argument("--office", help="office slug (see the organisation file)")
    where.add_argument("--province", help="province slug (supervisors of a whole province)")
    inv.add_argument("--days", type=int, default=None, help="days until it expires (default 7)")
    key = sub.add_parser("apikey", help="a new Open311 API key for an agency, or revoke one")
    key.add_argument("--agency", help="the agency's slug (see the organisation file)")
    key_action = key.add_mutually_exclusive_group()
    key_action.add_argument("--revoke", metavar="KEY_PREFIX",
                            help="revoke the key starting with these characters (6 or more)")
    key_action.add_argument("--list", action="store_true", help="list the keys")
    bak = sub.add_parser("backup", help="online backup of the live database")
    bak.add_argument("path", type=Path, help="new file to write the copy to")
    sub.add_parser("status", help="the bot's health from its database: last update, outbox, "
                   "jobs, backups")
    res = sub.add_parser("restore", help="put a backup in place of the database (bot stopped)")
    res.add_argument("path", type=Path, help="the backup file (e.g. from BACKUP_DIR)")
    exp = sub.add_parser("export", help="write an Excel file of a period (Jalali dates)")
    exp.add_argument("--from", dest="first", required=True, help="first day, e.g. 1405/08/01")
    exp.add_argument("--to", dest="last", required=True, help="last day, e.g. 1405/08/30")
    scope = exp.add_mutually_exclusive_group()
    scope.add_argument("--office", help="only this office (slug)")
    scope.add_argument("--province", help="only this province (slug)")
    exp.add_argument("--out", type=Path, default=None, help="file to write (default exports/…)")
    exp.add_argument("--with-phones", action="store_true",
                     help="include residents' phone numbers (an admin's export)")
    exp.add_argument("--with-text", action="store_true",
                     help="include the text of sensitive categories' requests (an admin's "
                     "export; recorded in the access log)")
    aud = sub.add_parser("audit", help="print the access log: every look at personal data")
    aud.add_argument("--person", type=int, default=None, help="only this person (their id)")
    aud.add_argument("--request", default=None, help="only this request (tracking code)")
    aud.add_argument("--since", default=None, help="from this Jalali day on, e.g. 1405/08/01")
    demo = sub.add_parser("demo", help="a whole day against the fake messenger, no token")
    demo.add_argument("--out", type=Path, default=Path("demo-output"),
                      help="folder for the export, the chart and the demo database")
    con = sub.add_parser("console", help="chat with the bot in the terminal, no token needed")
    con.add_argument("--as", dest="role", default="resident",
                     choices=["admin", "supervisor", "facilitator", "resident"])
    con.add_argument("--database", type=Path, default=Path("data/console.db"),
                     help="database for the console (default data/console.db)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `tashilyar` command."""
    args = parser().parse_args(argv)
    command = args.command or "run"
    try:
        settings = load_settings()
        setup_logging(settings.log_level, settings.log_format)
        if command == "run":
            asyncio.run(run_bot(settings))
            return 0
        if command == "check":
            return asyncio.run(check(settings))
        if command == "invite":
            if args.role == "facilitator" and args.province:
                raise ConfigError("--province", "facilitators belong to an office: use --office")
            if (args.role == "agency") != (args.agency is not None):
                raise ConfigError("--agency", "a focal point's invite (--role agency) names "
                                  "its agency, and only it")
            return asyncio.run(make_invite(settings, args.role, args.office, args.province,
                                           args.days or settings.invite_days, args.agency))
        if command == "apikey":
            return asyncio.run(apikey(settings, args.agency, args.revoke, args.list))
        if command == "backup":
            return backup(settings, args.path)
        if command == "status":
            return asyncio.run(status(settings))
        if command == "restore":
            return restore(settings, args.path)
        if command == "export":
            return asyncio.run(export(settings, args))
        if command == "audit":
            return asyncio.run(audit(settings, args))
        if command == "demo":
            from bot.demo import run_demo

            logging.getLogger().setLevel(logging.WARNING)
            return asyncio.run(run_demo(settings, args.out))
        if command == "console":
            from bot.console import run_console

            return asyncio.run(run_console(settings, args.role, args.database))
    except (ConfigError, OrgFileError, FormDefinitionError, DatabaseTooNew) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_CONFIG
    except (FileNotFoundError, FileExistsError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
