"""Provinces, offices and neighbourhoods: synced from the organisation file, then queried.

The sync takes plain values (storage knows nothing of the bot's types): it adds what is
new, renames what changed, and never deletes a row; entries gone from the file are marked
inactive so nothing that references them breaks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from storage.db import Database, Row


@dataclass(frozen=True)
class OfficeRow:
    """An office as stored."""

    id: int
    slug: str
    name: str
    province_id: int
    province_name: str
    city: str
    active: bool


@dataclass(frozen=True)
class NeighbourhoodRow:
    """A neighbourhood as stored."""

    id: int
    office_id: int
    slug: str
    name: str


@dataclass(frozen=True)
class OfficeSpec:
    """What the organisation file says of one office."""

    slug: str
    name: str
    province: str
    city: str
    neighbourhoods: tuple[tuple[str, str], ...]  # (slug, name)


async def sync_organisation(
    db: Database, provinces: Iterable[tuple[str, str]], offices: Iterable[OfficeSpec]
) -> None:
    """Make the tables match the file: insert new, rename changed, deactivate missing."""
    offices = list(offices)
    async with db.transaction() as tx:
        for slug, name in provinces:
            await tx.execute(
                "INSERT INTO provinces (slug, name) VALUES (?, ?) "
                "ON CONFLICT (slug) DO UPDATE SET name = excluded.name",
                (slug, name),
            )
        await tx.execute("UPDATE offices SET active = 0")
        await tx.execute("UPDATE neighbourhoods SET active = 0")
        for office in offices:
            await tx.execute(
                "INSERT INTO offices (slug, name, province_id, city, active) "
                "VALUES (?, ?, (SELECT id FROM provinces WHERE slug = ?), ?, 1) "
                "ON CONFLICT (slug) DO UPDATE SET name = excluded.name, "
                "province_id = excluded.province_id, city = excluded.city, active = 1",
                (office.slug, office.name, office.province, office.city),
            )
            for hood_slug, hood_name in office.neighbourhoods:
                await tx.execute(
                    "INSERT INTO neighbourhoods (office_id, slug, name, active) "
                    "VALUES ((SELECT id FROM offices WHERE slug = ?), ?, ?, 1) "
                    "ON CONFLICT (office_id, slug) DO UPDATE SET name = excluded.name, active = 1",
                    (office.slug, hood_slug, hood_name),
                )


_OFFICE_SELECT = (
    "SELECT o.id, o.slug, o.name, o.province_id, p.name AS province_name, o.city, o.active "
    "FROM offices o JOIN provinces p ON p.id = o.province_id "
)


def _office(r: Row) -> OfficeRow:
    return OfficeRow(
        r["id"], r["slug"], r["name"], r["province_id"], r["province_name"], r["city"],
        bool(r["active"]),
    )


async def list_offices(db: Database, *, active_only: bool = True) -> list[OfficeRow]:
    """All offices, in the order of the organisation file."""
    where = "WHERE o.active = 1 " if active_only else ""
    rows = await db.fetchall(_OFFICE_SELECT + where + "ORDER BY o.id")
    return [_office(r) for r in rows]


async def office_by_slug(db: Database, slug: str) -> OfficeRow | None:
    """The active office with this slug."""
    row = await db.fetchone(_OFFICE_SELECT + "WHERE o.slug = ? AND o.active = 1", (slug,))
    return _office(row) if row else None


async def office_by_id(db: Database, office_id: int) -> OfficeRow | None:
    """The office with this id, active or not."""
    row = await db.fetchone(_OFFICE_SELECT + "WHERE o.id = ?", (office_id,))
    return _office(row) if row else None


async def province_by_slug(db: Database, slug: str) -> tuple[int, str] | None:
    """(id, name) of the province with this slug."""
    row = await db.fetchone("SELECT id, name FROM provinces WHERE slug = ?", (slug,))
    return (row["id"], row["name"]) if row else None


async def list_provinces(db: Database) -> list[tuple[int, str]]:
    """(id, name) of every province, by name."""
    rows = await db.fetchall("SELECT id, name FROM provinces ORDER BY name")
    return [(r["id"], r["name"]) for r in rows]


async def province_by_id(db: Database, province_id: int) -> tuple[int, str] | None:
    """(id, name) of the province with this id."""
    row = await db.fetchone("SELECT id, name FROM provinces WHERE id = ?", (province_id,))
    return (row["id"], row["name"]) if row else None


async def province_name(db: Database, province_id: int) -> str:
    """The province's name."""
    row = await db.fetchone("SELECT name FROM provinces WHERE id = ?", (province_id,))
    return row["name"] if row else ""


async def offices_in_province(db: Database, province_id: int) -> list[OfficeRow]:
    """Active offices of one province."""
    rows = await db.fetchall(
        _OFFICE_SELECT + "WHERE o.province_id = ? AND o.active = 1 ORDER BY o.id",
        (province_id,),
    )
    return [_office(r) for r in rows]


async def neighbourhoods_of(db: Database, office_id: int) -> list[NeighbourhoodRow]:
    """Active neighbourhoods an office serves, in the order of the organisation file."""
    rows = await db.fetchall(
        "SELECT id, office_id, slug, name FROM neighbourhoods "
        "WHERE office_id = ? AND active = 1 ORDER BY id",
        (office_id,),
    )
    return [NeighbourhoodRow(r["id"], r["office_id"], r["slug"], r["name"]) for r in rows]


async def all_neighbourhoods(db: Database) -> list[NeighbourhoodRow]:
    """Active neighbourhoods of every active office, in the order of the organisation file."""
    rows = await db.fetchall(
        "SELECT n.id, n.office_id, n.slug, n.name FROM neighbourhoods n "
        "JOIN offices o ON o.id = n.office_id WHERE n.active = 1 AND o.active = 1 ORDER BY n.id")
    return [NeighbourhoodRow(r["id"], r["office_id"], r["slug"], r["name"]) for r in rows]


async def office_of_neighbourhood(db: Database, neighbourhood_id: int) -> int | None:
    """The office that serves a neighbourhood."""
    row = await db.fetchone("SELECT office_id FROM neighbourhoods WHERE id = ?",
                            (neighbourhood_id,))
    return int(row["office_id"]) if row else None
