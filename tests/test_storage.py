"""The database file: pragmas, migrations from every version, refusal of newer files,
organisation sync, invites and the online backup."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import SYSTEM_CLOCK, ManualClock
from bot.config import SHIPPED_ORG_FILE
from bot.locale.text import t
from bot.org import OrgFileError, load_organisation
from bot.sandbox import FakeBotAPI, SandboxBot
from storage import offices, outbox, stats
from storage.db import (
    BUSY_TIMEOUT_MS,
    READERS,
    Database,
    DatabaseTooNew,
    available_migrations,
    backup_database,
)
from storage.offices import OfficeSpec
from storage.people import (
    CODE_ALPHABET,
    CODE_LENGTH,
    InviteError,
    create_invite,
    new_invite_code,
    redeem_invite,
)

LATEST = available_migrations()[-1].version


def schema(path: Path) -> list[tuple[str, str]]:
    """Every table and index with its SQL, to compare two databases' shapes."""
    with sqlite3.connect(path) as conn:
        return conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name"
        ).fetchall()


async def kerman_db(path: Path) -> Database:
    """A migrated database with the Kerman offices synced in."""
    db = await Database.open(path, clock=SYSTEM_CLOCK.now)
    org = load_organisation(SHIPPED_ORG_FILE)
    await offices.sync_organisation(
        db, [(p.slug, p.name) for p in org.provinces],
        [OfficeSpec(o.slug, o.name, o.province, o.city,
                    tuple((h.slug, h.name) for h in o.neighbourhoods)) for o in org.offices],
    )
    return db


async def test_fresh_database_has_wal_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "new" / "t.db", clock=SYSTEM_CLOCK.now)
    try:
        assert (await db.fetchone("PRAGMA journal_mode"))[0] == "wal"  # type: ignore[index]
        assert (await db.fetchone("PRAGMA foreign_keys"))[0] == 1  # type: ignore[index]
        assert (await db.fetchone("PRAGMA busy_timeout"))[0] >= 1000  # type: ignore[index]
        assert await db.schema_version() == LATEST
        assert {"offices", "neighbourhoods", "people", "invites", "audit_log"} <= set(
            await db.tables())
        with pytest.raises(sqlite3.IntegrityError):
            await db.execute(
                "INSERT INTO neighbourhoods (office_id, slug, name) VALUES (999, 'x', 'x')")
    finally:
        await db.close()


@pytest.mark.parametrize("start", range(LATEST))
async def test_migrating_from_each_earlier_version_keeps_data_and_matches_fresh(
    tmp_path: Path, start: int
) -> None:
    fresh = tmp_path / "fresh.db"
    await (await Database.open(fresh, clock=SYSTEM_CLOCK.now)).close()

    old = tmp_path / "old.db"
    db = await Database.open(old, target=start, clock=SYSTEM_CLOCK.now)
    assert await db.schema_version() == start
    if start >= 1:
        await db.execute("INSERT INTO provinces (slug, name) VALUES ('kerman', 'کرمان')")
    await db.close()

    db = await Database.open(old, clock=SYSTEM_CLOCK.now)
    try:
        assert await db.schema_version() == LATEST
        if start >= 1:
            row = await db.fetchone("SELECT name FROM provinces WHERE slug = 'kerman'")
            assert row is not None and row["name"] == "کرمان"
    finally:
        await db.close()
    assert schema(old) == schema(fresh)


async def test_a_failed_migration_leaves_the_previous_version(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    await (await Database.open(path, target=1, clock=SYSTEM_CLOCK.now)).close()
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE audit_log (x)")  # migration 2 will collide with this
    with pytest.raises(sqlite3.OperationalError):
        await Database.open(path, clock=SYSTEM_CLOCK.now)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1


async def test_a_database_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    await (await Database.open(path, clock=SYSTEM_CLOCK.now)).close()
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {LATEST + 1}")
    with pytest.raises(DatabaseTooNew, match="upgrade Tashilyar"):
        await Database.open(path, clock=SYSTEM_CLOCK.now)


async def test_org_sync_adds_renames_and_never_deletes(tmp_path: Path) -> None:
    db = await kerman_db(tmp_path / "t.db")
    try:
        org = load_organisation(SHIPPED_ORG_FILE)
        assert len(await offices.list_offices(db)) == 10 == len(org.offices)
        pamenar = await offices.office_by_slug(db, "pamenar")
        assert pamenar is not None
        hood = (await offices.neighbourhoods_of(db, pamenar.id))[0]
        await db.execute(
            "INSERT INTO people (user_id, role, office_id, created_at, updated_at) "
            "VALUES (9, 'facilitator', ?, 'x', 'x')", (pamenar.id,))
        # The file now renames Pamenar's neighbourhood, adds one and drops Sarasiab's office.
        specs = [OfficeSpec("pamenar", "دفتر پامنار", "kerman", "کرمان",
                            (("pamenar", "پامنار بزرگ"), ("new-hood", "محله تازه")))]
        await offices.sync_organisation(db, [("kerman", "کرمان")], specs)
        hoods = await offices.neighbourhoods_of(db, pamenar.id)
        assert [(h.id == hood.id, h.name) for h in hoods] == [
            (True, "پامنار بزرگ"), (False, "محله تازه")]
        assert await offices.office_by_slug(db, "sarasiab") is None  # inactive, not deleted
        row = await db.fetchone("SELECT count(*) FROM offices")
        assert row is not None and row[0] == 10
    finally:
        await db.close()


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("this is = = not toml", "not valid TOML"),
        ("[organisation]\nname='x'\n", "no [[provinces]]"),
        ("[organisation]\nname='x'\n[[provinces]]\nslug='k'\nname='ک'\n"
         "[[offices]]\nslug='Bad Slug'\nname='x'\nprovince='k'\ncity='c'\n"
         "neighbourhoods=[{slug='a',name='b'}]\n", "slug 'Bad Slug'"),
        ("[organisation]\nname='x'\n[[provinces]]\nslug='k'\nname='ک'\n"
         "[[offices]]\nslug='a'\nname='x'\nprovince='zz'\ncity='c'\n"
         "neighbourhoods=[{slug='a',name='b'}]\n", "province 'zz'"),
        ("[organisation]\nname='x'\n[[provinces]]\nslug='k'\nname='ک'\n"
         "[[offices]]\nslug='a'\nname='x'\nprovince='k'\ncity='c'\nneighbourhoods=[]\n",
         "non-empty 'neighbourhoods'"),
    ],
)
def test_a_broken_org_file_is_refused_with_the_reason(
    tmp_path: Path, content: str, problem: str
) -> None:
    path = tmp_path / "org.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(OrgFileError) as caught:
        load_organisation(path)
    assert problem in str(caught.value) and str(path) in str(caught.value)


def test_invite_codes_are_long_random_and_unambiguous() -> None:
    codes = {new_invite_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(c) == CODE_LENGTH and set(c) <= set(CODE_ALPHABET) for c in codes)
    assert CODE_LENGTH * 5 >= 64  # bits of randomness
    assert not set("ilou") & set(CODE_ALPHABET)


async def test_invites_are_single_use_and_expire(tmp_path: Path) -> None:
    db = await kerman_db(tmp_path / "t.db")
    try:
        office = await offices.office_by_slug(db, "pamenar")
        assert office is not None
        start = datetime(2026, 11, 21, 12, tzinfo=UTC)
        code = await create_invite(db, role="facilitator", office_id=office.id,
                                   created_by=None, days=7, now=start)
        stored = await db.fetchone("SELECT code_hash FROM invites")
        assert stored is not None and code not in stored[0]

        late = await create_invite(db, role="facilitator", office_id=office.id,
                                   created_by=None, days=7, now=start)
        with pytest.raises(InviteError) as expired:
            await redeem_invite(db, late, user_id=11, display_name="x",
                                now=start + timedelta(days=7, seconds=1))
        assert expired.value.reason == "expired"

        person = await redeem_invite(db, code, user_id=10, display_name="مریم",
                                     now=start + timedelta(days=6))
        assert (person.role, person.office_id) == ("facilitator", office.id)
        with pytest.raises(InviteError) as used:
            await redeem_invite(db, code, user_id=12, display_name="y", now=start)
        assert used.value.reason == "used"
        with pytest.raises(InviteError) as unknown:
            await redeem_invite(db, "z" * 16, user_id=12, display_name="y", now=start)
        assert unknown.value.reason == "unknown"
        actions = [r["action"] for r in await db.fetchall("SELECT action FROM audit_log")]
        assert actions == ["invite.create", "invite.create", "invite.use"]
    finally:
        await db.close()


async def test_backup_of_a_live_database_is_complete_and_sound(tmp_path: Path) -> None:
    db = await kerman_db(tmp_path / "live.db")
    try:
        await db.executemany(
            "INSERT INTO audit_log (at, action) VALUES (?, ?)",
            [("2026-11-21T00:00:00+00:00", f"test.{i}") for i in range(500)],
        )
        pages = backup_database(db.path, tmp_path / "copy.db")
        assert pages > 0
    finally:
        await db.close()
    with sqlite3.connect(tmp_path / "copy.db") as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("SELECT count(*) FROM audit_log").fetchone()[0] == 500
        assert copy.execute("SELECT count(*) FROM offices").fetchone()[0] == 10
    with pytest.raises(FileExistsError):
        backup_database(tmp_path / "live.db", tmp_path / "copy.db")


async def test_a_backup_under_load_holds_everything_committed_before_it(
    tmp_path: Path,
) -> None:
    import asyncio

    db = await kerman_db(tmp_path / "live.db")
    writing = True
    under_way = asyncio.Event()

    async def keep_writing() -> int:
        written = 0
        while writing:
            await db.executemany(
                "INSERT INTO audit_log (at, action, detail) VALUES (?, ?, ?)",
                [("2026-11-21T00:00:00+00:00", f"load.{written + i}", "x" * 200)
                 for i in range(200)])
            written += 200
            if written >= 2000:
                under_way.set()
            await asyncio.sleep(0)  # let the test proceed between batches
        return written

    try:
        writer = asyncio.create_task(keep_writing())
        await under_way.wait()
        committed = (await db.fetchone("SELECT count(*) FROM audit_log"))[0]  # type: ignore[index]
        await asyncio.to_thread(backup_database, db.path, tmp_path / "copy.db")
        writing = False
        total = await writer
    finally:
        await db.close()
    with sqlite3.connect(tmp_path / "copy.db") as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        in_copy = copy.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    assert committed <= in_copy <= total


def keep_inserting(path: Path, stop: threading.Event, started: threading.Event,
                   committed: list[int], errors: list[BaseException]) -> None:
    """Commit one small audit row after another on an own connection until `stop` is set.

    `committed[0]` is the number of the last row known committed; `started` is set once
    fifty rows are in. No pause between rows: a backup in many steps then always restarts,
    where at ~100 writes a second it might slip through on a 24 MB file by luck.
    """
    try:
        with closing(sqlite3.connect(path, timeout=5, isolation_level=None)) as conn:
            conn.execute("PRAGMA synchronous = NORMAL")
            n = 0
            while not stop.is_set():
                n += 1
                conn.execute(
                    "INSERT INTO audit_log (at, action, subject) VALUES (?, 'load', ?)",
                    ("2026-11-21T00:00:00+00:00", str(n)))
                committed[0] = n
                if n == 50:
                    started.set()
    except BaseException as error:
        errors.append(error)
        started.set()


async def test_a_backup_of_a_big_database_finishes_under_a_steady_stream_of_writes(
    tmp_path: Path,
) -> None:
    path = tmp_path / "live.db"
    await (await Database.open(path, clock=SYSTEM_CLOCK.now)).close()
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute(  # about 24 MB of audit rows: a backup of many 256-page steps
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) "
            "INSERT INTO audit_log (at, action, detail) "
            "SELECT '2026-11-21T00:00:00+00:00', 'fill', printf('%.1000c', 'x') FROM n")
    assert path.stat().st_size > 20_000_000

    stop, started = threading.Event(), threading.Event()
    committed, errors = [0], []
    writer = threading.Thread(
        target=keep_inserting, args=(path, stop, started, committed, errors), daemon=True)
    outcome: list[int | BaseException] = []

    def back_up() -> None:
        try:
            outcome.append(backup_database(path, tmp_path / "copy.db"))
        except BaseException as error:
            outcome.append(error)

    backer = threading.Thread(target=back_up, daemon=True)
    writer.start()
    try:
        assert started.wait(10), "the writer never got going"
        before = committed[0]
        backer.start()
        backer.join(10)
        finished_under_load = not backer.is_alive()
    finally:
        stop.set()
        writer.join(10)
        if backer.ident is not None:
            backer.join(10)  # with the writes stopped, even a restarting backup ends
    assert not errors
    assert finished_under_load, "the backup did not finish while the writer was writing"
    assert isinstance(outcome[0], int) and outcome[0] > 0, outcome
    with closing(sqlite3.connect(tmp_path / "copy.db")) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("SELECT count(*) FROM audit_log WHERE action = 'fill'"
                            ).fetchone()[0] == 20000
        count, last = copy.execute(
            "SELECT count(*), coalesce(max(CAST(subject AS INTEGER)), 0) FROM audit_log "
            "WHERE action = 'load'").fetchone()
    assert before <= last <= committed[0]
    assert count == last  # a snapshot: every load row up to the last one, no gaps


async def test_a_failed_commit_is_rolled_back_and_the_next_transaction_works(
    tmp_path: Path,
) -> None:
    db = await kerman_db(tmp_path / "t.db")
    try:
        with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
            async with db.transaction() as tx:
                await tx.execute("PRAGMA defer_foreign_keys = ON")  # checked at COMMIT
                await tx.execute(
                    "INSERT INTO audit_log (at, action) VALUES ('2026-11-21', 'doomed')")
                await tx.execute(
                    "INSERT INTO neighbourhoods (office_id, slug, name) VALUES (999, 'x', 'x')")
        assert not db.conn.in_transaction
        assert await db.fetchone("SELECT 1 FROM audit_log WHERE action = 'doomed'") is None
        assert await db.fetchone("SELECT 1 FROM neighbourhoods WHERE office_id = 999") is None
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO audit_log (at, action) VALUES ('2026-11-21', 'kept')")
    finally:
        await db.close()
    with closing(sqlite3.connect(tmp_path / "t.db")) as conn:
        assert conn.execute("SELECT count(*) FROM audit_log WHERE action = 'kept'"
                            ).fetchone()[0] == 1
        assert conn.execute("SELECT count(*) FROM audit_log WHERE action = 'doomed'"
                            ).fetchone()[0] == 0


# ----- readers beside the writer -----------------------------------------------------------


async def filled_outbox(path: Path, rows: int) -> Database:
    db = await Database.open(path, clock=SYSTEM_CLOCK.now)
    now = datetime(2026, 12, 1, 8, tzinfo=UTC)
    async with db.transaction() as tx:
        for n in range(rows):
            await outbox.enqueue(tx, f"note:{n}", 1000 + n, "متن", now=now)
    return db


async def test_a_long_read_in_progress_does_not_hold_up_the_writer(tmp_path: Path) -> None:
    db = await filled_outbox(tmp_path / "t.db", 50)
    now = datetime(2026, 12, 1, 9, tzinfo=UTC)
    try:
        seen = []
        async with db.reader() as reader:
            async for row in reader.rows("SELECT key FROM outbox ORDER BY id", batch=10):
                seen.append(row["key"])
                if len(seen) == 1:  # the read is open, mid-iteration: the bot writes
                    async with asyncio.timeout(30):  # a bound for failure, not a wait
                        async with db.transaction() as tx:
                            await outbox.enqueue(tx, "note:new", 99, "تازه", now=now)
                        await db.execute("UPDATE outbox SET text = 'دیگر' WHERE key = 'note:0'")
                        backup_database(db.path, tmp_path / "backup.db")  # a reader too
                    written = await db.fetchone("SELECT count(*) FROM outbox")
                    assert written is not None and written[0] == 51
            assert len(seen) == 50  # the reader's snapshot, taken before the writes
            again = await reader.fetchone("SELECT text FROM outbox WHERE key = 'note:0'")
            assert again is not None and again[0] == "متن"
        after = await db.read_fetchone("SELECT count(*) FROM outbox")
        assert after is not None and after[0] == 51  # a new read sees what was committed
        with closing(sqlite3.connect(tmp_path / "backup.db")) as copy:
            assert copy.execute("SELECT count(*) FROM outbox").fetchone()[0] == 51
    finally:
        await db.close()


async def test_a_read_does_not_queue_behind_an_open_write_transaction(tmp_path: Path) -> None:
    db = await filled_outbox(tmp_path / "t.db", 3)
    now = datetime(2026, 12, 1, 9, tzinfo=UTC)
    try:
        async with db.transaction() as tx:
            await outbox.enqueue(tx, "note:new", 99, "تازه", now=now)
            async with asyncio.timeout(30):  # the writer's lock is held: a reader goes on
                row = await db.read_fetchone("SELECT count(*) FROM outbox")
                assert row is not None and row[0] == 3  # nothing uncommitted shows
                await stats.totals(db, [1], "2026-01-01", "2027-01-01")
        row = await db.read_fetchone("SELECT count(*) FROM outbox")
        assert row is not None and row[0] == 4
    finally:
        await db.close()


async def test_readers_have_the_writers_pragmas_and_cannot_write(tmp_path: Path) -> None:
    db = await filled_outbox(tmp_path / "t.db", 1)
    try:
        async with db.reader() as reader:
            pragmas = [(await reader.fetchone(f"PRAGMA {name}"))[0]  # type: ignore[index]
                       for name in ("query_only", "foreign_keys", "journal_mode", "busy_timeout",
                                    "synchronous")]
            assert pragmas == [1, 1, "wal", BUSY_TIMEOUT_MS, 1]
            with pytest.raises(sqlite3.OperationalError):
                await reader.fetchall("DELETE FROM outbox")
        async with asyncio.TaskGroup() as group:  # more reads at once than readers: all end
            reads = [group.create_task(db.read_fetchall("SELECT * FROM outbox"))
                     for _ in range(READERS * 3)]
        assert all(len(read.result()) == 1 for read in reads)
        assert len(db._readers) <= READERS
        row = await db.fetchone("SELECT count(*) FROM outbox")  # the writer still writes
        assert row is not None and row[0] == 1
        await db.execute("DELETE FROM outbox")
    finally:
        await db.close()


# ----- messenger ids are 64-bit everywhere ------------------------------------------------

BIG_GROUP = -1001234567890123  # a supergroup's id: -100 and then the channel's id
BIG_RESIDENT = 2**40 + 11       # user ids past 2**32 exist already (and past 2**31 are common)
BIG_STAFF = 2**33 + 5
BIG_SUPERVISOR = 2**35 + 3


async def test_ids_past_32_bits_round_trip_through_every_table(
    sandbox: SandboxBot, clock: ManualClock, api: FakeBotAPI
) -> None:
    from bot.planning import tick
    from storage import conversations
    from tests.conftest import seat
    from tests.test_requests import file_request, join, notices, open_card, resolve

    db, application = sandbox.db, sandbox.application
    assert db is not None and application is not None
    zahra = sandbox.user(BIG_RESIDENT, "زهرا", phone="+989131112233")
    maryam = sandbox.user(BIG_STAFF, "مریم")
    await join(db, maryam, "sarasiab")
    await sandbox.say(zahra, "/start")
    code = await file_request(sandbox, zahra)
    await open_card(sandbox, maryam)
    await sandbox.tap(maryam, t("inbox.take"))
    await resolve(sandbox, maryam)
    assert notices(zahra), "the resident with a 41-bit id is told"
    sara = sandbox.user(BIG_SUPERVISOR, "سارا")
    await seat(db, sara, "supervisor", "sarasiab")
    # her own chat and the admin's exist: a digest due at any hour (a new Jalali month's
    # included, with its line for admins) reaches them
    await sandbox.say(sara, "/start")
    await sandbox.say(sandbox.user(1, "مدیر"), "/start")
    sara.send_in_group({"id": BIG_GROUP, "type": "supergroup", "title": "دفتر"}, "/digest_here")
    await sandbox.deliver()
    assert api.bot_messages(BIG_GROUP)[-1].text == t("digest.group_added")
    await db.execute("UPDATE people SET staff_since = '2020-01-01T00:00:00+00:00'")
    clock.advance(timedelta(days=1))
    await tick(application)
    await sandbox.deliver()

    stored = {
        "people": await db.fetchall("SELECT user_id AS id, typeof(user_id) AS type FROM people"),
        "digest_chats": await db.fetchall(
            "SELECT chat_id AS id, typeof(chat_id) AS type FROM digest_chats"),
        "outbox": await db.fetchall(
            "SELECT DISTINCT chat_id AS id, typeof(chat_id) AS type FROM outbox"),
    }
    for table, rows in stored.items():
        assert {r["type"] for r in rows} == {"integer"}, table
    assert {BIG_RESIDENT, BIG_STAFF, BIG_SUPERVISOR} <= {r["id"] for r in stored["people"]}
    assert [r["id"] for r in stored["digest_chats"]] == [BIG_GROUP]
    assert {BIG_RESIDENT, BIG_GROUP} <= {r["id"] for r in stored["outbox"]}
    filer = await db.fetchone("SELECT p.user_id FROM requests r JOIN people p "
                              "ON p.id = r.resident_id WHERE r.code = ?", (code,))
    assert filer is not None and filer[0] == BIG_RESIDENT
    # PTB's conversation keys (chat id, user id) and its per-user and per-chat data
    await conversations.save_conversation(db, "probe", (BIG_GROUP, BIG_STAFF), "state")
    await conversations.store_data(db, "user", BIG_RESIDENT, {"n": 1})
    await conversations.store_data(db, "chat", BIG_GROUP, {"n": 2})
    assert (await conversations.conversations(db, "probe")) == {(BIG_GROUP, BIG_STAFF): "state"}
    assert await conversations.load_data(db, "user") == {BIG_RESIDENT: {"n": 1}}
    assert await conversations.load_data(db, "chat") == {BIG_GROUP: {"n": 2}}
    assert any(m.text.startswith("📋") for m in api.bot_messages(BIG_GROUP))


async def test_closing_the_database_while_a_reader_is_lent_out(tmp_path: Path) -> None:
    db = await filled_outbox(tmp_path / "t.db", 2)
    async with db.reader() as reader:
        assert len(await reader.fetchall("SELECT * FROM outbox")) == 2
        await db.close()  # a shutdown during an export: the reader closes with the rest
    with closing(sqlite3.connect(tmp_path / "t.db")) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
