"""Dashboard sign-in: sessions (12 hours, revoked on «خروج» or when the person is
deactivated) and the one-time links `/dashboard` sends (single use, 10 minutes).

Tokens are random (`secrets.token_urlsafe`), handed out once and stored only as sha256
hashes. A session is valid only while its person is active staff, whatever the row says.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from storage.db import Database, utc_now_iso
from storage.people import Person, get_person_by_id

SESSION_HOURS = 12
LINK_MINUTES = 10
STAFF = ("admin", "supervisor", "facilitator")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Session:
    """A signed-in person and the CSRF token their POSTs carry."""

    person: Person
    csrf: str


async def create_session(db: Database, person_id: int,
                         hours: int = SESSION_HOURS) -> tuple[str, Session]:
    """A new session for this person: (the cookie's token, the session)."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    now = db.now()
    await db.execute(
        "INSERT INTO web_sessions (token_hash, person_id, csrf, created_at, expires_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (_hash(token), person_id, csrf, utc_now_iso(now),
         utc_now_iso(now + timedelta(hours=hours))))
    person = await get_person_by_id(db, person_id)
    assert person is not None
    return token, Session(person, csrf)


async def session_of(db: Database, token: str) -> Session | None:
    """The live session of a cookie's token: not expired, not revoked, its person active
    staff."""
    if not token:
        return None
    row = await db.fetchone(
        "SELECT s.person_id, s.csrf FROM web_sessions s JOIN people p ON p.id = s.person_id "
        "WHERE s.token_hash = ? AND s.revoked_at IS NULL AND s.expires_at > ? "
        f"AND p.active = 1 AND p.role IN {STAFF}", (_hash(token), db.now_iso()))
    if row is None:
        return None
    person = await get_person_by_id(db, row["person_id"])
    return Session(person, row["csrf"]) if person is not None else None


async def revoke(db: Database, token: str) -> None:
    """End one session («خروج»)."""
    await db.execute("UPDATE web_sessions SET revoked_at = ? WHERE token_hash = ? "
                     "AND revoked_at IS NULL", (db.now_iso(), _hash(token)))


async def revoke_person(db: Database, person_id: int) -> int:
    """End every session of a person; how many were live."""
    return await db.execute("UPDATE web_sessions SET revoked_at = ? WHERE person_id = ? "
                            "AND revoked_at IS NULL", (db.now_iso(), person_id))


async def create_login_link(db: Database, person_id: int,
                            minutes: int = LINK_MINUTES) -> str:
    """A one-time sign-in token for a desktop browser."""
    token = secrets.token_urlsafe(32)
    now = db.now()
    await db.execute(
        "INSERT INTO web_login_links (token_hash, person_id, created_at, expires_at) "
        "VALUES (?, ?, ?, ?)",
        (_hash(token), person_id, utc_now_iso(now),
         utc_now_iso(now + timedelta(minutes=minutes))))
    return token


async def redeem_login_link(db: Database, token: str) -> int | None:
    """The person a one-time token signs in, marking it used; None if unknown, used or
    expired (of two redeeming at once, one wins)."""
    if not token:
        return None
    now = db.now_iso()
    row = await db.fetchone(
        "UPDATE web_login_links SET used_at = ? WHERE token_hash = ? AND used_at IS NULL "
        "AND expires_at > ? RETURNING person_id", (now, _hash(token), now))
    return int(row[0]) if row else None
