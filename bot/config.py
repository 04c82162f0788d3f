"""Settings: one typed, validated object read from the environment and a `.env` file.

Every variable is documented in `.env.example`. Values from the real environment win over
the `.env` file. A bad value raises `ConfigError`, whose message names the variable and says
what to do; the CLI prints it as one line instead of a traceback.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values
from dotenv.parser import parse_stream

from bot.textfile import EncodingProblem, read_text

Messenger = Literal["telegram", "bale"]

MESSENGER_PRESETS: dict[str, tuple[str, str]] = {
    "telegram": ("https://api.telegram.org/bot", "https://api.telegram.org/file/bot"),
    "bale": ("https://tapi.bale.ai/bot", "https://tapi.bale.ai/file/bot"),
}
# Telegram answers long polls at once when updates arrive; Bale's own samples poll about
# once a second, so the bot waits that long between getUpdates calls there.
POLL_INTERVAL = {"telegram": 0.0, "bale": 1.0}
DEEP_LINK_HOST = {"telegram": "https://t.me", "bale": "https://ble.ir"}

OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = "© OpenStreetMap contributors"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

SHIPPED_ORG_FILE = Path(__file__).parent / "data" / "kerman.toml"
_TOKEN_SHAPE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


@dataclass(frozen=True)
class Settings:
    """Everything the bot reads from its environment, already parsed and checked."""

    bot_token: str | None
    messenger: Messenger = "telegram"
    bot_api_url: str = MESSENGER_PRESETS["telegram"][0]
    bot_file_url: str = MESSENGER_PRESETS["telegram"][1]
    database_path: Path = Path("data/tashilyar.db")
    admin_ids: frozenset[int] = field(default_factory=frozenset)
    org_file: Path = SHIPPED_ORG_FILE
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Tehran"))
    invite_days: int = 7
    log_level: str = "INFO"
    forms_dir: Path | None = None
    draft_stale_hours: int = 12
    max_open_requests: int = 3
    max_requests_per_day: int = 5
    reopen_days: int = 14
    digest_time: time = time(20, 0)
    morning_digest_time: time = time(8, 0)
    reminder_time: time = time(17, 0)
    work_days: frozenset[int] = frozenset({0, 1, 2, 3, 4})  # Saturday = 0 … Friday = 6
    overdue_days: int = 7
    flood_per_minute: int = 60  # updates one person may send in a minute before being slowed
    clock_start: datetime | None = None  # rehearsals and tests: the bot's clock starts here
    # ----- operations (issue 14): webhook, proxy, health, backups, log format -----
    webhook_url: str | None = None  # the public URL the messenger posts to; None: polling
    webhook_secret: str | None = None
    proxy_url: str | None = None  # every call to the messenger and file downloads
    # ----- the web server (issue 21): webhook, /healthz, /metrics, the dashboard -----
    web_listen: str = "127.0.0.1"
    web_port: int | None = None  # None: no web server (polling, no health endpoint)
    public_url: str | None = None  # https address nginx serves the web server under
    map_tiles_url: str = OSM_TILES  # "" when MAP_TILES_URL=none: points on a plain background
    map_tiles_attribution: str = OSM_ATTRIBUTION
    backup_dir: Path | None = None  # daily online backup there; None: none
    backup_keep: int = 7
    backup_time: time = time(3, 30)
    log_format: Literal["text", "json"] = "text"
    # Case loop: non-urgent notices to staff wait out these hours (local time), e.g. 22:00-07:00.
    quiet_hours: tuple[time, time] | None = None

    @property
    def webhook_listen(self) -> str:
        """Where the webhook is served: the web server's address (WEB_LISTEN)."""
        return self.web_listen

    @property
    def webhook_port(self) -> int:
        """The web server's port, which serves the webhook (8080 unless WEB_PORT says)."""
        return self.web_port or 8080

    @property
    def health_listen(self) -> str:
        """Alias of `web_listen`: /healthz and /metrics are routes of the web server."""
        return self.web_listen

    @property
    def health_port(self) -> int | None:
        """Alias of `web_port` (HEALTH_PORT is an alias of WEB_PORT)."""
        return self.web_port

    @property
    def dashboard_url(self) -> str | None:
        """The dashboard's address when PUBLIC_URL is set, e.g. https://bot.example.org/app/."""
        return f"{self.public_url}/app/" if self.public_url else None

    @property
    def mini_app(self) -> bool:
        """Whether the dashboard can open as a Mini App (the messengers want https)."""
        return bool(self.public_url and self.public_url.startswith("https://"))

    @property
    def poll_interval(self) -> float:
        """Seconds to wait between getUpdates calls on this messenger."""
        return POLL_INTERVAL[self.messenger]

    @property
    def is_bale(self) -> bool:
        """True when the bot talks to Bale, which lacks some Telegram features."""
        return self.messenger == "bale"

    @property
    def uses_webhook(self) -> bool:
        """True when updates arrive by webhook rather than by polling."""
        return self.webhook_url is not None

    @property
    def webhook_target(self) -> str:
        """The URL given to `setWebhook`: WEBHOOK_URL on Telegram (the secret travels in a
        header); on Bale, which takes only a URL, WEBHOOK_URL with the secret as its last
        path segment."""
        assert self.webhook_url is not None
        if self.is_bale:
            return f"{self.webhook_url.rstrip('/')}/{self.webhook_secret}"
        return self.webhook_url

    @property
    def webhook_path(self) -> str:
        """The path the bot's webhook server answers on (every other path is refused)."""
        return urlsplit(self.webhook_target).path or "/"

    def deep_link(self, bot_username: str, payload: str) -> str:
        """The link that opens the bot with `/start payload` on this messenger."""
        return f"{DEEP_LINK_HOST[self.messenger]}/{bot_username}?start={payload}"

    def require_token(self) -> str:
        """The token, or a ConfigError that says how to get one."""
        if not self.bot_token:
            raise ConfigError(
                "BOT_TOKEN",
                "not set. Get a token from @BotFather on Telegram (or the BotFather of Bale, "
                "https://ble.ir/botfather), put BOT_TOKEN=... in .env (cp .env.example .env), "
                "or try the bot with no token: tashilyar console --as admin",
            )
        return self.bot_token


def read_env_file(path: Path) -> dict[str, str]:
    """Parse a `.env` file with python-dotenv (quotes, `# comments` after values, `export`,
    `${VAR}` references); a line it cannot read, or a file not saved as UTF-8, is a
    ConfigError naming the file and the line."""
    if not path.is_file():
        return {}
    try:
        text = read_text(path)
    except EncodingProblem as problem:
        raise ConfigError(str(path), str(problem)) from None
    for binding in parse_stream(io.StringIO(text)):
        if binding.error or (binding.key is not None and binding.value is None):
            raise ConfigError(str(path), f"line {binding.original.line} is not KEY=VALUE")
    values = dotenv_values(stream=io.StringIO(text), interpolate=True)
    return {key: value for key, value in values.items() if value is not None}


def _url(variable: str, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            variable, f"must be an http:// or https:// URL such as https://tapi.bale.ai/bot, "
            f"got {value!r}"
        )
    return value


def _admin_ids(value: str) -> frozenset[int]:
    ids: set[int] = set()
    for part in value.replace(" ", "").split(","):
        if not part:
            continue
        if not part.lstrip("-").isdigit():
            raise ConfigError(
                "ADMIN_IDS", f"must be comma-separated numeric user ids, {part!r} is not a number"
            )
        ids.add(int(part))
    return frozenset(ids)


WEEKDAYS = ("sat", "sun", "mon", "tue", "wed", "thu", "fri")  # the Iranian week


def _clock(variable: str, value: str) -> time:
    try:
        hours, minutes = (int(part) for part in value.split(":"))
        return time(hours, minutes)
    except ValueError:
        raise ConfigError(variable, f"must be a time of day as HH:MM, got {value!r}") from None


def _instant(variable: str, value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ConfigError(variable, "must be an instant with its offset, such as "
                          f"2026-03-20T23:55:00+03:30, got {value!r}")
    return moment
def _quiet_hours(value: str | None) -> tuple[time, time] | None:
    if not value or not value.strip():
        return None
    parts = value.replace(" ", "").split("-")
    if len(parts) != 2:
        raise ConfigError("QUIET_HOURS", f"must be two times as HH:MM-HH:MM, got {value!r}")
    start, end = (_clock("QUIET_HOURS", part) for part in parts)
    if start == end:
        raise ConfigError("QUIET_HOURS", "must start and end at different times")
    return start, end


def _work_days(value: str) -> frozenset[int]:
    days = [part.strip().lower()[:3] for part in value.split(",") if part.strip()]
    unknown = [d for d in days if d not in WEEKDAYS]
    if unknown or not days:
        raise ConfigError("WORK_DAYS", f"must be days such as sat,sun,mon,tue,wed; "
                          f"{', '.join(unknown) or 'none given'} not understood")
    return frozenset(WEEKDAYS.index(d) for d in days)


def _positive_int(variable: str, value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise ConfigError(variable, f"must be a whole number of at least 1, got {value!r}")
    return int(value)


_SECRET_SHAPE = re.compile(r"^[A-Za-z0-9_-]{16,256}$")
PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")


def _port(variable: str, value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise ConfigError(variable, f"must be a TCP port between 1 and 65535, got {value!r}")
    return int(value)


def _one_of(get: Callable[[str], str], names: tuple[str, ...],
            parse: Callable[[str, str], Any]) -> Any:
    """The value of the first of `names` set (the later ones are old aliases); two of them
    set to different values is an error naming the first."""
    found = {name: parse(name, get(name)) for name in names if get(name)}
    if len(set(found.values())) > 1:
        raise ConfigError(names[0], f"{', '.join(found)} name one web server now: set only "
                          f"{names[0]}")
    return next(iter(found.values()), None)


def _public_url(value: str) -> str:
    parts = urlsplit(value)
    loopback = parts.hostname in LOOPBACK_HOSTS
    if not parts.netloc or parts.query or not (
            parts.scheme == "https" or (parts.scheme == "http" and loopback)):
        raise ConfigError("PUBLIC_URL", "must be the https:// address nginx serves the web "
                          "server under, such as https://bot.example.org (http:// only for "
                          f"127.0.0.1 or localhost); got {value!r}")
    return value.rstrip("/")


def _web(get: Callable[[str], str], *, webhook: bool) -> dict[str, Any]:
    """The web server: WEB_PORT (HEALTH_PORT and WEBHOOK_PORT are its aliases), WEB_LISTEN,
    PUBLIC_URL and the map's tiles."""
    found: dict[str, Any] = {}
    port = _one_of(get, ("WEB_PORT", "HEALTH_PORT", "WEBHOOK_PORT"), _port)
    found["web_port"] = port if port is not None else (8080 if webhook else None)
    found["web_listen"] = _one_of(get, ("WEB_LISTEN", "HEALTH_LISTEN", "WEBHOOK_LISTEN"),
                                  lambda _name, value: value) or "127.0.0.1"
    if get("PUBLIC_URL"):
        found["public_url"] = _public_url(get("PUBLIC_URL"))
        if found["web_port"] is None:
            raise ConfigError("WEB_PORT", "PUBLIC_URL is set but no web server would answer "
                              "there: set WEB_PORT (e.g. 8080) to the port nginx proxies to")
    tiles = get("MAP_TILES_URL")
    if tiles.lower() == "none":
        found["map_tiles_url"] = ""
    elif tiles:
        parts = urlsplit(tiles)
        if parts.scheme != "https" or not parts.netloc or "{z}" not in tiles:
            raise ConfigError("MAP_TILES_URL", "must be an https:// tile URL with {z}, {x} "
                              "and {y}, such as " + OSM_TILES + ", or none; got " + repr(tiles))
        found["map_tiles_url"] = tiles
    if get("MAP_TILES_ATTRIBUTION"):
        found["map_tiles_attribution"] = get("MAP_TILES_ATTRIBUTION")
    return found


def _operations(get: Callable[[str], str]) -> dict[str, Any]:
    """The operations block: webhook, proxy, health endpoint, backups, log format."""
    found: dict[str, Any] = {}
    url = get("WEBHOOK_URL")
    if url:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
            raise ConfigError("WEBHOOK_URL", "must be the public http:// or https:// URL the "
                              f"messenger posts to, such as https://bot.example.org/hook; got "
                              f"{url!r}")
        secret = get("WEBHOOK_SECRET")
        if not _SECRET_SHAPE.match(secret):
            raise ConfigError("WEBHOOK_SECRET", "required with WEBHOOK_URL: 16 to 256 letters, "
                              "digits, _ or - (e.g. the output of: openssl rand -hex 24)")
        found.update(webhook_url=url, webhook_secret=secret)
    found.update(_web(get, webhook=bool(url)))
    proxy = get("PROXY_URL")
    if proxy:
        parts = urlsplit(proxy)
        if parts.scheme not in PROXY_SCHEMES or not parts.hostname:
            raise ConfigError("PROXY_URL", "must be http://, https:// or socks5:// with a host "
                              "(and user:password@ if the proxy wants them), such as "
                              "socks5://user:pass@127.0.0.1:1080; got a value with scheme "
                              f"{parts.scheme or 'none'!r}")
        try:
            parts.port  # noqa: B018 (a malformed port raises here)
        except ValueError:
            raise ConfigError("PROXY_URL", "has a malformed port") from None
        found["proxy_url"] = proxy
    if get("BACKUP_DIR"):
        found["backup_dir"] = Path(get("BACKUP_DIR"))
    found["backup_keep"] = _positive_int("BACKUP_KEEP", get("BACKUP_KEEP") or "7")
    found["backup_time"] = _clock("BACKUP_TIME", get("BACKUP_TIME") or "03:30")
    log_format = get("LOG_FORMAT").lower() or "text"
    if log_format not in ("text", "json"):
        raise ConfigError("LOG_FORMAT", f"must be text or json, got {log_format!r}")
    found["log_format"] = log_format
    return found


def load_settings(
    environ: Mapping[str, str] | None = None, env_file: Path | None = None
) -> Settings:
    """Build the settings from `environ` (default: os.environ) over the `.env` file."""
    environ = os.environ if environ is None else environ
    if env_file is None:
        env_file = Path(environ.get("ENV_FILE", ".env"))
    merged = {**read_env_file(env_file), **environ}

    def get(name: str) -> str:
        return merged.get(name, "").strip()

    messenger = get("MESSENGER").lower() or "telegram"
    if messenger not in MESSENGER_PRESETS:
        raise ConfigError("MESSENGER", f"must be 'telegram' or 'bale', got {messenger!r}")
    api_preset, file_preset = MESSENGER_PRESETS[messenger]

    token = get("BOT_TOKEN") or None
    if token is not None and not _TOKEN_SHAPE.match(token):
        raise ConfigError(
            "BOT_TOKEN", "does not look like a bot token (digits, a colon, then letters); "
            "copy it again from BotFather"
        )

    tz_name = get("TIMEZONE") or "Asia/Tehran"
    try:
        timezone = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            "TIMEZONE", f"unknown time zone {tz_name!r}; use e.g. Asia/Tehran"
        ) from None

    org_file = Path(get("ORG_FILE")) if get("ORG_FILE") else SHIPPED_ORG_FILE
    if org_file.is_dir():
        raise ConfigError("ORG_FILE", f"{org_file} is a folder; name the organisation file "
                          "itself, e.g. ORG_FILE=org/kerman.toml")
    if not org_file.is_file():
        raise ConfigError("ORG_FILE", f"no such file: {org_file}")

    forms_dir = Path(get("FORMS_DIR")) if get("FORMS_DIR") else None
    if forms_dir is not None and not forms_dir.is_dir():
        raise ConfigError("FORMS_DIR", f"no such folder: {forms_dir}")

    log_level = get("LOG_LEVEL").upper() or "INFO"
    if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError("LOG_LEVEL", f"must be DEBUG, INFO, WARNING or ERROR, got {log_level!r}")

    return Settings(
        bot_token=token,
        messenger=messenger,  # type: ignore[arg-type]
        bot_api_url=_url("BOT_API_URL", get("BOT_API_URL") or api_preset),
        bot_file_url=_url("BOT_FILE_URL", get("BOT_FILE_URL") or file_preset),
        database_path=Path(get("DATABASE_PATH") or "data/tashilyar.db"),
        admin_ids=_admin_ids(get("ADMIN_IDS")),
        org_file=org_file,
        timezone=timezone,
        invite_days=_positive_int("INVITE_DAYS", get("INVITE_DAYS") or "7"),
        log_level=log_level,
        forms_dir=forms_dir,
        draft_stale_hours=_positive_int("DRAFT_STALE_HOURS", get("DRAFT_STALE_HOURS") or "12"),
        max_open_requests=_positive_int("MAX_OPEN_REQUESTS", get("MAX_OPEN_REQUESTS") or "3"),
        max_requests_per_day=_positive_int(
            "MAX_REQUESTS_PER_DAY", get("MAX_REQUESTS_PER_DAY") or "5"),
        reopen_days=_positive_int("REOPEN_DAYS", get("REOPEN_DAYS") or "14"),
        digest_time=_clock("DIGEST_TIME", get("DIGEST_TIME") or "20:00"),
        morning_digest_time=_clock("MORNING_DIGEST_TIME", get("MORNING_DIGEST_TIME") or "08:00"),
        reminder_time=_clock("REMINDER_TIME", get("REMINDER_TIME") or "17:00"),
        work_days=_work_days(get("WORK_DAYS") or "sat,sun,mon,tue,wed"),
        overdue_days=_positive_int("OVERDUE_DAYS", get("OVERDUE_DAYS") or "7"),
        flood_per_minute=_positive_int("FLOOD_PER_MINUTE", get("FLOOD_PER_MINUTE") or "60"),
        clock_start=_instant("CLOCK_START", get("CLOCK_START")) if get("CLOCK_START") else None,
        **_operations(get),
        quiet_hours=_quiet_hours(get("QUIET_HOURS")),
    )
