"""`tashilyar status`: the bot's health as the database records it, for an operator's look
(in English, like every command's output; times in the bot's time zone with their age).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.ops.backups import backups_in
from bot.ops.monitor import OUTBOX_STUCK
from storage import operations, privacy
from storage.db import Database

JOBS = ("tick", "backup")  # the tick owes digests and reminders and delivers the outbox


def when(at: str | None, now: datetime, tz: ZoneInfo) -> str:
    """`2026-12-01 20:00 (+0330), 3 min ago`, or `never`."""
    if not at:
        return "never"
    moment = datetime.fromisoformat(at)
    seconds = max(0.0, (now - moment).total_seconds())
    if seconds < 120:
        age = f"{int(seconds)} s ago"
    elif seconds < 7200:
        age = f"{int(seconds // 60)} min ago"
    elif seconds < 172800:
        age = f"{seconds / 3600:.1f} h ago"
    else:
        age = f"{seconds / 86400:.1f} days ago"
    return f"{moment.astimezone(tz):%Y-%m-%d %H:%M (%z)}, {age}"


def file_size(path: Path) -> int:
    """The database's bytes on disk, its WAL included."""
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())


async def status_lines(db: Database, settings: Settings, now: datetime) -> tuple[list[str], bool]:
    """The report, and whether it found a problem (an outbox that does not drain)."""
    tz = settings.timezone
    version = await db.schema_version()
    lines = [f"database: {settings.database_path} ({file_size(settings.database_path) / 2**20:.1f}"
             f" MiB, schema version {version})"]
    tables = await db.tables()
    marks = await operations.marks(db) if "operations" in tables else {}
    update = marks.get("update")
    lines.append(f"last update handled: {when(update.at if update else None, now, tz)}"
                 + (f" ({update.detail})" if update else ""))
    problem = False
    backlog = await operations.backlog(db)
    if backlog:
        lines.append(f"outbox: {sum(b.count for b in backlog)} notices owed")
        for row in backlog:
            stuck = now - datetime.fromisoformat(row.oldest) > OUTBOX_STUCK and row.attempts
            problem = problem or bool(stuck)
            lines.append(f"  {row.kind}: {row.count} pending, the oldest owed "
                         f"{when(row.oldest, now, tz)}, up to {row.attempts} attempts"
                         + ("  <- not draining" if stuck else ""))
    else:
        lines.append("outbox: nothing owed")
    given_up, newest = await operations.undeliverable(db)
    lines.append(f"undeliverable notices: {given_up}"
                 + (f" (newest owed {when(newest, now, tz)})" if given_up else ""))
    for job in JOBS:
        mark = marks.get(f"job:{job}")
        lines.append(f"job {job}: last ran {when(mark.at if mark else None, now, tz)}"
                     + (f" ({mark.detail})" if mark else ""))
    lines.append(f"last digest owed: {when(await operations.last_owed(db, 'digest'), now, tz)}")
    lines.append(f"last reminder owed: {when(await operations.last_owed(db, 'remind'), now, tz)}")
    lines.append(await retention_line(db, settings, now, tables))
    backup = marks.get("backup")
    lines.append(f"last backup: {when(backup.at if backup else None, now, tz)}"
                 + (f" ({backup.detail.split(' ')[0]})" if backup else ""))
    if settings.backup_dir is not None:
        kept = backups_in(settings.backup_dir)
        lines.append(f"backups in {settings.backup_dir}: {len(kept)} (keeping "
                     f"{settings.backup_keep})" + (f", newest {kept[-1].name}" if kept else ""))
    return lines, problem


async def retention_line(db: Database, settings: Settings, now: datetime,
                         tables: list[str]) -> str:
    """The last retention run (issue 23): when, and what it removed."""
    run = await privacy.last_run(db) if "retention_runs" in tables else None
    if run is None:
        return f"last retention run: never (RETENTION_DAYS={settings.retention_days})"
    removed = ", ".join(f"{kind} {count}" for kind, count in sorted(run.removed.items()))
    return (f"last retention run: {when(run.at, now, settings.timezone)} (requests closed over "
            f"{run.days} days; removed: {removed or 'nothing'})")
