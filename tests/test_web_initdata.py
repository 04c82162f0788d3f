"""The Mini App's initData check, pure: data signed here as Telegram and Bale sign it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest

from web.initdata import InitDataError, check_init_data, sign

TELEGRAM_TOKEN = "123456:TELEGRAM-test-token"
BALE_TOKEN = "987654321:bale-test-token-xyz"
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def init_data(token: str, user_id: int = 500, *, at: datetime = NOW,
              **extra: str) -> str:
    """A raw initData string as the messenger hands it to the page."""
    fields = {"query_id": "AAH-test", "auth_date": str(int(at.timestamp())),
              "user": json.dumps({"id": user_id, "first_name": "مریم"}, ensure_ascii=False),
              **extra}
    fields["hash"] = sign(fields, token)
    return urlencode(fields)


@pytest.mark.parametrize("token", [TELEGRAM_TOKEN, BALE_TOKEN])
def test_data_signed_with_the_bots_token_names_the_user(token: str) -> None:
    user = check_init_data(init_data(token, 500), token, NOW + timedelta(hours=2))
    assert (user.user_id, user.first_name) == (500, "مریم")


def test_forged_data_is_refused() -> None:
    raw = init_data(TELEGRAM_TOKEN, 500)
    forged = raw.replace("%22id%22%3A+500", "%22id%22%3A+1")
    assert forged != raw
    with pytest.raises(InitDataError):
        check_init_data(forged, TELEGRAM_TOKEN, NOW)
    with pytest.raises(InitDataError):
        check_init_data(raw[:-4] + "0000", TELEGRAM_TOKEN, NOW)  # the hash changed
    with pytest.raises(InitDataError):
        check_init_data(raw.split("&hash=")[0], TELEGRAM_TOKEN, NOW)  # no hash


def test_data_signed_for_another_bot_is_refused() -> None:
    with pytest.raises(InitDataError, match="signature"):
        check_init_data(init_data(BALE_TOKEN), TELEGRAM_TOKEN, NOW)


def test_data_older_than_a_day_is_refused() -> None:
    raw = init_data(TELEGRAM_TOKEN, at=NOW - timedelta(days=1, minutes=1))
    with pytest.raises(InitDataError, match="expired"):
        check_init_data(raw, TELEGRAM_TOKEN, NOW)
    fresh = init_data(TELEGRAM_TOKEN, at=NOW - timedelta(hours=23))
    assert check_init_data(fresh, TELEGRAM_TOKEN, NOW).user_id == 500


def test_a_field_given_twice_or_garbage_is_refused() -> None:
    raw = init_data(TELEGRAM_TOKEN)
    with pytest.raises(InitDataError):
        check_init_data(raw + "&auth_date=1", TELEGRAM_TOKEN, NOW)
    with pytest.raises(InitDataError):
        check_init_data("not a query string", TELEGRAM_TOKEN, NOW)
    with pytest.raises(InitDataError):
        check_init_data("", TELEGRAM_TOKEN, NOW)
