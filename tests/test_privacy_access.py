"""Sensitive categories and the access log: who sees a sensitive request's details through
which interface (every kind of person); the organisation file's `sensitive` flags; the log
refuses to be changed; `tashilyar audit` prints it in Persian with Jalali dates; the admins'
digest line counts the looks by person."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from bot.__main__ import audit, parser
from bot.access import DETAIL_INTERFACES, sees_details
from bot.clock import ManualClock
from bot.config import SHIPPED_ORG_FILE
from bot.locale.jalali import format_date_numeric, format_datetime
from bot.org import OrgFileError, load_organisation, parse_organisation
from bot.privacy import looks_digest, shown_code
from bot.sandbox import SandboxBot
from storage import privacy
from storage.db import Database
from storage.people import Person
from storage.requests import Request
from tests.test_privacy_retention import TZ, filed_and_resolved

ORG = load_organisation(SHIPPED_ORG_FILE)
OFFICE, OTHER = 1, 2

PEOPLE = {
    "the resident who filed it": Person(10, 5010, "زهرا", "resident", None, None, True),
    "another resident": Person(11, 5011, "سارا", "resident", None, None, True),
    "a facilitator of its office": Person(20, 5020, "مریم", "facilitator", OFFICE, None, True),
    "a facilitator of another office": Person(21, 5021, "علی", "facilitator", OTHER, None,
                                              True),
    "a deactivated facilitator of its office": Person(22, 5022, "حمید", "facilitator", OFFICE,
                                                      None, False),
    "its assignee (a supervisor of the office)": Person(30, 5030, "نرگس", "supervisor",
                                                        OFFICE, None, True),
    "a supervisor of its office": Person(31, 5031, "رضا", "supervisor", OFFICE, None, True),
    "a supervisor of the province": Person(32, 5032, "امید", "supervisor", None, 1, True),
    "an admin": Person(40, 5040, "مدیر", "admin", None, None, True),
    "an agency's focal point": Person(50, 5050, "آبفا", "agency", None, None, True),
}
# Who sees a sensitive request's text, media, phone and location, by interface.
SENSITIVE_GRID = {
    "the resident who filed it": {"chat"},
    "another resident": set(),
    "a facilitator of its office": {"chat"},
    "a facilitator of another office": set(),
    "a deactivated facilitator of its office": set(),
    "its assignee (a supervisor of the office)": {"chat"},
    "a supervisor of its office": set(),
    "a supervisor of the province": set(),
    "an admin": {"chat", "export"},
    "an agency's focal point": set(),
}


def request(category: str) -> Request:
    """A request of Sarasiab's office, filed by person 10, taken by person 30."""
    return Request(
        id=1, code="12345678", resident_id=10, resident_user_id=5010, resident_name="زهرا",
        office_id=OFFICE, office_name="سرآسیاب", neighbourhood_name="سرآسیاب", category=category,
        description="…", phone="+989131112233", anonymous=False, status="in_review", version=2,
        assignee_id=30, assignee_name="نرگس", duplicate_of=None,
        created_at="2026-11-01T08:00:00+00:00", updated_at="2026-11-01T09:00:00+00:00",
        resolved_at=None)


@pytest.mark.parametrize("who", sorted(PEOPLE))
def test_who_sees_a_sensitive_requests_details_through_which_interface(who: str) -> None:
    person = PEOPLE[who]
    for category in ("social_harm", "family"):
        seen = {i for i in DETAIL_INTERFACES if sees_details(person, request(category), ORG,
                                                             through=i)}
        assert seen == SENSITIVE_GRID[who], (who, category)
    ordinary = {i for i in DETAIL_INTERFACES if sees_details(person, request("urban"), ORG,
                                                             through=i)}
    assert ordinary == DETAIL_INTERFACES  # the rest: whoever may see the request at all


def test_the_organisation_file_marks_sensitive_categories() -> None:
    assert ORG.sensitive == frozenset({"social_harm", "family"})
    assert ORG.is_sensitive("family") and not ORG.is_sensitive("urban")
    data = {"organisation": {"name": "x"}, "provinces": [{"slug": "k", "name": "ک"}],
            "offices": [{"slug": "o", "name": "د", "province": "k", "city": "ک",
                         "neighbourhoods": [{"slug": "n", "name": "م"}]}],
            "requests": {"sensitive": {"social_harm": "yes"}}}
    with pytest.raises(OrgFileError, match="sensitive must map categories to true or false"):
        parse_organisation(data)
    data["requests"] = {"sensitive": {"social_harm": True, "health": False}}
    assert parse_organisation(data).sensitive == frozenset({"social_harm"})
    with pytest.raises(ValueError, match="unknown interface"):
        sees_details(PEOPLE["an admin"], request("urban"), ORG, through="fax")


async def test_the_access_log_is_append_only_and_audit_prints_it(
    sandbox: SandboxBot, clock: ManualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    db = sandbox.db
    assert db is not None
    filed = await filed_and_resolved(sandbox, 7001, 1)
    other = await filed_and_resolved(sandbox, 7002, 2)
    staff = await db.fetchone("SELECT id FROM people WHERE user_id = 900")
    assert staff is not None
    clock.set(clock.now().replace(microsecond=0))
    first = clock.now()
    await privacy.log_look(db, person_id=staff[0], kind="phone", through="chat",
                           request_id=filed.id)
    clock.advance(timedelta(minutes=3))
    await privacy.log_look(db, person_id=staff[0], kind="details", through="dashboard",
                           request_id=other.id)
    async with db.transaction() as tx:  # inside a caller's transaction
        await privacy.log_look(tx, person_id=None, kind="export", through="cli",
                               detail="phones", at=db.now_iso())
    with pytest.raises(ValueError):
        await privacy.log_look(db, person_id=None, kind="export", through="fax")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        await db.execute("UPDATE access_log SET person_id = NULL")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        await db.execute("DELETE FROM access_log")

    assert [look.kind for look in await privacy.looks(db, person=staff[0])] == [
        "phone", "details"]
    assert [look.kind for look in await privacy.looks(db, request_code=shown_code(
        filed.code))] == ["phone"]

    args = parser().parse_args(["audit", "--request", filed.code])
    assert await audit(sandbox.services.settings, args, clock) == 0
    printed = capsys.readouterr().out.strip()
    assert printed == (f"{format_datetime(first, TZ)} — مریم، تسهیل‌گر (#{shown_id(staff[0])})"
                       f" — دیدن شمارهٔ تماس (درخواست {shown_code(filed.code)}) — از راه گفت‌وگو")
    args = parser().parse_args(["audit"])
    assert await audit(sandbox.services.settings, args, clock) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3 and "داشبورد" in lines[1]
    assert lines[2].endswith("گرداننده (خط فرمان) — خروجی با اطلاعات شخصی (phones) — از راه "
                             "خط فرمان")
    tomorrow = format_date_numeric((clock.now() + timedelta(days=1)).astimezone(TZ).date())
    args = parser().parse_args(["audit", "--since", tomorrow, "--person", str(staff[0])])
    assert await audit(sandbox.services.settings, args, clock) == 0
    assert capsys.readouterr().out.strip() == "نگاهی ثبت نشده است."

    line = await looks_digest(sandbox.services, first - timedelta(hours=1), clock.now()
                              + timedelta(hours=1))
    assert line == "🔍 نگاه به اطلاعات شخصی در این دوره: ۳ بار — مریم ۲، گرداننده (خط فرمان) ۱"
    assert await looks_digest(sandbox.services, first + timedelta(days=1),
                              first + timedelta(days=2)) is None


def shown_id(person_id: int) -> str:
    """A person id in Persian digits."""
    return str(person_id).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))



async def test_a_database_of_version_8_migrates_with_its_requests_unflagged(
    tmp_path: Path, clock: ManualClock
) -> None:
    db = await Database.open(tmp_path / "old.db", clock=clock.now, target=8)
    try:
        stamp = db.now_iso()
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO provinces (id, slug, name) VALUES (1, 'k', 'کرمان')")
            await tx.execute("INSERT INTO offices (id, slug, name, province_id, city) "
                             "VALUES (1, 'o', 'دفتر', 1, 'کرمان')")
            await tx.execute("INSERT INTO people (id, user_id, display_name, role, created_at, "
                             "updated_at) VALUES (1, 5010, 'زهرا', 'resident', ?, ?)",
                             (stamp, stamp))
            await tx.execute("INSERT INTO requests (code, draft_id, resident_id, office_id, "
                             "category, description, created_at, updated_at) "
                             "VALUES ('12345678', 1, 1, 1, 'urban', 'متن', ?, ?)", (stamp, stamp))
        assert 13 in await db.migrate()
        assert await privacy.request_flags(db, 1) == (False, False)
        assert not await privacy.is_forgotten(db, 1)
        assert await privacy.last_run(db) is None and await privacy.looks(db) == []
    finally:
        await db.close()
