"""Quiet hours: when a non-urgent notice to staff may go out. Pure: no PTB, no clock of its
own (the caller passes the app's `now`)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo


def quiet_until(now: datetime, hours: tuple[time, time] | None, tz: ZoneInfo) -> datetime | None:
    """The end of the quiet period `now` falls in (UTC), or None outside it. `hours` are
    local (start, end); a period may run past midnight (22:00-07:00)."""
    if hours is None:
        return None
    start, end = hours
    local = now.astimezone(tz)
    moment = local.time().replace(tzinfo=None)
    inside = start <= moment < end if start < end else (moment >= start or moment < end)
    if not inside:
        return None
    day = local.date() if moment < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tz).astimezone(UTC)
