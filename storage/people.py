"""People and invites: who someone is, their role and office, and how staff join.

Anyone who writes to the bot becomes a resident. Admins come from the settings. Staff
(supervisors, facilitators) and agency focal points (role 'agency': an agency of the
organisation file, within a province or offices) join only by redeeming an invite: a
one-time, expiring code of 80 random bits, of which only a hash is stored.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiosqlite

from storage import audit, outbox
from storage.db import Database, Row, utc_now_iso
from storage.outbox import Owed
from storage.requests import OPEN_SQL

ROLES = ("admin", "supervisor", "facilitator", "resident", "agency")
STAFF_ROLES = ("admin", "supervisor", "facilitator")
INVITE_ROLES = ("supervisor", "facilitator", "agency")
# Crockford's base32 without the letters easily confused: 16 symbols of 5 bits = 80 bits.
CODE_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
CODE_LENGTH = 16


@dataclass(frozen=True)
class Person:
    """Someone who has written to the bot."""

    id: int
    user_id: int
    display_name: str
    role: str
    office_id: int | None
    province_id: int | None
    active: bool
    agency: str | None = None  # a focal point's agency (organisation file slug)

    @property
    def is_staff(self) -> bool:
        """An active admin, supervisor or facilitator."""
        return self.active and self.role in STAFF_ROLES

    @property
    def effective_role(self) -> str:
        """The role the bot treats them as: deactivated staff are treated as residents."""
        return self.role if self.active else "resident"


class InviteError(ValueError):
    """An invite code cannot be used; `reason` is unknown, used, expired or admin."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _person(row: Row) -> Person:
    return Person(
        row["id"], row["user_id"], row["display_name"], row["role"], row["office_id"],
        row["province_id"], bool(row["active"]), row["agency"],
    )


_SELECT = ("SELECT id, user_id, display_name, role, office_id, province_id, active, agency "
           "FROM people ")


async def get_person(db: Database, user_id: int) -> Person | None:
    """The person with this messenger user id."""
    row = await db.fetchone(_SELECT + "WHERE user_id = ?", (user_id,))
    return _person(row) if row else None


async def get_person_by_id(db: Database, person_id: int) -> Person | None:
    """The person with this row id."""
    row = await db.fetchone(_SELECT + "WHERE id = ?", (person_id,))
    return _person(row) if row else None


async def resolve_person(
    db: Database, user_id: int, display_name: str, admin_ids: frozenset[int]
) -> Person:
    """The person behind an update, created as a resident (or admin) on first contact.

    Writes only when something changed, so an ordinary update costs one read.
    """
    person = await get_person(db, user_id)
    wants_admin = user_id in admin_ids
    if (
        person is not None
        and person.display_name == display_name
        and (not wants_admin or (person.role == "admin" and person.active))
    ):
        return person
    now = db.now_iso()
    async with db.transaction() as tx:
        if person is None:
            await tx.execute(
                "INSERT INTO people (user_id, display_name, role, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (user_id, display_name, "admin" if wants_admin else "resident", now, now),
            )
        else:
            await tx.execute(
                "UPDATE people SET display_name = ?, updated_at = ? WHERE user_id = ?",
                (display_name, now, user_id),
            )
            if wants_admin:
                await tx.execute(
                    "UPDATE people SET role = 'admin', office_id = NULL, province_id = NULL, "
                    "active = 1 WHERE user_id = ?",
                    (user_id,),
                )
    fresh = await get_person(db, user_id)
    assert fresh is not None
    return fresh


async def ensure_admins(db: Database, admin_ids: Iterable[int]) -> None:
    """Make every configured admin id an active admin (creating rows as needed)."""
    now = db.now_iso()
    async with db.transaction() as tx:
        for user_id in admin_ids:
            await tx.execute(
                "INSERT INTO people (user_id, role, created_at, updated_at) "
                "VALUES (?, 'admin', ?, ?) ON CONFLICT (user_id) DO UPDATE SET role = 'admin', "
                "office_id = NULL, province_id = NULL, active = 1",
                (user_id, now, now),
            )


def new_invite_code() -> str:
    """A fresh code: 16 symbols of a 32-letter alphabet, 80 bits from `secrets`."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def canonical_code(text: str) -> str:
    """The code as stored: lower case, no spaces or dashes, look-alikes folded (o→0, i/l→1)."""
    folded = text.strip().lower().replace("-", "").replace(" ", "")
    return folded.translate(str.maketrans("oil", "011"))


def looks_like_code(text: str) -> bool:
    """True if the text has the shape of an invite code (before checking it exists)."""
    code = canonical_code(text)
    return len(code) == CODE_LENGTH and all(ch in CODE_ALPHABET for ch in code)


def _hash(code: str) -> str:
    return hashlib.sha256(canonical_code(code).encode()).hexdigest()


async def create_invite(
    db: Database,
    *,
    role: str,
    office_id: int | None = None,
    province_id: int | None = None,
    created_by: int | None,
    days: int,
    now: datetime | None = None,
    agency: str | None = None,
) -> str:
    """Store a new invite and return its code (shown once, never stored in clear). A focal
    point's invite (role 'agency') names the agency too."""
    if role not in INVITE_ROLES:
        raise ValueError(f"invites are for {INVITE_ROLES}, not {role!r}")
    if (office_id is None) == (province_id is None):
        raise ValueError("an invite names either an office or a province")
    if (role == "agency") != (agency is not None):
        raise ValueError("an agency's invite, and only it, names the agency")
    now = now or db.now()
    code = new_invite_code()
    async with db.transaction() as tx:
        cursor = await tx.execute(
            "INSERT INTO invites (code_hash, role, office_id, province_id, created_by, "
            "created_at, expires_at, agency) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (_hash(code), role, office_id, province_id, created_by, utc_now_iso(now),
             utc_now_iso(now + timedelta(days=days)), agency),
        )
        await audit.record(
            tx, "invite.create", at=utc_now_iso(now), actor_id=created_by,
            subject=f"invite:{cursor.lastrowid}",
            detail={"role": role, "office_id": office_id, "province_id": province_id,
                    "days": days} | ({"agency": agency} if agency else {}),
        )
    return code


async def redeem_invite(
    db: Database, code: str, *, user_id: int, display_name: str, now: datetime | None = None
) -> Person:
    """Use an invite: the person gets its role and office. Raises InviteError."""
    now_iso = utc_now_iso(now or db.now())
    async with db.transaction() as tx:
        cursor = await tx.execute(
            "SELECT id, role, office_id, province_id, expires_at, used_at, agency FROM invites "
            "WHERE code_hash = ?",
            (_hash(code),),
        )
        invite = await cursor.fetchone()
        if invite is None:
            raise InviteError("unknown")
        if invite["used_at"] is not None:
            raise InviteError("used")
        if invite["expires_at"] <= now_iso:
            raise InviteError("expired")
        cursor = await tx.execute(
            "SELECT id, role, active, agency FROM people WHERE user_id = ?", (user_id,))
        existing = await cursor.fetchone()
        if existing is not None and existing["role"] == "admin" and existing["active"]:
            raise InviteError("admin")
        await tx.execute(
            "INSERT INTO people (user_id, display_name, role, office_id, province_id, active, "
            "created_at, updated_at, staff_since, agency) VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET display_name = excluded.display_name, "
            "role = excluded.role, office_id = excluded.office_id, "
            "province_id = excluded.province_id, active = 1, updated_at = excluded.updated_at, "
            "staff_since = excluded.staff_since, agency = excluded.agency",
            (user_id, display_name, invite["role"], invite["office_id"], invite["province_id"],
             now_iso, now_iso, now_iso, invite["agency"]),
        )
        cursor = await tx.execute("SELECT id FROM people WHERE user_id = ?", (user_id,))
        person_row = await cursor.fetchone()
        assert person_row is not None
        person_id = person_row["id"]
        await _agency_scope(tx, person_id, invite, existing)
        # The WHERE makes a second redemption racing this one change nothing.
        cursor = await tx.execute(
            "UPDATE invites SET used_at = ?, used_by = ? WHERE id = ? AND used_at IS NULL",
            (now_iso, person_id, invite["id"]),
        )
        if cursor.rowcount != 1:
            raise InviteError("used")
        await audit.record(
            tx, "invite.use", at=now_iso, actor_id=person_id, subject=f"invite:{invite['id']}",
            detail={"role": invite["role"]},
        )
    person = await get_person(db, user_id)
    assert person is not None
    return person


async def _agency_scope(tx: aiosqlite.Connection, person_id: int, invite: Row,
                        before: Row | None) -> None:
    """A focal point's offices: an office invite adds its office to those they had for the
    same agency (a province invite covers the province); any other role or agency starts
    afresh."""
    same = (before is not None and before["role"] == "agency" and before["active"]
            and before["agency"] == invite["agency"])
    if not same or invite["role"] != "agency" or invite["office_id"] is None:
        await tx.execute("DELETE FROM agency_offices WHERE person_id = ?", (person_id,))
    if invite["role"] == "agency" and invite["office_id"] is not None:
        await tx.execute("INSERT OR IGNORE INTO agency_offices (person_id, office_id) "
                         "VALUES (?, ?)", (person_id, invite["office_id"]))


async def list_staff(
    db: Database, *, office_id: int | None = None, province_id: int | None = None
) -> list[Person]:
    """Supervisors and facilitators of one office (or, by province, its province-wide ones)."""
    if office_id is not None:
        rows = await db.fetchall(
            _SELECT + "WHERE office_id = ? AND role IN ('supervisor', 'facilitator') "
            "ORDER BY role, display_name",
            (office_id,),
        )
    else:
        rows = await db.fetchall(
            _SELECT + "WHERE province_id = ? AND role = 'supervisor' ORDER BY display_name",
            (province_id,),
        )
    return [_person(r) for r in rows]


Returned = Callable[[Sequence[tuple[int, str, int]]], Iterable[Owed]]


async def set_active(db: Database, person_id: int, active: bool, *, actor_id: int,
                     returned: Returned | None = None) -> Person:
    """Deactivate or reactivate a staff member; takes effect on their next update. A
    deactivation also ends their dashboard sessions (migration 0011's trigger) and returns
    their open requests to their office's pool (a `release` in each trail); `returned(
    [(id, code, office id)])` are the notices to their colleagues, owed in the same
    transaction."""
    now = db.now()
    stamp = utc_now_iso(now)
    async with db.transaction() as tx:
        await tx.execute(
            "UPDATE people SET active = ?, updated_at = ? WHERE id = ?",
            (int(active), stamp, person_id),
        )
        await audit.record(
            tx, "person.activate" if active else "person.deactivate", at=stamp,
            actor_id=actor_id, subject=f"person:{person_id}",
        )
        if not active:
            await _return_requests(tx, person_id, stamp, now, returned)
    person = await get_person_by_id(db, person_id)
    assert person is not None
    return person


async def _return_requests(tx: aiosqlite.Connection, person_id: int, stamp: str,
                           now: datetime, returned: Returned | None) -> None:
    """A leaving colleague's open requests back in their office's pool, colleagues told."""
    rows = [(int(r[0]), str(r[1]), int(r[2])) for r in await (await tx.execute(
        f"SELECT id, code, office_id FROM requests WHERE assignee_id = ? AND status IN "
        f"{OPEN_SQL} ORDER BY id", (person_id,))).fetchall()]
    if not rows:
        return
    await tx.executemany(
        "UPDATE requests SET assignee_id = NULL, version = version + 1, updated_at = ? "
        "WHERE id = ?", [(stamp, r[0]) for r in rows])
    await tx.executemany(
        "INSERT INTO request_events (request_id, at, actor_id, kind, public) "
        "VALUES (?, ?, ?, 'release', 0)", [(r[0], stamp, person_id) for r in rows])
    for owed in returned(rows) if returned else ():
        await outbox.owe(tx, owed, now)


async def active_with_role(db: Database, role: str) -> list[tuple[Person, str | None]]:
    """Active people of a role, with when they joined as staff."""
    rows = await db.fetchall(
        "SELECT id, user_id, display_name, role, office_id, province_id, active, agency, "
        "staff_since "
        "FROM people WHERE role = ? AND active = 1 ORDER BY id", (role,))
    return [(_person(r), r["staff_since"]) for r in rows]


async def facilitators(db: Database) -> list[tuple[int, int]]:
    """(user id, office id) of every active facilitator."""
    rows = await db.fetchall(
        "SELECT user_id, office_id FROM people WHERE role = 'facilitator' AND active = 1 "
        "AND office_id IS NOT NULL ORDER BY id")
    return [(r[0], r[1]) for r in rows]


async def digest_audience(db: Database) -> tuple[int, str, int, str]:
    """A cheap fingerprint of who receives digests (supervisors and their group chats): it
    changes whenever a supervisor or a digest chat is added, changed or removed."""
    row = await db.fetchone(
        "SELECT (SELECT count(*) FROM people WHERE role = 'supervisor' AND active = 1), "
        "(SELECT coalesce(max(updated_at), '') || coalesce(max(staff_since), '') FROM people "
        "WHERE role = 'supervisor'), "
        "(SELECT count(*) FROM digest_chats), "
        "(SELECT coalesce(max(added_at), '') FROM digest_chats)")
    assert row is not None
    return int(row[0]), str(row[1]), int(row[2]), str(row[3])


async def digest_chats(db: Database, person_id: int) -> list[int]:
    """Group chats that also receive this supervisor's digests."""
    rows = await db.fetchall(
        "SELECT chat_id FROM digest_chats WHERE person_id = ? ORDER BY added_at", (person_id,))
    return [r[0] for r in rows]


async def add_digest_chat(db: Database, person_id: int, chat_id: int, title: str) -> None:
    """Send this supervisor's digests to a group chat too."""
    await db.execute(
        "INSERT OR IGNORE INTO digest_chats (person_id, chat_id, title, added_at) "
        "VALUES (?, ?, ?, ?)", (person_id, chat_id, title, db.now_iso()))
