"""Running the bot on a server: the operations settings, the proxy, `tashilyar status`,
the health endpoint and metrics, scheduled backups and restore, JSON logs."""

from __future__ import annotations

import asyncio
import base64
import http.client
import json
import re
import sqlite3
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from apscheduler.events import EVENT_JOB_ADDED, EVENT_JOB_EXECUTED, JobExecutionEvent

from bot.__main__ import status
from bot.clock import ManualClock
from bot.config import ConfigError, Settings, load_settings
from bot.ops.backups import backup_name, backups_in, restore
from bot.ops.jobs import job_recorder, run_backup
from bot.ops.monitor import monitor_of
from bot.ops.network import messenger_requests, shown_proxy
from bot.ops.status import status_lines
from bot.sandbox import FakeBotAPI, FakeHTTPServer, SandboxBot, SimUser
from bot.schedule import deliver_due
from storage import outbox
from tests.test_process import RunningBot, bot_env, tashilyar
from web.app import build_web_app
from web.server import WebServer

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


# ----- status, /healthz and /metrics ------------------------------------------------------------


async def http_get(port: int, path: str) -> tuple[int, str]:
    """GET a path of the health endpoint; status and body."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                 .encode())
    await writer.drain()
    data = await reader.read()
    writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body.decode()


async def test_status_and_healthz_on_a_bot_with_a_stuck_outbox(
    settings: Settings, api: FakeBotAPI, clock: ManualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    clock.set(clock.now().replace(microsecond=0))  # the outbox stores whole seconds
    async with SandboxBot(settings, api, clock=clock) as bot:
        assert bot.application is not None and bot.db is not None
        health = WebServer(build_web_app(bot.services, monitor=monitor_of(bot.application)),
                           "127.0.0.1", 0)
        await health.start()
        port = health.port
        try:
            assert await http_get(port, "/healthz") == (503, "no answer from the messenger yet\n")
            zahra, sara = bot.user(500, "زهرا"), bot.user(600, "سارا")
            await bot.say(zahra, "/start")
            assert await http_get(port, "/healthz") == (200, "ok\n")

            async with bot.db.transaction() as tx:  # owed to Sara, whose chat fails
                await outbox.enqueue(tx, "request:7:v2", sara.id, "خبر", now=clock.now())
            api.fail_next(502, method="sendMessage", chat_id=sara.id, count=1000)
            for _ in range(4):
                report = await deliver_due(bot.application.bot, bot.db)
                assert report.retried == 1
                clock.advance(timedelta(minutes=4))
            code, body = await http_get(port, "/healthz")
            assert code == 503
            assert body.splitlines() == [
                "no answer from the messenger for 960 s",
                "outbox not draining: a request notice owed for 960 s (4 attempts)"]

            await bot.say(zahra, "/help")  # updates flow again; the outbox still does not
            assert await http_get(port, "/healthz") == (
                503, "outbox not draining: a request notice owed for 960 s (4 attempts)\n")
            code, metrics = await http_get(port, "/metrics")
            assert code == 200
            assert 'tashilyar_outbox_backlog{kind="request"} 1.0' in metrics
            assert "tashilyar_outbox_oldest_seconds 960.0" in metrics
            assert 'tashilyar_updates_total{kind="command"} 2.0' in metrics
            assert "tashilyar_handler_seconds_count 2.0" in metrics
            assert "tashilyar_digests_sent_total 0.0" in metrics

            assert await status(bot.settings, clock) == 1  # the CLI's exit code: a problem
            printed = capsys.readouterr().out
            assert "last update handled: " in printed and "(command)" in printed
            assert "outbox: 1 notices owed" in printed
            assert re.search(r"request: 1 pending, the oldest owed .*, 16 min ago, up to 4 "
                             r"attempts  <- not draining", printed), printed
            assert "undeliverable notices: 0" in printed
            assert "job tick: last ran never" in printed

            api.failures.clear()
            clock.advance(timedelta(minutes=5))
            assert (await deliver_due(bot.application.bot, bot.db)).sent == 1
            await bot.say(zahra, "/help")
            assert await http_get(port, "/healthz") == (200, "ok\n")
            assert await status(bot.settings, clock) == 0
            assert "outbox: nothing owed" in capsys.readouterr().out
            assert (await http_get(port, "/nothing"))[0] == 404
        finally:
            await health.stop()


def test_status_command_reads_the_database(server: FakeHTTPServer, tmp_path: Path) -> None:
    env = bot_env(tmp_path, server)
    missing = tashilyar("status", env=env, cwd=tmp_path)
    assert missing.returncode == 2 and missing.stderr.startswith("error: DATABASE_PATH")
    bot = RunningBot(server, tmp_path)
    try:
        bot.say(SimUser(server.api, 500, "زهرا"), "/start")
    finally:
        assert bot.stop() == 0
    result = tashilyar("status", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "schema version" in result.stdout and "outbox: nothing owed" in result.stdout
    assert re.search(r"last update handled: \d{4}-\d\d-\d\d \d\d:\d\d \(\+0330\), \d+ s ago "
                     r"\(command\)", result.stdout), result.stdout


async def test_every_job_run_is_recorded_for_status(settings: Settings, api: FakeBotAPI,
                                                    clock: ManualClock) -> None:
    clock.set(clock.now().replace(microsecond=0))  # marks store whole seconds
    async with SandboxBot(settings, api, clock=clock) as bot:
        assert bot.application is not None and bot.application.job_queue is not None
        queue = bot.application.job_queue
        record = job_recorder(bot.application)
        queue.scheduler.add_listener(record, EVENT_JOB_ADDED)

        async def nothing(context: object) -> None:
            """A job."""

        job = queue.run_once(nothing, when=3600, name="tick")  # named as it is added
        task = record(JobExecutionEvent(EVENT_JOB_EXECUTED, job.job.id, "default",
                                        clock.now()))
        assert task is not None
        await task
        assert record(JobExecutionEvent(EVENT_JOB_EXECUTED, "unknown-id", "default",
                                        clock.now())) is None
        lines, _ = await status_lines(bot.db, bot.settings, clock.now())  # type: ignore[arg-type]
    assert any(re.fullmatch(r"job tick: last ran .*, 0 s ago \(ok\)", x) for x in lines), lines


# ----- backups and restore ----------------------------------------------------------------------


def residents(path: Path) -> list[int]:
    with sqlite3.connect(path) as db:
        return [r[0] for r in db.execute(
            "SELECT user_id FROM people WHERE role = 'resident' ORDER BY user_id")]


async def test_daily_backups_rotate_and_a_restored_backup_runs_the_bot(
    settings: Settings, api: FakeBotAPI, clock: ManualClock, tmp_path: Path
) -> None:
    settings = replace(settings, backup_dir=tmp_path / "backups", backup_keep=2)
    zahra, sara = SimUser(api, 500, "زهرا"), SimUser(api, 600, "سارا")
    async with SandboxBot(settings, api, clock=clock) as bot:
        await bot.say(zahra, "/start")
        taken = []
        for _ in range(3):
            await run_backup(bot.services)
            taken.append(backup_name(clock.now()))
            clock.advance(timedelta(days=1))
        kept = backups_in(tmp_path / "backups")
        assert [p.name for p in kept] == taken[1:], "the oldest of three is removed"
        assert db_marks(tmp_path) == taken[-1]
        await bot.say(sara, "/start")  # after the last backup
    assert residents(settings.database_path) == [500, 600]

    aside = restore(kept[-1], settings.database_path, clock.now())
    assert aside is not None and residents(aside) == [500, 600], "the old one is kept aside"
    assert residents(settings.database_path) == [500]
    async with SandboxBot(settings, api, clock=clock) as bot:
        assert (await bot.say(zahra, "/help"))[-1].text.startswith("راهنما")
        assert (await bot.say(sara, "/start"))[-1].text


def db_marks(tmp_path: Path) -> str:
    with sqlite3.connect(tmp_path / "data" / "tashilyar.db") as db:
        return str(db.execute("SELECT detail FROM operations WHERE name = 'backup'")
                   .fetchone()[0]).split()[0]


def test_restore_refuses_a_broken_backup_and_keeps_the_database(
    server: FakeHTTPServer, tmp_path: Path
) -> None:
    env = bot_env(tmp_path, server)
    assert tashilyar("check", env=env, cwd=tmp_path).returncode == 0
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    result = tashilyar("restore", str(broken), env=env, cwd=tmp_path)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1 and "broken.db" in lines[0], result.stderr
    assert (tmp_path / "data" / "bot.db").is_file()
    copy = tmp_path / "copy.db"
    assert tashilyar("backup", str(copy), env=env, cwd=tmp_path).returncode == 0
    result = tashilyar("restore", str(copy), env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "moved to" in result.stdout and "start the bot again" in result.stdout
    assert tashilyar("check", env=env, cwd=tmp_path).returncode == 0


# ----- logs -------------------------------------------------------------------------------------


def test_json_logs_and_one_line_for_a_stop_while_the_messenger_is_down(
    server: FakeHTTPServer, tmp_path: Path
) -> None:
    api = server.api
    bot = RunningBot(server, tmp_path, LOG_FORMAT="json")
    bot.say(SimUser(api, 500, "زهرا", phone="+989121112233"), "/start")
    seen = len(api.calls)
    api.outage(120)
    assert api.wait_until(lambda: any(c.method == "getUpdates" and c.status == 502
                                      for c in api.calls[seen:]), timeout=30)
    assert bot.stop() == 0
    entries = [json.loads(line) for line in bot.log().splitlines()]  # every line is JSON
    assert {"time", "level", "logger", "message"} <= set(entries[0])
    after_stop = entries[[e["message"] for e in entries].index("stopping") + 1:]
    trouble = [e for e in after_stop if e["level"] in ("WARNING", "ERROR", "CRITICAL")]
    assert len(trouble) == 1 and "traceback" not in trouble[0], trouble
    assert trouble[0]["message"].startswith("stopped while the messenger was unreachable")
    assert not any("traceback" in e or e["level"] == "ERROR" for e in entries)
    assert "زهرا" not in bot.log() and "989121112233" not in bot.log()


def test_a_socks_proxy_with_credentials_is_taken_by_the_requests() -> None:
    settings = settings_from(PROXY_URL="socks5://ops:secret@127.0.0.1:1080")
    calls, updates = messenger_requests(settings)  # needs PTB's socks extra (socksio)
    assert calls is not updates
    assert shown_proxy(settings.proxy_url) == "socks5://***@127.0.0.1:1080"


async def test_health_on_a_webhook_when_updates_pile_up_at_the_messenger(
    settings: Settings, api: FakeBotAPI, clock: ManualClock
) -> None:
    async with SandboxBot(settings, api, clock=clock) as bot:
        assert bot.application is not None
        monitor = monitor_of(bot.application)
        await bot.say(bot.user(500, "زهرا"), "/start")
        monitor.webhook_pending = 3  # as getWebhookInfo reported it
        assert await monitor.problems() == []  # an update was just handled
        clock.advance(timedelta(minutes=4))
        monitor.answered(200)  # the messenger answers getWebhookInfo, but nothing arrives
        assert await monitor.problems() == [
            "3 updates wait at the messenger and none was handled lately"]
        monitor.webhook_pending = 0
        assert await monitor.problems() == []
