"""The SQLite database: connect (WAL, foreign keys, busy timeout), migrate, back up.

One `Database` holds ONE write connection and a small pool of read connections. Every
statement on the writer runs under one asyncio lock, so a transaction opened by one handler
never interleaves with another handler's statements on the same connection. Long reads (an
export, a digest's figures, the dashboard's queries) go to a reader instead
(`db.read_fetchall(...)`, or `async with db.reader() as r:` for several queries on one
snapshot): WAL lets readers and the writer work at once, so such a read never holds up the
bot's writes. Readers have the writer's pragmas plus `query_only`, are opened on first use
(at most `READERS`), and see what was committed when their read began.

Migrations are the numbered `migrations/NNNN_name.sql` files, each applied in its own
transaction together with `PRAGMA user_version = NNNN`.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import aiosqlite

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
BUSY_TIMEOUT_MS = 5000
READERS = 2  # read connections at most; a third long read waits for one to come back
# Set on every connection; journal_mode is a property of the file (the writer sets it).
PRAGMAS = (f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}", "PRAGMA foreign_keys = ON",
           "PRAGMA synchronous = NORMAL")
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")

Row = sqlite3.Row
Params = Sequence[Any] | dict[str, Any]


class Queries(Protocol):
    """What a read needs: a `Database` (the writer's connection) or a `Reader`."""

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]: ...

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None: ...


class DatabaseTooNew(RuntimeError):
    """The database was written by a newer Tashilyar than this one."""


@dataclass(frozen=True)
class Migration:
    """One numbered SQL file."""

    version: int
    path: Path

    @property
    def sql(self) -> str:
        """The file's SQL text."""
        return self.path.read_text(encoding="utf-8")


def available_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migration files in version order; numbers must run 1, 2, 3 … without gaps."""
    found = []
    for path in directory.glob("*.sql"):
        match = _MIGRATION_NAME.match(path.name)
        if not match:
            raise RuntimeError(f"migration file {path.name} is not named NNNN_name.sql")
        found.append(Migration(int(match.group(1)), path))
    found.sort(key=lambda m: m.version)
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise RuntimeError(f"migrations skip from {expected - 1} to {migration.version}")
    return found


def latest_version() -> int:
    """The schema version this code writes."""
    migrations = available_migrations()
    return migrations[-1].version if migrations else 0


Now = Callable[[], datetime]
"""Where storage gets the time: the app's clock (`bot.clock`), handed to `Database.open`."""


def utc_now_iso(now: datetime) -> str:
    """A UTC instant as the ISO text stored in the database."""
    return now.astimezone(UTC).isoformat(timespec="seconds")


class Reader:
    """A borrowed read connection inside one read transaction (`Database.reader`)."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        """All rows of a query."""
        return list(await self._conn.execute_fetchall(sql, params))

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        """The first row of a query, or None."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def rows(self, sql: str, params: Params = (), batch: int = 500) -> AsyncIterator[Row]:
        """The rows of a query as they are read, `batch` at a time (for large results)."""
        async with self._conn.execute(sql, params) as cursor:
            while chunk := await cursor.fetchmany(batch):
                for row in chunk:
                    yield row


class Database:
    """An open SQLite database; use `await Database.open(path, clock=...)`.

    Storage never reads the wall clock: what it stamps comes from `now()`, the clock the
    app handed over (a test's clock may stand at any instant)."""

    def __init__(self, conn: aiosqlite.Connection, path: Path, clock: Now,
                 readers: int = READERS) -> None:
        self.conn = conn
        self.path = path
        self.now = clock
        self._lock = asyncio.Lock()
        self._reader_slots = asyncio.Semaphore(readers)
        self._idle_readers: list[aiosqlite.Connection] = []
        self._readers: list[aiosqlite.Connection] = []

    def now_iso(self) -> str:
        """The clock's current instant as stored text."""
        return utc_now_iso(self.now())

    @classmethod
    async def open(
        cls, path: Path, *, clock: Now, migrate: bool = True, target: int | None = None,
        readers: int = READERS,
    ) -> Database:
        """Open (creating the folder and file if needed), set pragmas, and migrate. Up to
        `readers` read connections are opened later, as reads need them."""
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(path, isolation_level=None)
        conn.row_factory = sqlite3.Row
        db = cls(conn, path, clock, readers)
        try:
            await conn.execute(PRAGMAS[0])
            await conn.execute("PRAGMA journal_mode = WAL")
            for pragma in PRAGMAS[1:]:
                await conn.execute(pragma)
            if migrate:
                await db.migrate(target)
        except BaseException:
            await conn.close()
            raise
        return db

    async def close(self) -> None:
        """Close the readers, then the writer (a WAL checkpoint happens on the last close)."""
        readers, self._readers, self._idle_readers = self._readers, [], []
        for reader in readers:
            await reader.close()
        await self.conn.close()

    async def _open_reader(self) -> aiosqlite.Connection:
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        conn.row_factory = sqlite3.Row
        try:
            for pragma in (*PRAGMAS, "PRAGMA query_only = ON"):
                await conn.execute(pragma)
        except BaseException:
            await conn.close()
            raise
        self._readers.append(conn)
        return conn

    @asynccontextmanager
    async def _borrow(self) -> AsyncIterator[aiosqlite.Connection]:
        """An idle read connection (opened if none is idle), handed back afterwards."""
        async with self._reader_slots:
            conn = self._idle_readers.pop() if self._idle_readers else await self._open_reader()
            try:
                yield conn
            finally:
                await self._give_back(conn)

    async def _give_back(self, conn: aiosqlite.Connection) -> None:
        if conn not in self._readers:
            return  # the database was closed meanwhile, and the reader with it
        try:
            if conn.in_transaction:
                await conn.rollback()  # a reader changes nothing: this only ends its snapshot
        except BaseException:
            self._readers.remove(conn)  # not known to be clean: not lent again
            await conn.close()
            raise
        self._idle_readers.append(conn)

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[Reader]:
        """`async with db.reader() as r:` — a read connection of its own, one snapshot.

        Every query on `r` sees the database as it was at the first of them (one read
        transaction), while the writer carries on committing; what it commits meanwhile
        shows in the next `reader()`. Hold it no longer than the read needs: a checkpoint
        cannot pass an open snapshot, so meanwhile the WAL file grows."""
        async with self._borrow() as conn:
            await conn.execute("BEGIN")  # deferred: the snapshot starts at the first read
            yield Reader(conn)

    async def read_fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        """All rows of one query, on a reader: never waits for the writer's lock."""
        async with self._borrow() as conn:
            return list(await conn.execute_fetchall(sql, params))

    async def read_fetchone(self, sql: str, params: Params = ()) -> Row | None:
        """The first row of one query on a reader, or None."""
        rows = await self.read_fetchall(sql, params)
        return rows[0] if rows else None

    async def schema_version(self) -> int:
        """The `user_version` recorded in the file."""
        row = await self.fetchone("PRAGMA user_version")
        return int(row[0]) if row else 0

    async def migrate(self, target: int | None = None) -> list[int]:
        """Apply every migration above the file's version (up to `target`); return them."""
        migrations = available_migrations()
        newest = migrations[-1].version if migrations else 0
        current = await self.schema_version()
        if current > newest:
            raise DatabaseTooNew(
                f"the database {self.path} has schema version {current}, but this Tashilyar "
                f"knows only up to {newest}: upgrade Tashilyar, or restore a backup made by it"
            )
        applied = []
        for migration in migrations:
            if migration.version <= current or (target is not None and migration.version > target):
                continue
            async with self._lock:
                # SQLite's procedure for rebuilding a table: foreign keys off for the
                # migration, then checked before it commits.
                await self.conn.execute("PRAGMA foreign_keys = OFF")
                try:
                    await self.conn.executescript(f"BEGIN IMMEDIATE;\n{migration.sql}\n")
                    check = await self.conn.execute("PRAGMA foreign_key_check")
                    broken = list(await check.fetchall())
                    if broken:
                        raise sqlite3.IntegrityError(
                            f"migration {migration.version} breaks foreign keys: "
                            f"{[tuple(row) for row in broken[:3]]}")
                    await self.conn.execute(f"PRAGMA user_version = {migration.version}")
                    await self.conn.execute("COMMIT")
                except BaseException:
                    if self.conn.in_transaction:
                        await self.conn.rollback()
                    raise
                finally:
                    await self.conn.execute("PRAGMA foreign_keys = ON")
            applied.append(migration.version)
        return applied

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """`async with db.transaction() as tx:` — BEGIN IMMEDIATE … COMMIT, or ROLLBACK.

        If the body or the COMMIT itself raises, the transaction is rolled back and the
        error re-raised: nothing of it is stored and the connection is ready for the next.
        """
        async with self._lock:
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                await self.conn.rollback()
                raise
            else:
                try:
                    await self.conn.commit()
                except BaseException:
                    # A failed COMMIT (locked, disk full, deferred foreign key) can leave the
                    # transaction open; roll it back so the next BEGIN IMMEDIATE works.
                    if self.conn.in_transaction:
                        await self.conn.rollback()
                    raise

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        """The first row of a query, or None."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        """All rows of a query."""
        async with self._lock:  # one trip to the database thread, not three
            return list(await self.conn.execute_fetchall(sql, params))

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement in its own transaction; return the affected row count."""
        async with self._lock:
            # One trip to the database thread: the statement has run to completion, so the
            # cursor holds nothing and is left to be freed rather than closed on a second trip.
            cursor = await self.conn.execute(sql, params)
            return cursor.rowcount

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        """Run one statement for many rows in one transaction."""
        async with self.transaction() as tx:
            await tx.executemany(sql, rows)

    async def tables(self) -> list[str]:
        """Names of the user tables, sorted."""
        rows = await self.fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
        return [row["name"] for row in rows]


def backup_database(
    source: Path, destination: Path, progress: Callable[[int, int], None] | None = None
) -> int:
    """Copy a live database with SQLite's online backup API; return the page count.

    Safe while the bot is writing: the whole file is copied in one backup step, inside one
    read transaction, so the copy is a consistent snapshot and (in WAL mode) writers carry on
    meanwhile. A backup taken in several steps would restart from the first page whenever
    another connection wrote between two steps, and under a steady stream of writes would
    never finish. `progress(done, total)` is called once, when the copy is complete. The
    destination must not exist yet.
    """
    if not source.is_file():
        raise FileNotFoundError(f"no database at {source}")
    if destination.exists():
        raise FileExistsError(f"{destination} already exists; choose a new file name")
    destination.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(source, timeout=BUSY_TIMEOUT_MS / 1000)
    dst = sqlite3.connect(destination)
    total = 0
    try:

        def report(status: int, remaining: int, pages: int) -> None:
            nonlocal total
            total = pages
            if progress:
                progress(pages - remaining, pages)

        src.backup(dst, pages=-1, progress=report)  # one step: no restarts, one snapshot
        dst.execute("PRAGMA journal_mode = DELETE")
        check = dst.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise RuntimeError(f"the backup failed its integrity check: {check}")
    finally:
        dst.close()
        src.close()
    return total


def inspect_file(path: Path) -> tuple[str, int]:
    """A database file opened read-only: (integrity_check's verdict, schema version).
    sqlite3.DatabaseError if it is no Tashilyar database (not SQLite, or no outbox)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        check = conn.execute("PRAGMA integrity_check").fetchone()[0]
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        conn.execute("SELECT count(*) FROM outbox").fetchone()
    finally:
        conn.close()
    return str(check), version


def copy_file(source: Path, destination: Path) -> str:
    """Copy a database file that no one is writing (a backup being restored) with SQLite's
    backup API, in WAL mode; return the copy's integrity_check verdict."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(destination)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode = WAL")
        return str(dst.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        dst.close()
        src.close()
