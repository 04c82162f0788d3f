"""Chaos over loopback HTTP: 50 people file requests while the bot is SIGKILLed three times
and restarted: twice at random moments, once at the worst one (a request committed, its
tracking code on the way and never delivered). Counts: lost = 0, duplicated = 0, restarted
forms = 0.

Each simulated person answers whatever the bot shows them, as a person would: the current
question, the summary, or (after a restart ate their last message) they ask for help,
which re-asks the question they are at.
"""

from __future__ import annotations

import random
import re
import sqlite3
from pathlib import Path

from bot.locale.text import t
from bot.sandbox import FakeBotAPI, FakeHTTPServer, SimUser
from bot.sandbox.fake_api import Call
from tests.test_process import TOKEN, RunningBot

PEOPLE = 50
INTRO = re.compile(r"^درخواست — (تا )?[۰-۹]+ پرسش")
CONTROLS = {t("form.back"), t("form.skip"), t("form.cancel"), t("form.done")}


def done(user: SimUser) -> bool:
    """The person has their tracking code."""
    return any(m.text.startswith("درخواست شما ثبت شد") for m in user.messages())


def next_move(user: SimUser) -> tuple[str, str]:
    """What the person does next, judging by the newest bot message: (kind, value)."""
    mine = user.messages()
    last = max(mine, key=lambda m: m.seq) if mine else None  # the latest sent or edited
    if last is None:
        return "text", "/start"
    buttons = last.buttons()
    if t("form.confirm") in buttons:
        return "tap", t("form.confirm")
    if t("form.resume") in buttons:
        return "tap", t("form.resume")
    if t("form.skip") in buttons and t("form.done") in buttons:
        return "tap", t("form.skip")  # no photos
    choices = [b for b in buttons if b not in CONTROLS]
    if choices:
        return "tap", choices[-1] if "زنگ نزنید" in choices[-1] else choices[0]
    if t("form.send_location") in user.menu_labels():
        return "tap", t("form.skip")
    if "مشکل یا نیاز را با جزئیات بنویسید" in last.text:
        return "text", f"چراغ‌های کوچهٔ {user.first_name} خاموش است و شب‌ها تاریک است."
    return "text", "/request"


def test_50_people_survive_three_kill_9s(tmp_path: Path) -> None:
    rng = random.Random(2026)
    with FakeHTTPServer(FakeBotAPI(), token=TOKEN) as server:
        api = server.api
        people = [SimUser(api, 3000 + n, f"ساکن{n}") for n in range(PEOPLE)]
        kills = sorted(rng.sample(range(40, 300), 2))
        api.hold(lambda method, params: method == "sendMessage"
                 and str(params.get("text", "")).startswith("درخواست شما ثبت شد")
                 and int(params.get("chat_id", 0)) % 7 == 3)  # someone's code, lost in transit
        bot = RunningBot(server, tmp_path)
        actions = restarts = 0
        resync: set[int] = set()
        held_kill: Call | None = None
        try:
            for _round in range(40):
                waiting = [p for p in people if not done(p)]
                if not waiting:
                    break
                for person in waiting:
                    mark = api.last_seq
                    if person.id in resync:
                        person.send_text("/help")  # "where was I?" after a restart
                        resync.discard(person.id)
                    else:
                        kind, value = next_move(person)
                        person.tap(value) if kind == "tap" else person.send_text(value)
                    actions += 1
                    if kills and actions == kills[0]:
                        kills.pop(0)
                        bot.kill()  # at once: the message in flight may or may not count
                        restarts += 1
                        bot = RunningBot(server, tmp_path)
                        resync.add(person.id)
                        continue
                    answered = api.wait_until(
                        lambda p=person, m=mark, h=held_kill: bool(p.messages(m))
                        or (h is None and bool(api.held)), timeout=10)
                    if api.held and not held_kill:
                        held_kill = api.held[0]  # committed; the code is on its way: kill now
                        bot.kill()
                        api.release()
                        restarts += 1
                        bot = RunningBot(server, tmp_path)
                        continue  # the person still sees the summary and taps confirm again
                    if not answered:
                        resync.add(person.id)  # a stale tap is answered by a toast only
        finally:
            assert bot.stop() == 0
        assert restarts == 3 and held_kill is not None
        assert [(p.first_name, [m.text[:60] for m in p.messages()][-3:]) for p in people
                if not done(p)] == []
        with sqlite3.connect(tmp_path / "data" / "bot.db") as db:
            per_person = dict(db.execute(
                "SELECT p.user_id, count(r.id) FROM people p JOIN requests r "
                "ON r.resident_id = p.id GROUP BY p.user_id").fetchall())
            drafts_left = db.execute("SELECT count(*) FROM drafts").fetchone()[0]
        lost = [p.id for p in people if per_person.get(p.id, 0) == 0]
        duplicated = [p.id for p in people if per_person.get(p.id, 0) > 1]
        restarted_forms = [p.id for p in people if len(
            [m for m in p.messages() if INTRO.match(m.text)]) > 1]
        assert (lost, duplicated, restarted_forms, drafts_left) == ([], [], [], 0)
        assert "Traceback" not in bot.log()
