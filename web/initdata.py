"""Check a Mini App's `initData` (Telegram's and Bale's, one algorithm).

The messenger hands the page a query string signed with the bot's token: the fields other
than `hash`, sorted by name and joined as `name=value` lines, are signed with HMAC-SHA256
under the key HMAC-SHA256(key=b"WebAppData", message=token). Pure: no web framework, no
clock of its own (the caller passes `now`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qsl

MAX_AGE = timedelta(days=1)


class InitDataError(ValueError):
    """The initData is malformed, forged, signed for another bot, or too old."""


@dataclass(frozen=True)
class MiniAppUser:
    """Who opened the Mini App, as the messenger vouches."""

    user_id: int
    first_name: str
    auth_date: int


def _secret(token: str) -> bytes:
    return hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()


def data_check_string(fields: dict[str, str]) -> str:
    """The signed text: every field but `hash`, sorted, as `name=value` lines."""
    return "\n".join(f"{k}={v}" for k, v in sorted(fields.items()) if k != "hash")


def sign(fields: dict[str, str], token: str) -> str:
    """The `hash` the messenger would put on these fields (tests and tools sign with it)."""
    return hmac.new(_secret(token), data_check_string(fields).encode(),
                    hashlib.sha256).hexdigest()


def check_init_data(raw: str, token: str, now: datetime,
                    max_age: timedelta = MAX_AGE) -> MiniAppUser:
    """The user the raw initData vouches for, or InitDataError."""
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InitDataError("malformed") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise InitDataError("a field appears twice")
    given = fields.get("hash", "")
    if not given or not hmac.compare_digest(sign(fields, token), given.lower()):
        raise InitDataError("bad signature")
    try:
        auth_date = int(fields["auth_date"])
        user = json.loads(fields["user"])
        user_id = int(user["id"])
    except (KeyError, ValueError, TypeError):
        raise InitDataError("no user or auth_date") from None
    age = now.timestamp() - auth_date
    if age > max_age.total_seconds() or age < -300:
        raise InitDataError("expired")
    return MiniAppUser(user_id, str(user.get("first_name", "")), auth_date)
