"""API keys per agency (Open311): a random token shown once, stored as its sha256 with its
first characters (to name it when revoking), revocable, with when it was last used."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from storage.db import Database

PREFIX_LENGTH = 8


@dataclass(frozen=True)
class ApiKey:
    """A stored key (never the key itself)."""

    id: int
    agency: str
    prefix: str
    created_at: str
    revoked_at: str | None
    last_used_at: str | None


def _hash(key: str) -> str:
    return hashlib.sha256(key.strip().encode()).hexdigest()


def _key(row: tuple[object, ...]) -> ApiKey:
    id_, agency, prefix, created, revoked, used = row
    return ApiKey(int(str(id_)), str(agency), str(prefix), str(created),
                  None if revoked is None else str(revoked),
                  None if used is None else str(used))


_SELECT = "SELECT id, agency, prefix, created_at, revoked_at, last_used_at FROM api_keys "


async def create(db: Database, agency: str) -> str:
    """A new key for the agency (32 random bytes, URL-safe); returned once, stored hashed."""
    key = secrets.token_urlsafe(32)
    await db.execute(
        "INSERT INTO api_keys (agency, prefix, key_hash, created_at) VALUES (?, ?, ?, ?)",
        (agency, key[:PREFIX_LENGTH], _hash(key), db.now_iso()))
    return key


async def agency_of(db: Database, key: str | None) -> str | None:
    """The agency a valid, unrevoked key belongs to (noting its use), or None."""
    if not key or not key.strip():
        return None
    row = await db.fetchone(
        "SELECT id, agency FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL",
        (_hash(key),))
    if row is None:
        return None
    await db.execute("UPDATE api_keys SET last_used_at = ? WHERE id = ?",
                     (db.now_iso(), row["id"]))
    return str(row["agency"])


async def revoke(db: Database, prefix: str, *, agency: str | None = None) -> list[ApiKey]:
    """Revoke the unrevoked keys whose text starts with `prefix` (at least 6 characters, or
    the whole key), of one agency if given; the keys revoked."""
    prefix = prefix.strip()
    if len(prefix) < 6:
        return []
    rows = await db.fetchall(_SELECT + "WHERE revoked_at IS NULL AND (key_hash = ? OR "
                             "substr(prefix, 1, ?) = ?) ORDER BY id",
                             (_hash(prefix), min(len(prefix), PREFIX_LENGTH),
                              prefix[:PREFIX_LENGTH]))
    found = [_key(tuple(r)) for r in rows if agency is None or r["agency"] == agency]
    now = db.now_iso()
    async with db.transaction() as tx:
        for key in found:
            await tx.execute("UPDATE api_keys SET revoked_at = ? WHERE id = ?", (now, key.id))
    return [ApiKey(k.id, k.agency, k.prefix, k.created_at, now, k.last_used_at) for k in found]


async def list_keys(db: Database, agency: str | None = None) -> list[ApiKey]:
    """Stored keys, of one agency or all, oldest first."""
    if agency is None:
        rows = await db.fetchall(_SELECT + "ORDER BY id")
    else:
        rows = await db.fetchall(_SELECT + "WHERE agency = ? ORDER BY id", (agency,))
    return [_key(tuple(r)) for r in rows]
