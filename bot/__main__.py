"""The command line: `tashilyar run | check | invite | backup | export | console | demo`.

`run` (the default) polls the messenger until SIGINT or SIGTERM. `check` validates the
settings and the organisation file, migrates the database and asks the server who the bot
is. `invite` prints a one-time invite code. `backup` copies the live database. `console`
lets a person chat with the bot in the terminal, with no token, through the fake messenger.
Configuration problems are printed as one line naming what to fix, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from telegram import Bot
from telegram.error import InvalidToken, NetworkError, TelegramError

from bot.config import ConfigError, Settings, load_settings
from bot.forms.model import FormDefinitionError
from bot.org import OrgFileError
from storage.db import DatabaseTooNew

log = logging.getLogger("tashilyar")

EXIT_CONFIG = 2
EXIT_UNREACHABLE = 1


def setup_logging(level: str) -> None:
    """Log to stderr; HTTP client loggers stay at WARNING (their URLs carry the token)."""
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    for noisy in ("httpx", "httpcore", "apscheduler", "telegram.ext.Updater"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))


def polling_trouble(error: TelegramError) -> None:
    """The messenger is unreachable or failing: one line per failed poll, no traceback (PTB
    keeps retrying with a growing pause)."""
    log.warning("polling failed (%s); retrying", type(error).__name__)


async def run_bot(settings: Settings) -> None:
    """Poll until SIGINT/SIGTERM, then stop cleanly (finishing the update in hand)."""
    from bot.app import (
        ALLOWED_UPDATES,
        announce_commands,
        build_application,
        open_services,
        start_jobs,
    )
    from handlers.context import acknowledgements_sent

    settings.require_token()
    services = await open_services(settings)
    db = services.db
    application = build_application(services)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        while not stop.is_set():
            try:
                await application.initialize()
                break
            except InvalidToken:
                raise ConfigError("BOT_TOKEN", "the server rejected this token; copy it again "
                                  "from BotFather") from None
            except NetworkError as error:
                log.warning("cannot reach the messenger (%s); retrying in 5 s",
                            type(error).__name__)
                try:
                    await asyncio.wait_for(stop.wait(), 5)
                except TimeoutError:
                    pass
        if stop.is_set():
            return
        await announce_commands(application)
        assert application.updater is not None
        await application.updater.start_polling(
            poll_interval=settings.poll_interval, timeout=10,
            allowed_updates=ALLOWED_UPDATES, error_callback=polling_trouble,
        )
        start_jobs(application)
        await application.start()
        log.info("running as @%s on %s", application.bot.username, settings.messenger)
        await stop.wait()
        log.info("stopping")
        await application.updater.stop()
        await application.stop()
    finally:
        if application.running:
            await application.stop()
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
    bot = Bot(token, base_url=settings.bot_api_url, base_file_url=settings.bot_file_url)
    try:
        async with bot:
            me = await bot.get_me()
    except InvalidToken:
        print(f"error: BOT_TOKEN was rejected by {settings.bot_api_url}; copy it again from "
              "BotFather", file=sys.stderr)
        return EXIT_UNREACHABLE
    except TelegramError as error:
        print(f"error: could not reach the messenger at BOT_API_URL={settings.bot_api_url} "
              f"({type(error).__name__}: {error}); check the URL and the network",
              file=sys.stderr)
        return EXIT_UNREACHABLE
    print(f"bot: @{me.username} ({me.first_name}), id {me.id}, on {settings.messenger}")
    return 0


async def make_invite(settings: Settings, role: str, office: str | None,
                      province: str | None, days: int) -> int:
    """Print a one-time invite code and, when the server can be asked, its deep link."""
    from bot.app import open_services
    from storage import offices
    from storage.people import create_invite

    db = (await open_services(settings)).db
    try:
        if office:
            row = await offices.office_by_slug(db, office)
            if row is None:
                known = ", ".join(o.slug for o in await offices.list_offices(db))
                print(f"error: no office {office!r}; known: {known}", file=sys.stderr)
                return EXIT_CONFIG
            code = await create_invite(db, role=role, office_id=row.id, created_by=None,
                                       days=days)
        else:
            found = await offices.province_by_slug(db, province or "")
            if found is None:
                print(f"error: no province {province!r}", file=sys.stderr)
                return EXIT_CONFIG
            code = await create_invite(db, role=role, province_id=found[0], created_by=None,
                                       days=days)
    finally:
        await db.close()
    print(f"invite code ({role}, valid {days} days, single use): {code}")
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
    from storage import offices

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
                known = [r[0] for r in await db.fetchall("SELECT slug FROM provinces")]
                raise ConfigError("--province", f"no province {args.province!r}; known: "
                                  + ", ".join(known))
            office_ids = [o.id for o in await offices.offices_in_province(db, province[0])]
        else:
            office_ids = [o.id for o in await offices.list_offices(db)]

        def progress(sheet: str, rows: int) -> None:
            print(f"  {sheet}: {rows} rows…", file=sys.stderr, flush=True)

        data, counts = await build_export(
            db, services.forms, office_ids=office_ids, start=first, end=last,
            tz=settings.timezone, with_phones=args.with_phones, progress=progress)
    finally:
        await db.close()
    out = args.out or Path("exports") / export_file_name(first, last)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    print(f"export written to {out}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


def parser() -> argparse.ArgumentParser:
    """The argument parser."""
    p = argparse.ArgumentParser(prog="tashilyar", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command")
    sub.add_parser("run", help="poll the messenger until SIGINT/SIGTERM (the default)")
    sub.add_parser("check", help="validate settings, organisation file, database and token")
    inv = sub.add_parser("invite", help="print a one-time invite code for a staff member")
    inv.add_argument("--role", required=True, choices=["facilitator", "supervisor"])
    where = inv.add_mutually_exclusive_group(required=True)
    where.add_argument("--office", help="office slug (see the organisation file)")
    where.add_argument("--province", help="province slug (supervisors of a whole province)")
    inv.add_argument("--days", type=int, default=None, help="days until it expires (default 7)")
    bak = sub.add_parser("backup", help="online backup of the live database")
    bak.add_argument("path", type=Path, help="new file to write the copy to")
    exp = sub.add_parser("export", help="write an Excel file of a period (Jalali dates)")
    exp.add_argument("--from", dest="first", required=True, help="first day, e.g. 1405/08/01")
    exp.add_argument("--to", dest="last", required=True, help="last day, e.g. 1405/08/30")
    scope = exp.add_mutually_exclusive_group()
    scope.add_argument("--office", help="only this office (slug)")
    scope.add_argument("--province", help="only this province (slug)")
    exp.add_argument("--out", type=Path, default=None, help="file to write (default exports/…)")
    exp.add_argument("--with-phones", action="store_true",
                     help="include residents' phone numbers (an admin's export)")
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
        setup_logging(settings.log_level)
        if command == "run":
            asyncio.run(run_bot(settings))
            return 0
        if command == "check":
            return asyncio.run(check(settings))
        if command == "invite":
            if args.role == "facilitator" and args.province:
                raise ConfigError("--province", "facilitators belong to an office: use --office")
            return asyncio.run(make_invite(settings, args.role, args.office, args.province,
                                           args.days or settings.invite_days))
        if command == "backup":
            return backup(settings, args.path)
        if command == "export":
            return asyncio.run(export(settings, args))
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
