"""Settings: presets, overrides, the .env file, and one clear error per bad variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import SHIPPED_ORG_FILE, ConfigError, Settings, load_settings


def load(tmp_path: Path, **env: str) -> Settings:
    """Settings from only these variables (no .env unless the test writes one)."""
    return load_settings(env, env_file=tmp_path / ".env")


def test_defaults_are_telegram_tehran_and_the_kerman_sample(tmp_path: Path) -> None:
    s = load(tmp_path)
    assert s.messenger == "telegram"
    assert s.bot_api_url == "https://api.telegram.org/bot"
    assert s.bot_file_url == "https://api.telegram.org/file/bot"
    assert str(s.timezone) == "Asia/Tehran"
    assert s.database_path == Path("data/tashilyar.db")
    assert s.org_file == SHIPPED_ORG_FILE
    assert s.admin_ids == frozenset()
    assert s.bot_token is None
    assert s.poll_interval == 0.0


def test_bale_presets_its_urls_and_a_one_second_poll(tmp_path: Path) -> None:
    s = load(tmp_path, MESSENGER="bale", BOT_TOKEN="123:abc")
    assert (s.bot_api_url, s.bot_file_url) == (
        "https://tapi.bale.ai/bot", "https://tapi.bale.ai/file/bot")
    assert s.poll_interval == 1.0
    assert s.deep_link("my_bot", "code") == "https://ble.ir/my_bot?start=code"


def test_explicit_urls_override_the_preset(tmp_path: Path) -> None:
    s = load(tmp_path, MESSENGER="bale", BOT_API_URL="http://127.0.0.1:8081/bot",
             BOT_FILE_URL="http://127.0.0.1:8081/file/bot")
    assert s.bot_api_url == "http://127.0.0.1:8081/bot"
    assert s.bot_file_url == "http://127.0.0.1:8081/file/bot"


def test_admin_ids_and_env_file_with_environment_winning(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "# comment\nBOT_TOKEN='111:fromfile'\nexport ADMIN_IDS=5, 6 ,7\nTIMEZONE=Asia/Tehran\n",
        encoding="utf-8",
    )
    s = load(tmp_path, BOT_TOKEN="222:fromenv")
    assert s.bot_token == "222:fromenv"
    assert s.admin_ids == frozenset({5, 6, 7})


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MESSENGER", "whatsapp"),
        ("BOT_API_URL", "tapi.bale.ai/bot"),
        ("BOT_API_URL", "ftp://example.org/bot"),
        ("BOT_FILE_URL", "not a url"),
        ("ADMIN_IDS", "12,abc"),
        ("TIMEZONE", "Mars/Olympus"),
        ("ORG_FILE", "no/such/org.toml"),
        ("BOT_TOKEN", "not-a-token"),
        ("INVITE_DAYS", "0"),
        ("LOG_LEVEL", "LOUD"),
    ],
)
def test_a_bad_value_names_its_variable(tmp_path: Path, variable: str, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, **{variable: value})
    assert caught.value.variable == variable
    assert str(caught.value).startswith(f"{variable}: ")
    assert "\n" not in str(caught.value)


def test_missing_token_says_where_to_get_one_and_points_to_the_console(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path).require_token()
    message = str(caught.value)
    assert "BotFather" in message and "console" in message


def test_malformed_env_file_line_is_named(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("BOT_TOKEN 123:abc\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="line 1"):
        load(tmp_path)
