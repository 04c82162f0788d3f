"""Shared fixtures: settings on a fresh database file, the bot's clock, and the real bot on
the fake messenger."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.clock import SYSTEM_CLOCK, ManualClock
from bot.config import SHIPPED_ORG_FILE, Settings
from bot.sandbox import FakeBotAPI, FakeHTTPServer, SandboxBot, SimUser
from storage import offices
from storage.db import Database
from storage.people import create_invite, redeem_invite

ADMIN_ID = 1
PROCESS_TOKEN = "424242:PROCESS_TEST"  # the token of the bot run as a separate process


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for a bot with one admin (user id 1) and a database in a temp folder."""
    return Settings(
        bot_token=None,
        database_path=tmp_path / "data" / "tashilyar.db",
        admin_ids=frozenset({ADMIN_ID}),
        org_file=SHIPPED_ORG_FILE,
        timezone=ZoneInfo("Asia/Tehran"),
    )


@pytest.fixture
def clock() -> ManualClock:
    """The bot's clock for one test: it stands at the moment the test began (whatever the
    real date and hour, which CI moves with libfaketime) until the test moves it."""
    return ManualClock(SYSTEM_CLOCK.now())


@pytest.fixture
def api() -> FakeBotAPI:
    """A fresh fake messenger."""
    return FakeBotAPI()


@pytest.fixture
async def sandbox(settings: Settings, api: FakeBotAPI,
                  clock: ManualClock) -> AsyncIterator[SandboxBot]:
    """The real application, started, talking to the fake messenger in process.

    After the test, no call the bot made may have been rejected by the messenger (a 400 for
    a too-long text or an unchanged edit is a bug the user would notice)."""
    async with SandboxBot(settings, api, clock=clock) as bot:
        yield bot
    unexpected = [
        (c.method, c.description, c.params.get("chat_id")) for c in api.rejected_calls()
        if not c.description.startswith(("injected", "Forbidden: bot was blocked"))
    ]
    assert unexpected == [], "the messenger rejected calls the bot made"


@pytest.fixture
def server() -> Iterator[FakeHTTPServer]:
    """The fake Bot API on a loopback port, for the bot run as a separate process."""
    with FakeHTTPServer(FakeBotAPI(), token=PROCESS_TOKEN) as running:
        yield running


async def seat(db: Database, user: SimUser, role: str, office: str | None = None,
               province: int | None = None) -> int:
    """Seat `user` through a real invite (of an office, or a whole province); their id."""
    office_id = None
    if office is not None:
        found = await offices.office_by_slug(db, office)
        assert found is not None
        office_id = found.id
    code = await create_invite(db, role=role, office_id=office_id, province_id=province,
                               created_by=None, days=1)
    return (await redeem_invite(db, code, user_id=user.id, display_name=user.first_name)).id


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The count of (state, input) pairs tests/test_every_input.py covered (issue 20), summed
    over its flows and xdist's workers."""
    reports = [r for key in ("passed", "failed") for r in terminalreporter.stats.get(key, [])
               if getattr(r, "when", "") == "call"]
    pairs = [v for r in reports for k, v in r.user_properties if k == "state_input_pairs"]
    if pairs:
        terminalreporter.write_line(
            f"state × input: {sum(pairs)} (state, input) pairs in {len(pairs)} flows")
