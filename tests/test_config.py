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


# ----- files as editors save them ------------------------------------------------------------


def saved_as(text: str, encoding: str) -> bytes:
    """What an editor writes: Windows-1256 has only the Arabic forms of ی and ک."""
    if encoding == "cp1256":
        text = text.replace("ی", "ي").replace("ک", "ك")
    return text.encode(encoding, errors="replace")


def test_env_values_with_quotes_and_a_trailing_comment_are_read_as_meant(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        'TIMEZONE="Asia/Tehran"  # Iran\nADMIN_IDS=5 # the office head\n'
        "DIGEST_TIME='21:30'\nexport INVITE_DAYS=3\n", encoding="utf-8")
    s = load(tmp_path)
    assert str(s.timezone) == "Asia/Tehran"
    assert s.admin_ids == frozenset({5})
    assert (s.digest_time.hour, s.digest_time.minute) == (21, 30)
    assert s.invite_days == 3


def test_an_env_file_saved_with_a_bom_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_bytes("\ufeffBOT_TOKEN=111:abc\nADMIN_IDS=9\n".encode())
    s = load(tmp_path)
    assert s.bot_token == "111:abc" and s.admin_ids == frozenset({9})


@pytest.mark.parametrize(("encoding", "named"), [
    ("utf-16", "UTF-16"), ("cp1256", "Windows-1256")])
def test_an_env_file_in_another_encoding_gets_one_line_naming_it(
    tmp_path: Path, encoding: str, named: str
) -> None:
    (tmp_path / ".env").write_bytes(saved_as("# تنظیمات دفتر\nADMIN_IDS=9\n", encoding))
    with pytest.raises(ConfigError) as error:
        load(tmp_path)
    message = str(error.value)
    assert "\n" not in message and str(tmp_path / ".env") in message
    assert named in message and "save it again as UTF-8" in message


def test_org_file_pointing_at_a_folder_says_so(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"ORG_FILE: .* is a folder; name the organisation file"):
        load(tmp_path, ORG_FILE=str(tmp_path))


def test_org_and_form_files_with_a_bom_load_and_other_encodings_are_named(
    tmp_path: Path
) -> None:
    from bot.forms.model import SHIPPED_FORMS_DIR, FormDefinitionError, load_form
    from bot.org import OrgFileError, load_organisation

    text = SHIPPED_ORG_FILE.read_text(encoding="utf-8")
    bom = tmp_path / "org-bom.toml"
    bom.write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert load_organisation(bom).offices == load_organisation(SHIPPED_ORG_FILE).offices
    for encoding, named in (("utf-16", "UTF-16"), ("cp1256", "Windows-1256")):
        other = tmp_path / f"org-{encoding}.toml"
        other.write_bytes(saved_as(text, encoding))
        with pytest.raises(OrgFileError) as org_error:
            load_organisation(other)
        assert str(org_error.value).startswith(f"{other}: ") and named in str(org_error.value)
        assert "\n" not in str(org_error.value)
    form = (SHIPPED_FORMS_DIR / "field_report.toml").read_text(encoding="utf-8")
    saved = tmp_path / "field_report.toml"
    saved.write_bytes(b"\xef\xbb\xbf" + form.encode())
    assert load_form(saved).name == "field_report"
    saved.write_bytes(form.encode("utf-16"))
    with pytest.raises(FormDefinitionError, match=r"UTF-16.*save it again as UTF-8"):
        load_form(saved)


def test_clock_start_must_be_an_instant_with_its_offset(tmp_path: Path) -> None:
    s = load(tmp_path, CLOCK_START="2025-03-20T23:55:00+03:30")
    assert s.clock_start is not None and s.clock_start.utcoffset() is not None
    with pytest.raises(ConfigError, match="CLOCK_START: must be an instant with its offset"):
        load(tmp_path, CLOCK_START="2025-03-20 23:55")
