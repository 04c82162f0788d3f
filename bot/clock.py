"""The bot's one clock: every part that needs the time asks the `Clock` it was given.

`Clock` reads the machine's time (UTC instants and a monotonic reading for intervals);
`ManualClock` stands still until a test moves it, so a test can be at any Tehran moment
(the last minute of a leap Esfand, a Friday evening) whatever the real date;
`StartedClock` starts at a given instant and runs at the real pace from there (the
`CLOCK_START` setting: a rehearsal of digest time, a bot tested in its own process).
This module is the only place that reads the wall clock: a test fails if another does.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta


class Clock:
    """The machine's clock."""

    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        return datetime.now(UTC)

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (for rate windows and timeouts)."""
        return time.monotonic()

    def timestamp(self) -> int:
        """The current instant as whole Unix seconds (message dates)."""
        return int(self.now().timestamp())


class ManualClock(Clock):
    """A clock that stands at a given instant until moved (`set`, `advance`)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware instant")
        self._now = start.astimezone(UTC)
        self._monotonic = 1000.0

    def now(self) -> datetime:
        """The instant the clock was set to."""
        return self._now

    def monotonic(self) -> float:
        """Moves exactly as far as `now` was moved."""
        return self._monotonic

    def set(self, moment: datetime) -> None:
        """Jump to `moment` (forward or back; the monotonic reading only goes forward)."""
        moment = moment.astimezone(UTC)
        self._monotonic += max(0.0, (moment - self._now).total_seconds())
        self._now = moment

    def advance(self, delta: timedelta | float) -> None:
        """Move forward by `delta` (a timedelta or seconds)."""
        seconds = delta.total_seconds() if isinstance(delta, timedelta) else float(delta)
        self.set(self._now + timedelta(seconds=seconds))


class StartedClock(Clock):
    """A clock that reads `start` at the moment it is made, then runs at the real pace."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("StartedClock needs a timezone-aware instant")
        self._offset = start.astimezone(UTC) - datetime.now(UTC)

    def now(self) -> datetime:
        """The real time, shifted so that the clock began at `start`."""
        return datetime.now(UTC) + self._offset


SYSTEM_CLOCK = Clock()


def clock_starting_at(start: datetime | None) -> Clock:
    """The machine's clock, or one that starts at `start` (the CLOCK_START setting)."""
    return SYSTEM_CLOCK if start is None else StartedClock(start)
