"""Running the bot on a server: the operations settings, the proxy, `tashilyar status`,
the health endpoint and metrics, scheduled backups and restore, JSON logs."""

from __future__ import annotations

import base64
import http.client
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from bot.config import ConfigError, load_settings
from bot.sandbox import FakeHTTPServer, SimUser
from tests.test_process import RunningBot, bot_env, tashilyar

# ----- settings -------------------------------------------------------------------------------


def settings_from(**values: str) -> Any:
    return load_settings(values, env_file=Path("/nonexistent/.env"))


def test_operations_settings_have_safe_defaults() -> None:
    settings = settings_from()
    assert not settings.uses_webhook and settings.proxy_url is None
    assert settings.webhook_listen == "127.0.0.1" and settings.health_port is None
    assert settings.backup_dir is None and settings.backup_keep == 7
    assert settings.log_format == "text"


def test_webhook_settings_on_telegram_and_on_bale() -> None:
    secret = "0123456789abcdef-_XY"
    telegram = settings_from(WEBHOOK_URL="https://bot.example.org/tashilyar",
                             WEBHOOK_SECRET=secret, WEBHOOK_PORT="8443")
    assert telegram.webhook_target == "https://bot.example.org/tashilyar"
    assert telegram.webhook_path == "/tashilyar" and telegram.webhook_port == 8443
    bale = settings_from(MESSENGER="bale", WEBHOOK_URL="http://127.0.0.1:8080/hook/",
                         WEBHOOK_SECRET=secret)
    assert bale.webhook_target == f"http://127.0.0.1:8080/hook/{secret}"
    assert bale.webhook_path == f"/hook/{secret}"


@pytest.mark.parametrize(("values", "variable"), [
    ({"WEBHOOK_URL": "bot.example.org/hook", "WEBHOOK_SECRET": "x" * 20}, "WEBHOOK_URL"),
    ({"WEBHOOK_URL": "https://bot.example.org/hook"}, "WEBHOOK_SECRET"),
    ({"WEBHOOK_URL": "https://bot.example.org/hook", "WEBHOOK_SECRET": "short"},
     "WEBHOOK_SECRET"),
    ({"WEBHOOK_URL": "https://b.example.org/h", "WEBHOOK_SECRET": "x" * 20 + "/"},
     "WEBHOOK_SECRET"),
    ({"WEBHOOK_PORT": "70000"}, "WEBHOOK_PORT"),
    ({"PROXY_URL": "ftp://proxy.example.org:21"}, "PROXY_URL"),
    ({"PROXY_URL": "socks5://"}, "PROXY_URL"),
    ({"PROXY_URL": "http://proxy:port"}, "PROXY_URL"),
    ({"HEALTH_PORT": "health"}, "HEALTH_PORT"),
    ({"BACKUP_KEEP": "0"}, "BACKUP_KEEP"),
    ({"LOG_FORMAT": "xml"}, "LOG_FORMAT"),
])
def test_a_bad_operations_setting_names_its_variable(values: dict[str, str],
                                                     variable: str) -> None:
    with pytest.raises(ConfigError) as raised:
        settings_from(**values)
    assert raised.value.variable == variable


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:3128", "https://proxy.example.org:443",
    "socks5://user:p%40ss@127.0.0.1:1080", "socks5h://10.0.0.1:9050",
])
def test_proxy_urls_with_and_without_credentials(url: str) -> None:
    assert settings_from(PROXY_URL=url).proxy_url == url


# ----- the proxy --------------------------------------------------------------------------------


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A long poll cut short when the bot stops is not an error."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class ForwardProxy:
    """A tiny HTTP forward proxy on loopback that wants a login and remembers what it
    carried (the Bot API method of each request)."""

    def __init__(self, user: str = "ops", password: str = "p@ss") -> None:
        self.carried: list[str] = []
        expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

            def do_POST(self) -> None:
                if self.headers.get("Proxy-Authorization") != expected:
                    self.send_response(407)
                    self.send_header("Proxy-Authenticate", 'Basic realm="test"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                target = urlsplit(self.path)  # a forward proxy is asked for the full URL
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                proxy.carried.append(target.path.rsplit("/", 1)[-1])
                upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("proxy-authorization", "proxy-connection")}
                upstream.request("POST", target.path, body=body, headers=headers)
                answer = upstream.getresponse()
                data = answer.read()
                upstream.close()
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.getheader("Content-Type") or "")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self.url = (f"http://{user}:{password.replace('@', '%40')}@127.0.0.1:"
                    f"{self._server.server_address[1]}")
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def proxy() -> Iterator[ForwardProxy]:
    """A forward proxy with a login, on loopback."""
    running = ForwardProxy()
    yield running
    running.close()


def test_check_says_the_api_answered_through_the_proxy(
    server: FakeHTTPServer, tmp_path: Path, proxy: ForwardProxy
) -> None:
    result = tashilyar("check", env=bot_env(tmp_path, server, PROXY_URL=proxy.url),
                       cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    port = proxy.url.rsplit(":", 1)[1]
    assert f"the API answered through the proxy http://***@127.0.0.1:{port}" in result.stdout
    assert "p@ss" not in result.stdout + result.stderr and "p%40ss" not in result.stdout
    assert set(proxy.carried) == {"getMe"}


def test_check_says_when_the_proxy_is_not_there(server: FakeHTTPServer, tmp_path: Path,
                                                proxy: ForwardProxy) -> None:
    proxy.close()
    result = tashilyar("check", env=bot_env(tmp_path, server, PROXY_URL=proxy.url),
                       cwd=tmp_path)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1 and len(lines) == 1, result.stderr
    assert "through the proxy" in lines[0] and "PROXY_URL" in lines[0]


def test_the_bot_polls_and_answers_through_the_proxy(
    server: FakeHTTPServer, tmp_path: Path, proxy: ForwardProxy
) -> None:
    bot = RunningBot(server, tmp_path, PROXY_URL=proxy.url)
    try:
        assert bot.say(SimUser(server.api, 500, "زهرا"), "/help")[-1].text.startswith("راهنما")
    finally:
        assert bot.stop() == 0
    assert {"getMe", "getUpdates", "sendMessage"} <= set(proxy.carried)
    assert "p@ss" not in bot.log()
