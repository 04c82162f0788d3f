"""The bot receiving updates by webhook, run as a separate process against the fake
messenger over loopback HTTP: on Telegram (the secret in a header) and on Bale (the secret
as the last segment of the URL's path, since Bale's setWebhook takes only the URL)."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bot.sandbox import ApiError, FakeBotAPI, FakeHTTPServer, SimUser
from tests.conftest import PROCESS_TOKEN
from tests.test_process import ADMIN, RunningBot, bot_env

SECRET = "s3cret-webhook-token-0123456789"


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(params=["telegram", "bale"])
def messenger(request: pytest.FixtureRequest) -> str:
    """Run each test on Telegram's settings and on Bale's."""
    return str(request.param)


@pytest.fixture
def fake(messenger: str) -> FakeHTTPServer:
    """The fake messenger, behaving as Telegram or as Bale."""
    with FakeHTTPServer(FakeBotAPI(bale=messenger == "bale"), token=PROCESS_TOKEN) as running:
        yield running  # type: ignore[misc]


class WebhookBot(RunningBot):
    """`python -m bot run` with the webhook settings, in a child process."""

    def __init__(self, server: FakeHTTPServer, tmp_path: Path, messenger: str,
                 **env: str) -> None:
        self.api = server.api
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/tashilyar/hook"
        self.log_path = tmp_path / "bot.log"
        self._log = self.log_path.open("a")
        settings = {"MESSENGER": messenger, "WEBHOOK_URL": self.url,
                    "WEB_PORT": str(self.port), "WEBHOOK_SECRET": SECRET, **env}
        seen = len(self.api.calls)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"], env=bot_env(tmp_path, server, **settings),
            cwd=tmp_path, stdout=self._log, stderr=subprocess.STDOUT)
        # Posts made before the bot listens are refused and posted again, as on Telegram.
        started = self.api.wait_until(
            lambda: any(c.method == "setWebhook" and c.status == 200
                        for c in self.api.calls[seen:]), timeout=30)
        assert started, f"the bot never set its webhook:\n{self.log()}"


def post(url: str, update: dict[str, object], secret: str | None = None) -> int:
    """Post an update to the bot as someone other than the messenger might; the status."""
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    request = urllib.request.Request(url, data=json.dumps(update).encode(), headers=headers,
                                     method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_the_bot_sets_its_webhook_and_answers_updates_posted_to_it(
    fake: FakeHTTPServer, tmp_path: Path, messenger: str
) -> None:
    api = fake.api
    bot = WebhookBot(fake, tmp_path, messenger)
    try:
        set_calls = [c for c in api.calls if c.method == "setWebhook"]
        assert len(set_calls) == 1
        if messenger == "bale":
            assert set_calls[0].params == {"url": f"{bot.url}/{SECRET}"}
        else:
            assert set_calls[0].params["url"] == bot.url
            assert set_calls[0].params["secret_token"] == SECRET
        zahra = SimUser(api, 500, "زهرا")
        assert bot.say(zahra, "/start")[-1].text
        assert bot.say(zahra, "/help")[-1].text.startswith("راهنمای")
        assert not [c for c in api.calls if c.method == "getUpdates"], "no polling"
        assert {p.status for p in api.webhook_posts} <= {0, 200}  # 0: before it listened
    finally:
        assert bot.stop() == 0
    log = bot.log()
    assert "Traceback" not in log and SECRET not in log and PROCESS_TOKEN not in log
    assert api.rejected_calls() == []


def test_a_post_without_the_secret_is_refused_and_does_nothing(
    fake: FakeHTTPServer, tmp_path: Path, messenger: str
) -> None:
    api = fake.api
    bot = WebhookBot(fake, tmp_path, messenger)
    intruder = SimUser(api, 666, "نفوذی")
    zahra = SimUser(api, 500, "زهرا")
    forged = {"update_id": 999999, "message": {
        "message_id": 1, "date": 1700000000, "chat": intruder.chat, "from": intruder.user,
        "text": "/start", "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}}
    try:
        bot.say(zahra, "/start")  # the bot listens
        if messenger == "bale":
            assert post(bot.url, forged) == 404  # the path without the secret
            assert post(f"{bot.url}/wrong-{SECRET}", forged) == 404
            assert post(f"{bot.url}/{SECRET}/x", forged) == 404
        else:
            assert post(bot.url, forged) == 403  # no header
            assert post(bot.url, forged, secret="wrong-" + SECRET) == 403
        bot.say(zahra, "/help")  # a real update after the forged ones is answered
    finally:
        assert bot.stop() == 0
    assert intruder.messages(0) == [], "the forged update must not be handled"
    assert "Traceback" not in bot.log()


def test_the_messenger_posting_again_an_update_whose_answer_was_lost(
    fake: FakeHTTPServer, tmp_path: Path, messenger: str
) -> None:
    api = fake.api
    bot = WebhookBot(fake, tmp_path, messenger)
    zahra = SimUser(api, 500, "زهرا")
    try:
        bot.say(zahra, "/start")
        api.lose_webhook_answers(2)  # the bot answered, the messenger never heard it
        mark = api.last_seq
        update_id = zahra.send_text("/help")
        assert api.wait_until(
            lambda: sum(1 for p in api.webhook_posts if p.update_id == update_id) == 3
            and api.pending_updates == 0, timeout=30), bot.log()
        bot.say(zahra, "/start")  # still answering
    finally:
        assert bot.stop() == 0
    posts = [p.status for p in api.webhook_posts if p.update_id == update_id]
    assert posts == [0, 0, 200]
    helps = [m for m in zahra.messages(mark) if m.text.startswith("راهنمای")]
    assert len(helps) == 1, "an update posted three times is handled once"
    assert "Traceback" not in bot.log()


def test_going_back_to_polling_deletes_the_webhook(fake: FakeHTTPServer, tmp_path: Path,
                                                   messenger: str) -> None:
    api = fake.api
    bot = WebhookBot(fake, tmp_path, messenger)
    assert bot.stop() == 0
    assert api.webhook is not None  # a stop leaves the webhook: updates wait at the messenger
    seen = len(api.calls)
    env = bot_env(tmp_path, fake, MESSENGER=messenger)
    with (tmp_path / "poll.log").open("w") as out:
        process = subprocess.Popen([sys.executable, "-m", "bot", "run"], env=env, cwd=tmp_path,
                                   stdout=out, stderr=subprocess.STDOUT)
        try:
            polled = api.wait_until(lambda: any(
                c.method == "getUpdates" and c.status == 200 for c in api.calls[seen:]),
                timeout=30)
            assert polled, (tmp_path / "poll.log").read_text()
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=30) == 0
    assert api.webhook is None
    assert [c.method for c in api.calls[seen:]].count("deleteWebhook") >= 1


def test_health_and_metrics_of_a_bot_on_a_webhook(tmp_path: Path) -> None:
    with FakeHTTPServer(FakeBotAPI(), token=PROCESS_TOKEN) as fake:
        bot = WebhookBot(fake, tmp_path, "telegram")  # one web server: webhook and health
        health_port = bot.port
        zahra = SimUser(fake.api, 500, "زهرا")
        try:
            bot.say(zahra, "/start")
            fake.api.fail_next(502, method="sendMessage", chat_id=zahra.id)
            bot.say(zahra, "/help")  # the answer fails once; the apology goes out
            bot.say(zahra, "/start")  # her updates are handled in order: /help is done
            with urllib.request.urlopen(f"http://127.0.0.1:{health_port}/healthz",
                                        timeout=10) as answer:
                assert (answer.status, answer.read()) == (200, b"ok\n")
            with urllib.request.urlopen(f"http://127.0.0.1:{health_port}/metrics",
                                        timeout=10) as answer:
                metrics = answer.read().decode()
        finally:
            assert bot.stop() == 0
    def value(name: str) -> float:
        found = re.search(rf"^{re.escape(name)} (\S+)$", metrics, re.MULTILINE)
        assert found, name
        return float(found.group(1))

    assert value('tashilyar_updates_total{kind="command"}') >= 2  # the third may be running
    assert value("tashilyar_handler_seconds_count") >= 2
    assert value('tashilyar_messenger_errors_total{code="502"}') == 1
    assert f"web server on 127.0.0.1:{health_port}" in bot.log()


def test_the_fake_messenger_keeps_telegrams_and_bales_webhook_rules() -> None:
    telegram, bale = FakeBotAPI(), FakeBotAPI(bale=True)
    with pytest.raises(ApiError, match="unknown parameter secret_token"):
        bale.call("setWebhook", {"url": "https://x.example/h", "secret_token": "abc"}, {})
    with pytest.raises(ApiError, match="HTTP URL"):
        telegram.call("setWebhook", {"url": "x.example/h"}, {})
    assert telegram.call("setWebhook", {"url": "https://x.example/h", "secret_token": "abc",
                                        "max_connections": 40}, {}) is True
    SimUser(telegram, 500, "زهرا").send_text("سلام")
    with pytest.raises(ApiError) as conflict:
        telegram.poll(None)
    assert conflict.value.status == 409
    info = telegram.call("getWebhookInfo", {}, {})
    assert info["url"] == "https://x.example/h" and info["pending_update_count"] == 1
    due = telegram.webhook_due()
    assert due is not None and due[1] == "abc"
    assert telegram.webhook_answered(due[0], due[2]["update_id"], 500) is False
    assert telegram.call("getWebhookInfo", {}, {})["last_error_message"]
    assert telegram.webhook_answered(due[0], due[2]["update_id"], 200) is True
    assert telegram.webhook_due() is None
    assert telegram.call("deleteWebhook", {}, {}) is True
    assert telegram.poll(None) == [] and telegram.webhook is None


def test_a_polling_bot_serves_the_dashboard_and_health_on_web_port(tmp_path: Path) -> None:
    with FakeHTTPServer(FakeBotAPI(), token=PROCESS_TOKEN) as fake:
        port = free_port()
        bot = RunningBot(fake, tmp_path, WEB_PORT=str(port),
                         PUBLIC_URL=f"http://127.0.0.1:{port}")
        admin = SimUser(fake.api, ADMIN, "مدیر")
        try:
            link = re.search(r"(http://\S+/app/login\?token=\S+)",
                             bot.say(admin, "/dashboard")[-1].text)
            assert link, bot.log()
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz",
                                        timeout=10) as answer:
                assert answer.status == 200
            browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
            with browser.open(link.group(1), timeout=10) as answer:  # on to /app/, signed in
                assert answer.status == 200 and answer.url.endswith("/app/")
            try:
                browser.open(link.group(1), timeout=10)  # the link worked once
                raise AssertionError("a one-time link opened twice")
            except urllib.error.HTTPError as refused:
                assert refused.code == 403
        finally:
            assert bot.stop() == 0
    assert any(c.method == "getUpdates" for c in fake.api.calls), "it polls"
    assert "Traceback" not in bot.log() and "token=" not in bot.log()
