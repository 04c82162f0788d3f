"""Hostile and clumsy input: thousands of actions from many people of every role, random
ones mixed with people answering sensibly whatever the bot asks them, so forms get finished.

Counts, not impressions: zero tracebacks in the log, zero calls the messenger rejected (the
conftest fixture checks every call; the random walk, on its own messenger, checks its own),
every private message answered, every button tap answered, field reports, needs assessments
and requests completed and each stored once and confirmed once, and the database still
consistent afterwards.
"""

from __future__ import annotations

import logging
import random
import re
from dataclasses import replace
from datetime import date, timedelta

import pytest

from bot.clock import ManualClock
from bot.config import Settings
from bot.forms.model import Question
from bot.locale import jalali
from bot.locale.normalize import to_ascii_digits, to_persian_digits
from bot.locale.text import t
from bot.sandbox import FakeBotAPI, SandboxBot, SimUser
from storage import offices
from storage.people import create_invite, redeem_invite

ACTIONS = 2500
SENSIBLE = 0.55  # how often a step is someone answering sensibly what is on their screen
TEXTS = [
    "", "   ", "\u200c" * 30, "x" * 5000, "سلام", "سلام " * 900, "\u202eعکس\u202c", "\u200f۱۲",
    "<b>bold</b><script>alert(1)</script>", "'; DROP TABLE people;--", "' OR 1=1 --",
    "😀" * 40, "۱۲", "١٢", "12", "-5", "99999999999999999999", "۱۴۰۵/۱۳/۱", "۱۴۰۴/۱۲/۳۰",
    "امروز", "بله", "خیر", "تمام", "لغو", "بازگشت", "رد کردن", "مطمئن نیستم",
    "۱۲۳۴-۵۶۷۸", "12345678", "گزارش میدانی", "نیازسنجی", "ثبت درخواست", "پیگیری درخواست",
    "صندوق درخواست‌ها", "گزارش دوره‌ای", "خروجی اکسل", "راهنما", "همکاران", "دعوت همکار",
    "/start", "/start ../../etc/passwd", "/start " + "a" * 64, "/help", "/cancel",
    "/report", "/need", "/request", "/track", "/track abc", "/track ۱۲۳۴۵۶۷۸", "/inbox",
    "/mine", "/digest", "/export", "/export ۱۴۰۵/۸/۱ ۱۴۰۵/۸/۳۰", "/export x y z",
    "/invite", "/invite x y z", "/invite facilitator pamenar", "/people", "/foo bar",
    "/digest_here", "/start@tashilyar_test_bot", "شهرك بني هاشم", "قلعه محمود",
    "/inbox فاضلاب", "/inbox ۱۲۳۴-۵۶۷۸", "/inbox " + "x" * 300,
]
FORGED = [
    "frm:1:a:hood:1", "frm:999999:ok::", "frm:1:x::", "frm:1:t:domains:social", "frm:",
    "req:st:1:resolved:1", "req:show:1", "req:to:1:police:1", "req:media:1", "req:list",
    "ppl:d:1:o", "ppl:a:2:o", "ppl:o:1", "ppl:list", "inv:o:facilitator:1", "inv:p:1",
    "inv:r:supervisor", "trk:reopen:1", "trk:show:1", "dig:year", "dig:day", "exp:x",
    "exp:week", "zzz", "", "a" * 64, "frm:1:a:hood:" + "9" * 40,
    "frm:" + "9" * 40 + ":ok", "req:show:" + "9" * 30, "req:st:1:resolved:" + "9" * 30,
    "ppl:d:" + "9" * 30 + ":o", "trk:show:" + "9" * 30, "req:show:²", "trk:reopen:۱",
    # the case loop's buttons
    "req:open:1", "req:open:" + "9" * 30, "req:undo:1:1", "req:rel:1:1", "req:hand:1:1",
    "req:hto:1:2:1", "req:hto:1:999:1",
    "req:to:1:other:1", "req:to:1:nowhere:1", "req:ls:-:-:-:0", "req:ls:x:y:z:w",
    "req:ls:resolved:1:urban:10", "req:ls:-:-:-:" + "9" * 30, "req:fs:-:-:-", "req:fh:-:-:-",
    "req:fc:-:-:-", "req:fs", "trk:add:1", "trk:wd:1", "trk:wdy:1", "trk:yes:1", "trk:no:1",
    "trk:orig:1", "trk:orig:" + "9" * 30,
]


async def make_staff(bot: SandboxBot, user: SimUser, role: str, office: str) -> None:
    """Seat `user` in `role` through a real invite."""
    assert bot.db is not None
    found = await offices.office_by_slug(bot.db, office)
    assert found is not None
    code = await create_invite(bot.db, role=role, office_id=found.id, created_by=None, days=1)
    await redeem_invite(bot.db, code, user_id=user.id, display_name=user.first_name)


SENTENCES = [
    "جلسه با ساکنان کوچهٔ شمالی دربارهٔ روشنایی معابر برگزار شد.",
    "چراغ‌های کوچهٔ پشت مدرسه چند هفته است خاموش است و شب‌ها تاریک است.",
    "کارگاه مهارت خیاطی برای زنان سرپرست خانوار در مسجد محله.",
    "آب‌گرفتگی معبر اصلی بعد از هر باران و خطر برای کودکان مدرسه.",
]
CONTROLS = {t("form.back"), t("form.skip"), t("form.cancel"), t("form.done"),
            t("form.discard"), t("form.cancel_yes")}
# A confirmation as the locale words it; group 1 is the number or the tracking code.
SAVED = re.compile(re.escape(t("form.saved", title="@T", number="@N", date="@D"))
                   .replace("@T", ".+").replace("@N", "([۰-۹]+)").replace("@D", ".+"))
FILED = re.compile(re.escape(t("request.filed", code="@C", date="@D"))
                   .replace("@C", "\u2066?([۰-۹-]+)\u2069?").replace("@D", ".+"))
STARTS = {  # what someone with nothing open does next, by role
    "facilitator": ["/report", "/report", t("menu.report"), "/need", t("menu.need")],
    "resident": ["/request", t("menu.request"), t("menu.request"), "/track"],
    "supervisor": ["/inbox", t("menu.inbox")],
    "admin": ["/inbox", t("menu.inbox")],
}


def sensible_move(user: SimUser, role: str, prompts: dict[str, Question], rng: random.Random,
                  today: date) -> tuple[str, str]:
    """Answer whatever the newest bot message asks, sensibly: (kind, value); kind is tap,
    text, location, contact or photo."""
    mine = user.messages()
    last = max(mine, key=lambda m: m.seq) if mine else None  # the latest sent or edited
    if last is None:
        return "text", "/start"
    buttons = last.buttons()
    for wanted in ("form.confirm", "form.resume", "form.cancel_no"):
        if t(wanted) in buttons:
            return "tap", t(wanted)
    toggles = [b for b in buttons if b.startswith(("▫️ ", "✅ "))]
    if t("form.done") in buttons:  # a multiple choice, or photos
        if not toggles:
            return ("photo", "") if rng.random() < 0.2 else ("tap", t("form.done"))
        if any(b.startswith("✅ ") for b in toggles) and rng.random() < 0.6:
            return "tap", t("form.done")
        return "tap", rng.choice(toggles)
    asked = [q for p, q in prompts.items() if p in last.text]
    question = max(asked, key=lambda q: len(q.prompt)) if asked else None
    choices = [b for b in buttons if b not in CONTROLS]
    if question is None:
        if role in ("admin", "supervisor") and choices and rng.random() < 0.7:
            return "tap", rng.choice(choices)  # work the inbox, pick an office …
        return "text", rng.choice(STARTS[role])
    kind = question.type
    if kind in ("choice", "yesno") and choices:
        return "tap", rng.choice(choices)
    if kind == "date":
        ago = rng.randrange(30)
        return rng.choice([("tap", t("form.today")), ("text", "امروز"),
                           ("text", jalali.format_date_numeric(today - timedelta(days=ago)))])
    if kind == "integer":
        low = 10 if question.id == "participants" else 0  # so the breakdown checks can pass
        number = str(rng.randint(low, 30 if question.id != "participants" else 60))
        return "text", rng.choice([number, to_persian_digits(number)])
    if kind == "text":
        return "text", rng.choice(SENTENCES)
    if kind in ("location", "contact"):
        return kind, ""
    return "text", rng.choice(STARTS[role])


@pytest.mark.parametrize("seed", [1, 2])
async def test_thousands_of_random_actions_break_nothing(
    settings: Settings, seed: int, caplog: pytest.LogCaptureFixture
) -> None:
    api = FakeBotAPI()
    rng = random.Random(seed)
    caplog.set_level(logging.INFO)  # the default level: no message text, no phone numbers
    many = replace(settings, flood_per_minute=100_000)  # the flood guard is tested apart
    async with SandboxBot(many, api, rate_limit=False) as bot:
        people = [bot.user(1, "مدیر")]
        role_of = {1: "admin"}
        for n, (role, office) in enumerate([("supervisor", "pamenar"),
                                            ("facilitator", "pamenar"),
                                            ("facilitator", "sarasiab"),
                                            ("facilitator", "qaleh-mahmoud")]):
            user = bot.user(100 + n, f"کارمند {n}")
            await make_staff(bot, user, role, office)
            people.append(user)
            role_of[user.id] = role
        people += [bot.user(500 + n, f"ساکن {n}") for n in range(8)]
        prompts = {q.prompt: q for form in bot.services.forms.values() for q in form.questions}
        today = jalali.today(many.timezone, bot.clock.now())
        group = {"id": -100777, "type": "supergroup", "title": "گروه محله"}
        unanswered: list[tuple[str, str]] = []
        for _ in range(ACTIONS):
            user = rng.choice(people)
            mark = api.last_seq
            kind = rng.random()
            private_message = True
            if rng.random() < SENSIBLE:
                move, label = sensible_move(user, role_of.get(user.id, "resident"), prompts,
                                            rng, today)
                if move == "tap":
                    user.tap(label)
                    private_message = "message" in api.queued_update(-1)
                elif move == "text":
                    user.send_text(label)
                else:
                    getattr(user, f"send_{move}")()
                    label = move
            elif kind < 0.45:
                text = rng.choice(TEXTS)
                if not text.strip():
                    text = text or "."
                user.send_text(text)
                label = text[:30]
            elif kind < 0.75:
                buttons = user.visible_buttons()
                if not buttons:
                    continue
                label = rng.choice(buttons)
                user.tap(label)
                # A reply-keyboard press is a message; an inline tap is answered as a tap.
                private_message = "message" in api.queued_update(-1)
            elif kind < 0.82:
                label = rng.choice(FORGED)
                user.tap_data(label)
                private_message = False
            elif kind < 0.95:
                action = rng.choice(["send_sticker", "send_voice", "send_photo",
                                     "send_location", "send_contact", "send_document"])
                getattr(user, action)()
                label = action
            elif kind < 0.97:
                user.edit_text(1, rng.choice(TEXTS) or ".")
                private_message = False
                label = "edit"
            elif kind < 0.98:
                api.push_update({"channel_post": {  # a channel the bot was added to
                    "message_id": 1, "date": 1, "text": rng.choice(TEXTS) or ".",
                    "chat": {"id": -100888, "type": "channel", "title": "کانال"}}})
                private_message = False
                label = "channel"
            else:
                user.send_in_group(group, rng.choice(["/digest_here", "سلام", "/start"]))
                private_message = False
                label = "group"
            await bot.deliver()
            if private_message and not user.messages(mark):
                unanswered.append((user.first_name, label))
        assert api.open_callbacks == set(), "every button tap gets an answer"
        assert unanswered == []
        assert bot.db is not None
        check = await bot.db.fetchone("PRAGMA integrity_check")
        assert check is not None and check[0] == "ok"
        orphans = await bot.db.fetchone(
            "SELECT count(*) FROM submissions s LEFT JOIN drafts d ON d.id = s.draft_id "
            "WHERE d.id IS NOT NULL")
        assert orphans is not None and orphans[0] == 0, "a submitted draft was left behind"
        forms = dict(await bot.db.fetchall("SELECT form, count(*) FROM submissions GROUP BY form"))
        numbers = [r[0] for r in await bot.db.fetchall("SELECT id FROM submissions ORDER BY id")]
        codes = [r[0] for r in await bot.db.fetchall("SELECT code FROM requests ORDER BY code")]
        twice = await bot.db.fetchall(
            "SELECT 's', draft_id FROM submissions GROUP BY draft_id HAVING count(*) > 1 UNION "
            "SELECT 'r', draft_id FROM requests GROUP BY draft_id HAVING count(*) > 1")
    rejected = [(c.method, c.description) for c in api.rejected_calls()
                if not c.description.startswith(("injected", "Forbidden: bot was blocked"))]
    assert rejected == [], "the messenger rejected calls the bot made"
    tracebacks = [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert [r.getMessage() for r in tracebacks] == []
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "+98912" not in logged and "DROP TABLE" not in logged and "سلام" not in logged
    texts = [m.text for chat in api.messages.values() for m in chat if m.from_bot]
    assert t("general.error") not in texts
    counts = {"submissions": len(numbers), **forms, "requests": len(codes)}
    print(f"seed {seed}: {counts}")
    assert min(counts.get(k, 0) for k in ("field_report", "needs_assessment", "requests")) > 0, \
        counts
    assert [tuple(r) for r in twice] == [], "one form, one row"
    sent = [c.params.get("text", "") for c in api.calls if c.method == "sendMessage"
            and c.status == 200]  # as sent: a later tap on a message may edit it into another
    saved = sorted(int(to_ascii_digits(m[1])) for x in sent if (m := SAVED.match(x)))
    assert saved == numbers, "each submission confirmed once, each confirmation stored"
    filed = {to_ascii_digits(m[1]).replace("-", "") for x in sent if (m := FILED.match(x))}
    assert sorted(filed) == codes, "each request told its code, each code stored"


async def test_a_flooding_user_is_slowed_with_one_notice_and_others_are_served(
    sandbox: SandboxBot, api: FakeBotAPI
) -> None:
    flooder, neighbour = sandbox.user(600, "پرحرف"), sandbox.user(601, "همسایه")
    limit = sandbox.settings.flood_per_minute
    for _ in range(limit + 140):
        flooder.send_text("سلام")
    neighbour.send_text("/start")
    await sandbox.deliver()
    replies = [m.text for m in flooder.messages()]
    assert replies.count(t("access.slow_down")) == 1
    assert len(replies) == limit + 1  # the admitted ones answered, then one notice
    assert neighbour.messages()[-1].text.startswith("سلام همسایه")


@pytest.mark.parametrize("fault", ["database is locked", "attempt to write a readonly database",
                                   "disk full"])
async def test_a_storage_failure_gets_a_persian_try_again_and_loses_nothing(
    sandbox: SandboxBot, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
    fault: str,
) -> None:
    import errno
    import sqlite3

    from storage import drafts

    maryam = sandbox.user(200, "مریم")
    await make_staff(sandbox, maryam, "facilitator", "qaleh-mahmoud")
    await sandbox.say(maryam, "/report")
    await sandbox.tap(maryam, "قلعه محمود")
    real_save = drafts.save_draft
    failures = {"left": 1}

    async def locked_once(db, draft):  # type: ignore[no-untyped-def]
        if failures["left"]:
            failures["left"] -= 1
            if fault == "disk full":
                raise OSError(errno.ENOSPC, "No space left on device")
            raise sqlite3.OperationalError(fault)
        await real_save(db, draft)

    monkeypatch.setattr(drafts, "save_draft", locked_once)
    reply = (await sandbox.tap(maryam, t("form.today")))[-1]
    assert reply.text == t("general.storage")
    assert not [r for r in caplog.records if r.exc_info], "no traceback for a locked database"
    assert sandbox.db is not None
    person = await sandbox.db.fetchone("SELECT id FROM people WHERE user_id = 200")
    draft = await drafts.draft_of(sandbox.db, person[0])  # type: ignore[index]
    assert draft is not None and "day" not in draft.answers and draft.current == "day"
    again = (await sandbox.tap(maryam, t("form.today")))[-1]  # the bot kept running
    assert again.text.split("\n\n")[-1].startswith("پرسش ۳")  # under the answers tapped


async def test_a_429_storm_is_obeyed_and_nothing_is_lost(sandbox: SandboxBot, clock: ManualClock,
                                                          api: FakeBotAPI) -> None:
    from datetime import timedelta

    from bot.delivery import deliver_due
    from storage import outbox

    people = [sandbox.user(900 + n, f"ساکن {n}") for n in range(12)]
    for person in people:
        await sandbox.say(person, "/start")
    assert sandbox.db is not None and sandbox.application is not None
    async with sandbox.db.transaction() as tx:
        for person in people:
            await outbox.enqueue(tx, f"storm:{person.id}", person.id, "خبر آزمایشی طوفان",
                                 now=sandbox.clock.now())
    api.fail_next(429, "injected: Too Many Requests: retry after 1", method="sendMessage",
                  retry_after=1, count=20)
    for _step in range(30):
        report = await deliver_due(sandbox.application.bot, sandbox.db)
        clock.advance(2)
        if not await outbox.due(sandbox.db, sandbox.clock.now() + timedelta(hours=1)):
            break
        assert report.undeliverable == 0
    got = [len([m for m in p.messages() if m.text == "خبر آزمایشی طوفان"]) for p in people]
    assert got == [1] * 12
    assert len(api.rejected_calls(429)) == 20


@pytest.mark.parametrize("hold", ["another connection holds the write lock", "read-only"])
async def test_a_really_locked_or_read_only_database_file(
    sandbox: SandboxBot, caplog: pytest.LogCaptureFixture, hold: str
) -> None:
    """Not an injected exception: SQLite itself refuses the write, after its busy timeout."""
    import sqlite3

    from storage import drafts

    maryam = sandbox.user(201, "مریم")
    await make_staff(sandbox, maryam, "facilitator", "qaleh-mahmoud")
    await sandbox.say(maryam, "/report")
    await sandbox.tap(maryam, "قلعه محمود")
    assert sandbox.db is not None
    other = sqlite3.connect(sandbox.db.path, isolation_level=None)
    try:
        if hold == "read-only":
            await sandbox.db.execute("PRAGMA query_only = ON")
        else:
            other.execute("BEGIN IMMEDIATE")  # as a backup tool or a second bot might
        reply = (await sandbox.tap(maryam, t("form.today")))[-1]
        assert reply.text == t("general.storage")
    finally:
        if other.in_transaction:
            other.execute("ROLLBACK")
        other.close()
        await sandbox.db.execute("PRAGMA query_only = OFF")
    assert not [r for r in caplog.records if r.exc_info], "no traceback for a refused write"
    person = await sandbox.db.fetchone("SELECT id FROM people WHERE user_id = 201")
    draft = await drafts.draft_of(sandbox.db, person[0])  # type: ignore[index]
    assert draft is not None and "day" not in draft.answers and draft.current == "day"
    again = (await sandbox.tap(maryam, t("form.today")))[-1]  # the same tap, once freed
    assert again.text.split("\n\n")[-1].startswith("پرسش ۳")  # under the answers tapped
