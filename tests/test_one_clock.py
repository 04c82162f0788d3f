"""One clock: no module of the bot reads the wall clock except `bot/clock.py`, and the
clocks themselves behave (a ManualClock stands still, a StartedClock starts where told).

The guard reads the source (Python's own parser, not a text search), so a new
`datetime.now()` in a handler fails here before it makes a test pass only on some dates."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import SYSTEM_CLOCK, ManualClock, StartedClock, clock_starting_at

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "storage", "web")
ALLOWED = {Path("bot/clock.py")}
# (object, attribute) pairs that read the wall clock or a clock of their own.
CLOCK_CALLS = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"),
               ("date", "today"), ("time", "time"), ("time", "monotonic"),
               ("time", "time_ns"), ("time", "monotonic_ns"), ("time", "localtime"),
               ("time", "gmtime")}
CLOCK_IMPORTS = {("time", "time"), ("time", "monotonic"), ("time", "time_ns"),
                 ("time", "monotonic_ns"), ("time", "localtime")}


def clock_reads(source: str) -> list[tuple[int, str]]:
    """(line, what) for every direct read of a clock in `source`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
            if (name, node.func.attr) in CLOCK_CALLS:
                found.append((node.lineno, f"{name}.{node.func.attr}()"))
        elif isinstance(node, ast.ImportFrom) and node.module == "time":
            found += [(node.lineno, f"from time import {alias.name}") for alias in node.names
                      if ("time", alias.name) in CLOCK_IMPORTS]
    return found


def test_no_module_reads_the_wall_clock_but_the_clock() -> None:
    offenders = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if relative in ALLOWED:
                continue
            offenders += [f"{relative}:{line}: {what}"
                          for line, what in clock_reads(path.read_text(encoding="utf-8"))]
    assert offenders == [], "read the time from the app's clock (bot/clock.py) instead"


@pytest.mark.parametrize("snippet", [
    "from datetime import datetime\nx = datetime.now()",
    "import datetime\nx = datetime.datetime.now(datetime.UTC)",
    "from datetime import date\nx = date.today()",
    "import time\nx = time.time()",
    "import time\nx = time.monotonic()",
    "from time import monotonic",
    "import jdatetime\nx = jdatetime.datetime.now()",
])
def test_the_guard_sees_every_way_of_reading_the_clock(snippet: str) -> None:
    assert clock_reads(snippet), snippet


def test_the_guard_lets_instants_passed_in_alone() -> None:
    assert clock_reads("def f(now):\n    return now.date(), now.astimezone()") == []


def test_a_manual_clock_stands_still_until_moved() -> None:
    start = datetime(2025, 3, 20, 20, 25, tzinfo=UTC)  # 23:55 in Tehran, 30 Esfand 1403
    clock = ManualClock(start)
    assert clock.now() == clock.now() == start
    before = clock.monotonic()
    clock.advance(timedelta(minutes=10))
    assert clock.now() == start + timedelta(minutes=10)
    assert clock.monotonic() - before == 600
    clock.set(start)  # back in time: the monotonic reading does not go back
    assert clock.now() == start and clock.monotonic() - before == 600
    with pytest.raises(ValueError):
        ManualClock(datetime(2025, 3, 20, 20, 25))


def test_a_started_clock_begins_where_it_is_told_and_runs() -> None:
    start = datetime(2025, 3, 20, 20, 29, 50, tzinfo=UTC)
    clock = StartedClock(start)
    first, second = clock.now(), clock.now()
    assert start <= first <= second < start + timedelta(minutes=1)
    assert clock_starting_at(None) is SYSTEM_CLOCK
    assert isinstance(clock_starting_at(start), StartedClock)
