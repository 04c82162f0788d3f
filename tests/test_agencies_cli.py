"""The command line for agencies: `tashilyar invite --role agency --agency SLUG` (a focal
point of a province or an office) and `tashilyar apikey` (a new key, shown once; revoke;
list)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.clock import SYSTEM_CLOCK
from storage import apikeys, referrals
from storage.db import Database
from storage.people import Person, redeem_invite


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The command line's settings: a fresh database in a temp folder, no token."""
    path = tmp_path / "tashilyar.db"
    monkeypatch.setenv("ENV_FILE", str(tmp_path / "absent.env"))
    monkeypatch.setenv("DATABASE_PATH", str(path))
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    return path


def redeem(path: Path, code: str, user_id: int) -> tuple[Person, list[int]]:
    """Use an invite as a new person; (the person, the offices of their scope)."""
    async def run() -> tuple[Person, list[int]]:
        db = await Database.open(path, clock=SYSTEM_CLOCK.now)
        try:
            person = await redeem_invite(db, code, user_id=user_id, display_name="رضا")
            return person, await referrals.focal_point_offices(db, person.id)
        finally:
            await db.close()
    return asyncio.run(run())


def with_db(path: Path, key: str) -> str | None:
    """The agency a key opens, asked of the database."""
    async def run() -> str | None:
        db = await Database.open(path, clock=SYSTEM_CLOCK.now)
        try:
            return await apikeys.agency_of(db, key)
        finally:
            await db.close()
    return asyncio.run(run())


def invite_code(out: str) -> str:
    """The code an invite printed."""
    found = re.search(r"/start ([0-9a-z]{16})", out)
    assert found, out
    return found.group(1)


def test_an_agency_focal_point_is_invited_for_a_province_or_an_office(
        database: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["invite", "--role", "agency", "--agency", "abfa", "--province", "kerman"]) == 0
    out = capsys.readouterr().out
    assert "invite code (agency of abfa, valid 7 days, single use)" in out
    person, offices = redeem(database, invite_code(out), 700)
    assert (person.role, person.agency) == ("agency", "abfa") and len(offices) == 10

    assert main(["invite", "--role", "agency", "--agency", "gas", "--office", "pamenar",
                 "--days", "2"]) == 0
    person, offices = redeem(database, invite_code(capsys.readouterr().out), 701)
    assert (person.role, person.agency, len(offices)) == ("agency", "gas", 1)


def test_an_agency_invite_refuses_what_it_cannot_be(
        database: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["invite", "--role", "agency", "--office", "pamenar"]) == 2
    assert "--agency" in capsys.readouterr().err
    assert main(["invite", "--role", "facilitator", "--agency", "abfa",
                 "--office", "pamenar"]) == 2
    assert "--agency" in capsys.readouterr().err
    assert main(["invite", "--role", "agency", "--agency", "water", "--office", "pamenar"]) == 2
    err = capsys.readouterr().err
    assert "no agency 'water'" in err and "abfa" in err


def test_apikey_prints_a_new_key_then_revokes_it(
        database: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["apikey", "--agency", "abfa"]) == 0
    out = capsys.readouterr().out
    found = re.search(r"api_key\): (\S+)", out)
    assert found, out
    key = found.group(1)
    assert f"tashilyar apikey --revoke {key[:8]}" in out
    assert with_db(database, key) == "abfa"

    assert main(["apikey", "--list"]) == 0
    listed = capsys.readouterr().out
    assert f"{key[:8]}…  abfa" in listed and "active" in listed and key not in listed

    assert main(["apikey", "--revoke", key[:3]]) == 2
    assert "at least 6" in capsys.readouterr().err
    assert main(["apikey", "--revoke", key[:8]]) == 0
    assert f"revoked the key {key[:8]}… of abfa" in capsys.readouterr().out
    assert with_db(database, key) is None

    assert main(["apikey"]) == 2
    assert "--agency" in capsys.readouterr().err
    assert main(["apikey", "--agency", "water"]) == 2
    assert "no agency 'water'" in capsys.readouterr().err
