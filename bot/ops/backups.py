"""Daily backups and restore.

`take_backup` copies the live database into `BACKUP_DIR` with the existing one-step online
backup (`storage.db.backup_database`, which checks the copy with `integrity_check`) under a
name that sorts by time, then keeps only the newest `BACKUP_KEEP`. `restore` puts a backup
back: it checks the backup first, moves the current database (and its WAL) aside, never
deleting it, and writes the backup in its place; the bot's next start migrates it if the
backup is older than the code.
"""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from storage.db import backup_database, copy_file, inspect_file, latest_version

PREFIX = "tashilyar-"
SUFFIX = ".db"


class RestoreError(RuntimeError):
    """The backup cannot be restored; the message says why."""


@dataclass(frozen=True)
class BackupResult:
    """One backup taken."""

    path: Path
    pages: int
    size: int
    removed: list[Path]


def backup_name(now: datetime) -> str:
    """`tashilyar-20261201T033000Z.db`: names sort by the instant they were taken."""
    return f"{PREFIX}{now.astimezone(UTC):%Y%m%dT%H%M%SZ}{SUFFIX}"


def backups_in(directory: Path) -> list[Path]:
    """The backups in a folder, oldest first."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.glob(f"{PREFIX}*{SUFFIX}") if p.is_file())


def take_backup(source: Path, directory: Path, keep: int, now: datetime) -> BackupResult:
    """Back up `source` into `directory` (checked copy), then keep the newest `keep`."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / backup_name(now)
    partial = target.with_suffix(".partial")
    partial.unlink(missing_ok=True)  # left by a crash during an earlier backup
    pages = backup_database(source, partial)
    partial.rename(target)  # only a complete, checked copy carries a backup's name
    existing = backups_in(directory)
    removed = existing[:-keep] if len(existing) > keep else []
    for old in removed:
        old.unlink()
    return BackupResult(target, pages, target.stat().st_size, removed)


def check_backup(backup: Path) -> int:
    """The schema version of a sound backup; RestoreError if it is not one."""
    if not backup.is_file():
        raise RestoreError(f"no file {backup}")
    try:
        check, version = inspect_file(backup)
    except sqlite3.DatabaseError as error:
        raise RestoreError(f"{backup} is not a Tashilyar database ({error})") from None
    if check != "ok":
        raise RestoreError(f"{backup} failed its integrity check: {check}")
    if version > latest_version():
        raise RestoreError(f"{backup} has schema version {version}, newer than this "
                           f"Tashilyar ({latest_version()}): restore it with a newer one")
    return version


def restore(backup: Path, database: Path, now: datetime) -> Path | None:
    """Put `backup` in place of `database` (stop the bot first); return where the previous
    database was moved, or None if there was none."""
    check_backup(backup)
    aside = None
    if database.exists():
        aside = database.with_name(f"{database.name}.before-restore-"
                                   f"{now.astimezone(UTC):%Y%m%dT%H%M%SZ}")
        for suffix in ("", "-wal", "-shm"):  # the WAL may hold the newest transactions
            current = Path(f"{database}{suffix}")
            if current.exists():
                shutil.move(current, Path(f"{aside}{suffix}"))
    database.parent.mkdir(parents=True, exist_ok=True)
    partial = database.with_name(database.name + ".restoring")
    partial.unlink(missing_ok=True)
    if copy_file(backup, partial) != "ok":
        raise RestoreError("the restored copy failed its integrity check")
    partial.rename(database)
    return aside
