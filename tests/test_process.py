"""The bot as a separate process over loopback HTTP: `tashilyar run` and `tashilyar check`
against the fake Bot API server, as an operator would start them."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.locale.text import t
from bot.sandbox import ChatMessage, FakeHTTPServer, SimUser
from tests.conftest import PROCESS_TOKEN as TOKEN

ADMIN = 77


def bot_env(tmp_path: Path, server: FakeHTTPServer | None, **extra: str) -> dict[str, str]:
    """The environment an operator would set, pointing at the fake server."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "MESSENGER"))}
    env.update({
        "ENV_FILE": str(tmp_path / "no.env"),
        "DATABASE_PATH": str(tmp_path / "data" / "bot.db"),
        "ADMIN_IDS": str(ADMIN),
        "PYTHONUNBUFFERED": "1",
    })
    if server is not None:
        env.update({"BOT_TOKEN": TOKEN, "BOT_API_URL": server.api_url,
                    "BOT_FILE_URL": server.file_url})
    env.update(extra)
    return env


def tashilyar(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run one CLI command to completion."""
    return subprocess.run([sys.executable, "-m", "bot", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=60)


class RunningBot:
    """`python -m bot run` in a child process, and people talking to it."""

    def __init__(self, server: FakeHTTPServer, tmp_path: Path, **env: str) -> None:
        self.api = server.api
        self.log_path = tmp_path / "bot.log"
        self._log = self.log_path.open("a")
        seen = len(self.api.calls)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"], env=bot_env(tmp_path, server, **env),
            cwd=tmp_path,
            stdout=self._log, stderr=subprocess.STDOUT,
        )
        polling = self.api.wait_until(
            lambda: any(c.method == "getUpdates" for c in self.api.calls[seen:]), timeout=30)
        assert polling, f"the bot never polled:\n{self.log()}"

    def log(self) -> str:
        return self.log_path.read_text()

    def say(self, user: SimUser, text: str, expect: int = 1) -> list[ChatMessage]:
        """Send a text and wait (on the server's condition, not a sleep) for the replies."""
        mark = self.api.last_seq
        user.send_text(text)
        arrived = self.api.wait_until(lambda: len(user.messages(mark)) >= expect, timeout=20)
        assert arrived, f"no reply to {text!r}:\n{self.log()}"
        return user.messages(mark)

    def tap(self, user: SimUser, label: str, expect: int = 1) -> list[ChatMessage]:
        """Tap a button and wait for the bot's replies (edits count)."""
        mark = self.api.last_seq
        user.tap(label)
        arrived = self.api.wait_until(lambda: len(user.messages(mark)) >= expect, timeout=20)
        assert arrived, f"no reply to a tap on {label!r}:\n{self.log()}"
        return user.messages(mark)

    def join_and_reach_participants(self, admin: SimUser, person: SimUser) -> str:
        """`admin` invites `person` to قلعه محمود's office; `person` starts a field report and
        answers the first four questions; return the question asked next (participants)."""
        code = re.search(r"/start ([0-9a-z]{16})",
                         self.say(admin, "/invite facilitator qaleh-mahmoud")[-1].text)
        assert code
        self.say(person, f"/start {code.group(1)}", expect=2)
        self.say(person, "/report", expect=2)
        self.tap(person, "قلعه محمود")  # 1 (the question edited into the next)
        self.tap(person, t("form.today"))  # 2
        self.tap(person, "مشاوره")  # 3
        self.tap(person, "▫️ اجتماعی")
        return self.tap(person, t("form.done"))[-1].text  # 4

    def kill(self) -> None:
        """SIGKILL: no shutdown, no persistence flush, as a power cut would."""
        self.process.kill()
        self.process.wait(timeout=30)
        self._log.close()

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=30)
        self._log.close()
        return code


def test_invite_join_refusals_and_clean_shutdown_over_http(
    server: FakeHTTPServer, tmp_path: Path
) -> None:
    bot = RunningBot(server, tmp_path)
    try:
        admin = SimUser(server.api, ADMIN, "مدیر")
        maryam = SimUser(server.api, 200, "مریم")
        resident = SimUser(server.api, 300, "زهرا")

        reply = bot.say(admin, "/invite facilitator pamenar")[-1].text
        code = re.search(r"/start ([0-9a-z]{16})", reply)
        assert code, reply
        assert "https://t.me/tashilyar_test_bot?start=" in reply

        joined = bot.say(maryam, f"/start {code.group(1)}", expect=2)
        assert "عضویت شما ثبت شد" in joined[0].text
        assert "شما تسهیل‌گر دفتر تسهیل‌گری پامنار هستید" in joined[1].text
        assert maryam.menu_labels() == [t("menu.report"), t("menu.need"), t("menu.inbox"),
                                        t("menu.mine"), t("menu.dashboard"), t("menu.help")]

        assert bot.say(resident, f"/start {code.group(1)}")[-1].text == t("start.invite_used")
        denied = t("access.denied", role=t("role.resident"))
        assert bot.say(resident, "/invite facilitator pamenar")[-1].text == denied
        assert bot.say(resident, "/people")[-1].text == denied
    finally:
        exit_code = bot.stop()
    log = bot.log()
    assert exit_code == 0, log
    assert "stopped" in log and "Traceback" not in log
    assert TOKEN not in log, "the token must not appear in logs"
    assert "مریم" not in log and "/invite" not in log, "logs carry no message text"
    assert server.api.rejected_calls() == []


def test_check_prints_who_the_bot_is(server: FakeHTTPServer, tmp_path: Path) -> None:
    result = tashilyar("check", env=bot_env(tmp_path, server), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "@tashilyar_test_bot" in result.stdout
    assert "10 offices" in result.stdout
    assert (tmp_path / "data" / "bot.db").is_file()


@pytest.mark.parametrize(
    ("variable", "value", "code", "mentions"),
    [
        ("BOT_API_URL", "tapi.bale.ai/bot", 2, "BOT_API_URL"),
        ("BOT_API_URL", "http://127.0.0.1:9/bot", 1, "BOT_API_URL"),
        ("MESSENGER", "eitaa", 2, "MESSENGER"),
        ("ORG_FILE", "broken.toml", 2, "broken.toml"),
        ("FORMS_DIR", "forms", 2, "form 'field_report' question 'hood'"),
    ],
)
def test_check_fails_with_one_line(
    server: FakeHTTPServer, tmp_path: Path, variable: str, value: str, code: int, mentions: str
) -> None:
    (tmp_path / "broken.toml").write_text("[organisation\nname = 'x'\n", encoding="utf-8")
    (tmp_path / "forms").mkdir()
    (tmp_path / "forms" / "field_report.toml").write_text(
        '[form]\nname = "field_report"\nversion = 1\ntitle = "x"\ncommand = "report"\n'
        '[[questions]]\nid = "hood"\ntype = "choice"\nprompt = "?"\n', encoding="utf-8")
    env = bot_env(tmp_path, server, **{variable: value})
    result = tashilyar("check", env=env, cwd=tmp_path)
    assert result.returncode == code
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and mentions in lines[0], (
        result.stderr)


def test_no_token_explains_what_to_do(tmp_path: Path) -> None:
    result = tashilyar("run", env=bot_env(tmp_path, None), cwd=tmp_path)
    assert result.returncode == 2
    assert "BOT_TOKEN" in result.stderr and "BotFather" in result.stderr
    assert "tashilyar console" in result.stderr
    assert "Traceback" not in result.stderr


def test_invite_and_backup_commands(server: FakeHTTPServer, tmp_path: Path) -> None:
    env = bot_env(tmp_path, server)
    result = tashilyar("invite", "--role", "facilitator", "--office", "pamenar", "--days", "3",
                       env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert re.search(r"/start [0-9a-z]{16}", result.stdout)
    assert "https://t.me/tashilyar_test_bot?start=" in result.stdout
    bad = tashilyar("invite", "--role", "facilitator", "--office", "nowhere", env=env,
                    cwd=tmp_path)
    assert bad.returncode == 2 and "nowhere" in bad.stderr

    backup = tashilyar("backup", str(tmp_path / "copy.db"), env=env, cwd=tmp_path)
    assert backup.returncode == 0, backup.stderr
    assert "integrity ok" in backup.stdout


def test_a_field_report_survives_kill_9_after_the_fifth_answer(
    server: FakeHTTPServer, tmp_path: Path
) -> None:
    api = server.api
    admin = SimUser(api, ADMIN, "مدیر")
    maryam = SimUser(api, 200, "مریم")
    bot = RunningBot(server, tmp_path)
    bot.join_and_reach_participants(admin, maryam)
    asked = bot.say(maryam, "۱۰")[-1].text            # 5
    assert "چند نفر کودک" in asked
    bot.kill()

    bot = RunningBot(server, tmp_path)
    try:
        assert "چند نفر نوجوان" in bot.say(maryam, "۲")[-1].text
        bot.say(maryam, "۱")
        bot.say(maryam, "۴")
        bot.say(maryam, "۰")
        bot.tap(maryam, t("form.done"))
        bot.say(maryam, "مشاورهٔ خانواده‌ها دربارهٔ ترک تحصیل فرزندان")
        bot.tap(maryam, t("form.no"))
        bot.tap(maryam, t("form.skip"))
        summary = bot.tap(maryam, t("form.skip"))[-1].text
        assert "شرکت‌کنندگان: ۱۰" in summary and "کودکان: ۲" in summary
        saved = bot.tap(maryam, t("form.confirm"), expect=1)[-1].text
        assert saved.startswith("✅ گزارش میدانی شمارهٔ ۱ ")
    finally:
        assert bot.stop() == 0
    with sqlite3.connect(tmp_path / "data" / "bot.db") as db:
        rows = db.execute("SELECT answers, participants, children FROM submissions").fetchall()
        assert db.execute("SELECT count(*) FROM drafts").fetchone()[0] == 0
    assert len(rows) == 1
    answers = json.loads(rows[0][0])
    assert rows[0][1:] == (10, 2)
    assert [k for k in answers] == ["hood", "day", "activity", "domains", "participants",
                                    "children", "adolescents", "women", "elderly", "agencies",
                                    "summary", "followup", "photos", "location"]


def test_notices_owed_while_the_bot_was_down_go_out_when_it_is_back(
    server: FakeHTTPServer, tmp_path: Path
) -> None:
    api = server.api
    zahra = SimUser(api, 500, "زهرا")
    bot = RunningBot(server, tmp_path)
    bot.say(zahra, "/start")
    assert bot.stop() == 0
    with sqlite3.connect(tmp_path / "data" / "bot.db") as db:  # owed during the downtime
        db.execute(
            "INSERT INTO outbox (key, chat_id, text, next_attempt_at, created_at) "
            "VALUES ('request:1:v2', 500, 'خبر از درخواست ۱۲۳۴-۵۶۷۸', "
            "'2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00')")
    mark = api.last_seq
    bot = RunningBot(server, tmp_path)
    try:
        arrived = api.wait_until(
            lambda: any("۱۲۳۴-۵۶۷۸" in m.text for m in zahra.messages(mark)), timeout=30)
        assert arrived, bot.log()
    finally:
        assert bot.stop() == 0
    with sqlite3.connect(tmp_path / "data" / "bot.db") as db:
        assert db.execute("SELECT status FROM outbox").fetchone()[0] == "sent"
    assert len([m for m in zahra.messages(mark) if "۱۲۳۴-۵۶۷۸" in m.text]) == 1


def test_export_command_writes_an_excel_file(tmp_path: Path) -> None:
    env = bot_env(tmp_path, None)
    missing = tashilyar("export", "--from", "1405/08/01", "--to", "1405/08/30", env=env,
                        cwd=tmp_path)
    assert missing.returncode == 2 and missing.stderr.startswith("error: DATABASE_PATH")
    made = tashilyar("invite", "--role", "facilitator", "--office", "pamenar", env=env,
                     cwd=tmp_path)
    assert made.returncode == 0, made.stderr  # the database exists from here on
    out = tmp_path / "out.xlsx"
    result = tashilyar("export", "--from", "۱۴۰۵/۰۸/۳۰", "--to", "1405/08/01", "--province",
                       "kerman", "--out", str(out), env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "--from was after --to" in result.stderr
    assert out.read_bytes()[:2] == b"PK" and "export written" in result.stdout
    for args, flag in ((("--from", "1405/13/01", "--to", "1405/08/30"), "--from"),
                       (("--from", "1405/08/01", "--to", "2026-11-01"), "--to"),
                       (("--from", "1405/08/01", "--to", "1405/08/30", "--province", "x"),
                        "--province")):
        bad = tashilyar("export", *args, env=env, cwd=tmp_path)
        lines = bad.stderr.strip().splitlines()
        assert bad.returncode == 2 and len(lines) == 1 and lines[0].startswith(
            f"error: {flag}: "), bad.stderr


DIGEST_AT = datetime(2026, 12, 1, 20, 0, tzinfo=ZoneInfo("Asia/Tehran"))  # 1405/09/10
DIGEST_LEAD = 10.0  # seconds of the bot's clock between its start and the digest time
MIN_OUTAGE = 20.0


@pytest.mark.parametrize("hang", [False, True], ids=["502", "no-answer"])
def test_an_outage_across_digest_time_then_everything_owed_arrives_once(
    server: FakeHTTPServer, tmp_path: Path, hang: bool
) -> None:
    """The messenger fails (502) or stops answering for at least 20 seconds, across the
    supervisors' digest time: the bot stays up, and afterwards the digest that fell due
    during the outage, a notice owed, and the answer to a message sent meanwhile each
    arrive exactly once. The bot's clock starts 10 seconds before digest time (CLOCK_START)
    instead of the test waiting for a real minute to come round, and the messenger comes
    back once the bot has tried the digest (at least 20 seconds after it went down)."""
    api = server.api
    zahra, sara = SimUser(api, 500, "زهرا"), SimUser(api, 600, "سارا")
    clock_start = (DIGEST_AT - timedelta(seconds=DIGEST_LEAD)).isoformat()
    invite = tashilyar("invite", "--role", "supervisor", "--province", "kerman",
                       env=bot_env(tmp_path, server, CLOCK_START=clock_start), cwd=tmp_path)
    code = re.search(r"/start ([0-9a-z]{16})", invite.stdout)
    assert code, invite.stderr
    bot = RunningBot(server, tmp_path, CLOCK_START=clock_start)
    try:
        bot.say(zahra, "/start")
        bot.say(sara, f"/start {code.group(1)}", expect=2)
        down_at = time.monotonic()
        api.outage(120, hang=hang)
        with sqlite3.connect(tmp_path / "data" / "bot.db") as db:  # owed during the outage
            db.execute(
                "INSERT INTO outbox (key, chat_id, text, next_attempt_at, created_at) "
                "VALUES ('outage:1', 500, 'خبر پس از قطعی', "
                "'2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00')")
        mark, calls_before = api.last_seq, len(api.calls)
        zahra.send_text("/help")  # sent while the messenger is down

        def digest_tried() -> bool:
            return any(c.method == "sendMessage" and c.status != 200
                       and str(c.params.get("text", "")).startswith("📋")
                       for c in api.calls[calls_before:])

        assert api.wait_until(digest_tried, timeout=60), bot.log()
        api.outage(max(0.0, down_at + MIN_OUTAGE - time.monotonic()), hang=hang)  # ends by itself
        assert api.wait_until(lambda: time.monotonic() >= api.outage_until, timeout=MIN_OUTAGE)
        assert bot.process.poll() is None, "the bot must not exit during the outage"

        def everything_arrived() -> bool:
            return (any(m.text == "خبر پس از قطعی" for m in zahra.messages(mark))
                    and any(m.text.startswith("راهنمای") for m in zahra.messages(mark))
                    and any(m.text.startswith("📋 گزارش روزانه") for m in sara.messages(mark)))

        assert api.wait_until(everything_arrived, timeout=90), bot.log()
    finally:
        assert bot.stop() == 0
    texts = [m.text for m in zahra.messages(mark)]
    assert texts.count("خبر پس از قطعی") == 1
    assert len([x for x in texts if x.startswith("راهنمای")]) == 1
    assert len([m for m in sara.messages(mark) if m.text.startswith("📋 گزارش روزانه")]) == 1
    assert "Traceback" not in bot.log()
    with sqlite3.connect(tmp_path / "data" / "bot.db") as db:
        assert db.execute("SELECT count(*) FROM outbox WHERE status != 'sent'").fetchone()[0] == 0
        digest_tries = db.execute(
            "SELECT attempts FROM outbox WHERE key LIKE 'digest:%' AND key NOT LIKE '%:chart'"
        ).fetchall()
    assert len(digest_tries) == 1 and digest_tries[0][0] >= 2, (
        "the digest fell due during the outage: tried then, sent afterwards")
