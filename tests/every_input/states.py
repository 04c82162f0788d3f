"""Reach every step of every flow through the fake messenger and save each one.

Not random: each flow is walked once, answering every question sensibly (and choosing the
answers that bring the conditional questions in: «سایر», a follow-up, participants), and at
every question, summary, confirmation and button-bearing screen the moment is saved: a copy
of the database file (drafts, requests, PTB's conversation states) and of the chats on the
fake messenger. `tests/test_every_input.py` then sends every input kind at each saved moment,
on its own copy, so one input never changes what the next one meets.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from bot.callbacks import Area, encode, tap
from bot.clock import ManualClock
from bot.delivery import deliver_due
from bot.forms.model import Question
from bot.locale.codes import shown_code
from bot.locale.text import t
from bot.sandbox import SandboxBot, SimUser
from bot.sandbox.fake_api import ApiSnapshot
from storage import requests as store
from tests.test_requests import file_request, join

FLOWS = ("field_report", "needs_assessment", "resident_request", "staff", "resident")
SENTENCE = "چراغ‌های کوچهٔ ما یک ماه است خاموش است و شب‌ها کوچه تاریک است."
CONTROLS = {t("form.back"), t("form.skip"), t("form.cancel"), t("form.done")}


@dataclass
class State:
    """One saved moment: who is at it, what the screen asks, and how to get it back."""

    flow: str
    name: str
    sender: int                      # the person who sends the inputs here
    database: Path                   # a copy of the database file at this moment
    chats: ApiSnapshot               # the fake messenger's chats at this moment
    question: Question | None = None  # the form question asked, if one is
    screen: str = "buttons"          # question, summary, cancel, resume, buttons
    stale: tuple[str, int] | None = None  # a button from an earlier step: (data, message id)
    forged: str = ""                 # another office's or person's request button
    forged_draft: str = ""           # a button of another person's open form
    at: datetime | None = None       # the clock's reading at this moment


class Recorder:
    """Saves moments of one running sandbox as `State`s, in a folder of database copies."""

    def __init__(self, bot: SandboxBot, flow: str, folder: Path) -> None:
        self.bot = bot
        self.flow = flow
        self.folder = folder
        self.states: list[State] = []
        self.forged = ""
        self.forged_draft = ""
        self.seen: dict[int, list[tuple[str, int]]] = {}  # person → buttons shown so far

    def copy_database(self, name: str) -> Path:
        """A standalone copy of the live database (SQLite's online backup)."""
        assert self.bot.db is not None
        target = self.folder / f"{self.flow}-{len(self.states):03d}-{name}.db"
        source = sqlite3.connect(self.bot.db.path)
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
        return target

    def save(self, user: SimUser, name: str, *, question: Question | None = None,
             screen: str = "buttons") -> None:
        """Save the moment `user` is at now, under `name` (made unique in the flow)."""
        taken = {s.name for s in self.states}
        unique, n = name, 2
        while unique in taken:
            unique, n = f"{name}#{n}", n + 1
        on_screen = buttons_on_screen(user)
        seen = self.seen.setdefault(user.id, [])
        seen += [b for b in on_screen if b not in seen]
        shown = {data for data, _ in on_screen}
        gone = [b for b in seen if b[0] not in shown]  # once on screen, edited away since
        self.states.append(State(
            self.flow, unique, user.id, self.copy_database(unique), self.bot.api.snapshot(),
            question, screen, gone[-1] if gone else None, self.forged, self.forged_draft,
            self.bot.clock.now()))


def buttons_on_screen(user: SimUser) -> list[tuple[str, int]]:
    """(data, message id) of every inline button on the bot's messages to the person now."""
    return [(b["callback_data"], m.message_id) for m in user.messages()
            for row in m.inline_keyboard for b in row if "callback_data" in b]


async def draft_at(bot: SandboxBot, user: SimUser) -> tuple[str, str] | None:
    """(form, current question id or '' at the summary) of the person's draft, if any."""
    assert bot.db is not None
    row = await bot.db.fetchone(
        "SELECT d.form, d.current FROM drafts d JOIN people p ON p.id = d.person_id "
        "WHERE p.user_id = ?", (user.id,))
    return (row[0], row[1]) if row else None


def choice_label(question: Question, wanted: str) -> str | None:
    """The label of the choice with value `wanted`, if the question has one."""
    return next((c.label for c in question.choices if c.value == wanted), None)


async def answer(bot: SandboxBot, user: SimUser, question: Question, text: str) -> None:
    """Answer the question sensibly, choosing what brings conditional questions in."""
    kind = question.type
    buttons = [b for b in user.visible_buttons() if b not in CONTROLS]
    if kind == "choice":
        label = (choice_label(question, "other") if question.id == "activity" else None) or (
            choice_label(question, "share") if question.id == "contact_choice" else None) or (
            "سرآسیاب" if question.id == "hood" and "سرآسیاب" in buttons else None) or buttons[0]
        await bot.tap(user, label)
    elif kind == "multi":
        toggles = [b for b in buttons if b.startswith(("▫️ ", "✅ "))]
        await bot.tap(user, toggles[0])
        await bot.tap(user, t("form.done"))
    elif kind in ("integer", "decimal"):
        await bot.say(user, "200" if question.id == "participants" else "20")
    elif kind == "date":
        await bot.tap(user, t("form.today"))
    elif kind == "yesno":
        await bot.tap(user, t("form.yes"))
    elif kind == "location":
        await bot.tap(user, t("form.send_location"))
    elif kind == "contact":
        await bot.tap(user, t("form.send_contact"))
    elif kind == "photos":
        await bot.act(user, "send_photo")
        await bot.tap(user, t("form.done"))
    else:
        await bot.say(user, text)


async def walk_form(bot: SandboxBot, rec: Recorder, user: SimUser, prefix: str, *,
                    text: str = SENTENCE, detours: bool = False, confirm: bool = True) -> None:
    """Walk the person's open form to its end, saving every question and the summary.

    With `detours`, the cancel confirmation and the resume offer are saved too (at the
    second question). Without `confirm` the form is cancelled at the summary."""
    forms = bot.services.forms
    asked = 0
    for _step in range(60):
        at = await draft_at(bot, user)
        if at is None:
            return
        form, current = at
        if current == "":
            rec.save(user, f"{prefix}summary", screen="summary")
            if confirm:
                await bot.tap(user, t("form.confirm"))
            else:
                await bot.tap(user, t("form.cancel"))
                await bot.tap(user, t("form.cancel_yes"))
            continue
        question = next(q for q in forms[form].questions if q.id == current)
        rec.save(user, f"{prefix}{current}", question=question, screen="question")
        asked += 1
        if detours and asked == 2:
            await bot.tap(user, t("form.cancel"))
            rec.save(user, f"{prefix}cancel_confirm", screen="cancel")
            await bot.tap(user, t("form.cancel_no"))
        if question.type == "photos" and not [s for s in rec.states
                                              if s.name == f"{prefix}photos+1"]:
            await bot.act(user, "send_photo")  # the step with a photo in hand, «done» below
            rec.save(user, f"{prefix}photos+1", question=question, screen="question")
            await bot.tap(user, t("form.done"))
            continue
        await answer(bot, user, question, text)
    raise AssertionError(f"{prefix}: the form never ended")


async def resume_detour(bot: SandboxBot, rec: Recorder, user: SimUser, start: str,
                        prefix: str) -> None:
    """With a draft left for a night, start the form again: the resume offer; saved, then
    resumed."""
    hours = bot.services.settings.draft_stale_hours
    assert isinstance(bot.clock, ManualClock)
    bot.clock.advance(timedelta(hours=hours + 1))
    await bot.say(user, start)
    rec.save(user, f"{prefix}resume_offer", screen="resume")
    await bot.tap(user, t("form.resume"))


# ----- the people and requests every flow starts from --------------------------------------


@dataclass
class World:
    """Zahra (resident) and Reza (resident) in Sarasiab, Omid (resident) in Pamenar;
    facilitators Maryam and Hamid of Sarasiab, Ali of Pamenar."""

    zahra: SimUser
    reza: SimUser
    omid: SimUser
    maryam: SimUser
    hamid: SimUser
    ali: SimUser
    codes: dict[str, str] = field(default_factory=dict)  # who → their request's code


async def make_world(bot: SandboxBot, *, requests: bool) -> World:
    """Seat the staff; with `requests`, Zahra, Reza and Omid each file one request."""
    world = World(bot.user(500, "زهرا", phone="+989131112233"), bot.user(501, "رضا"),
                  bot.user(502, "امید"), bot.user(200, "مریم"), bot.user(202, "حمید"),
                  bot.user(201, "علی"))
    for staff, office in ((world.maryam, "sarasiab"), (world.hamid, "sarasiab"),
                          (world.ali, "pamenar")):
        await join(bot.db, staff, office)
    await bot.say(world.ali, "/report")  # Ali's report stays open: its buttons are forged
    if requests:
        world.codes["zahra"] = await file_request(bot, world.zahra, extras=False)
        world.codes["reza"] = await file_request(bot, world.reza, extras=False)
        world.codes["omid"] = await file_request(bot, world.omid, hood="پامنار", extras=False)
    return world


async def request_of(bot: SandboxBot, code: str) -> store.Request:
    """The stored request with this code."""
    assert bot.db is not None
    found = await store.by_code(bot.db, code)
    assert found is not None
    return found


async def forged_staff_tap(bot: SandboxBot, world: World) -> str:
    """A staff button for another office's request (Omid's, in Pamenar)."""
    other = await request_of(bot, world.codes["omid"])
    return encode(tap(Area.STAFF, "st", request=other.id, status="resolved",
                      version=other.version))


async def forged_draft_tap(bot: SandboxBot, world: World) -> str:
    """«Discard» on Ali's open report, tapped by someone else."""
    assert bot.db is not None
    row = await bot.db.fetchone(
        "SELECT d.id FROM drafts d JOIN people p ON p.id = d.person_id WHERE p.user_id = ?",
        (world.ali.id,))
    assert row is not None, "Ali's report is open"
    return encode(tap(Area.FORM, "xx", draft=row[0]))


async def forged_resident_tap(bot: SandboxBot, world: World) -> str:
    """A resident's button for another person's request (Omid's)."""
    other = await request_of(bot, world.codes["omid"])
    return encode(tap(Area.RESIDENT, "wdy", request=other.id))


async def notices_delivered(bot: SandboxBot) -> None:
    """Past the undo window, with every notice owed delivered (notices may wait for it)."""
    assert isinstance(bot.clock, ManualClock) and bot.db is not None
    assert bot.application is not None
    bot.clock.advance(timedelta(minutes=store.UNDO_MINUTES + 1))
    await deliver_due(bot.application.bot, bot.db)


# ----- the flows --------------------------------------------------------------------------


async def field_report(bot: SandboxBot, rec: Recorder) -> None:
    """A facilitator's field report: every question (with «other» and a follow-up), the
    photos with one in hand, the location, the summary, the cancel confirmation and the
    resume offer."""
    world = await make_world(bot, requests=True)
    rec.forged = await forged_staff_tap(bot, world)
    rec.forged_draft = await forged_draft_tap(bot, world)
    await bot.say(world.maryam, "/start")
    await bot.say(world.maryam, t("menu.report"))
    await staff_form(bot, rec, world.maryam, "report:", t("menu.report"))


async def needs_assessment(bot: SandboxBot, rec: Recorder) -> None:
    """A facilitator's needs assessment, the same way."""
    world = await make_world(bot, requests=True)
    rec.forged = await forged_staff_tap(bot, world)
    rec.forged_draft = await forged_draft_tap(bot, world)
    await bot.say(world.maryam, "/start")
    await bot.say(world.maryam, t("menu.need"))
    await staff_form(bot, rec, world.maryam, "need:", t("menu.need"))


async def staff_form(bot: SandboxBot, rec: Recorder, user: SimUser, prefix: str,
                     start: str) -> None:
    """Save the first question, the resume offer after one answer, then walk the rest."""
    at = await draft_at(bot, user)
    assert at is not None, "the form did not start"
    form, current = at
    question = next(q for q in bot.services.forms[form].questions if q.id == current)
    rec.save(user, f"{prefix}{current}", question=question, screen="question")
    await answer(bot, user, question, SENTENCE)
    await resume_detour(bot, rec, user, start, prefix)
    await walk_form(bot, rec, user, prefix, detours=True)


async def resident_request(bot: SandboxBot, rec: Recorder) -> None:
    """A resident's request: every question (photos, place, sharing the phone), the
    summary, the cancel confirmation and the resume offer."""
    world = await make_world(bot, requests=False)
    world.codes["omid"] = await file_request(bot, world.omid, hood="پامنار", extras=False)
    rec.forged = await forged_resident_tap(bot, world)
    rec.forged_draft = await forged_draft_tap(bot, world)
    await bot.say(world.zahra, "/start")
    await bot.say(world.zahra, t("menu.request"))
    await staff_form(bot, rec, world.zahra, "request:", t("menu.request"))


async def staff(bot: SandboxBot, rec: Recorder) -> None:
    """Every staff action on a request that asks for input: the card, take, hand over and
    release, resolve, reject, duplicate, note (public or not), refer and «other» agency."""
    world = await make_world(bot, requests=True)
    rec.forged = await forged_staff_tap(bot, world)
    rec.forged_draft = await forged_draft_tap(bot, world)
    maryam = world.maryam
    code = world.codes["zahra"]
    await bot.say(maryam, f"/track {code}")
    rec.save(maryam, "card")
    await bot.tap(maryam, t("inbox.take"))
    rec.save(maryam, "card_taken")
    await bot.tap(maryam, t("case.hand"))
    rec.save(maryam, "hand_over")
    await bot.tap(maryam, t("inbox.back_to_card"))
    for button, prefix, text in (
            (t("inbox.to_resolved"), "resolve:", "لامپ‌های کوچه عوض شد."),
            (t("inbox.to_rejected"), "reject:", "در حوزهٔ کار دفتر نیست."),
            (t("inbox.note"), "note:", "کارشناس شهرداری فردا بازدید می‌کند.")):
        await bot.say(maryam, f"/track {code}")
        await bot.tap(maryam, button)
        await walk_form(bot, rec, maryam, prefix, text=text, confirm=False)
    await bot.say(maryam, f"/track {code}")
    await bot.tap(maryam, t("inbox.to_referred"))
    rec.save(maryam, "refer:agencies")
    await bot.tap(maryam, t("case.other_agency"))
    await walk_form(bot, rec, maryam, "refer:", text="ادارهٔ ثبت احوال", confirm=False)
    await bot.say(maryam, f"/track {code}")
    await bot.tap(maryam, t("case.release"))
    rec.save(maryam, "released")
    await bot.say(maryam, f"/track {world.codes['reza']}")  # Reza's is a copy of Zahra's
    await bot.tap(maryam, t("inbox.to_duplicate"))
    await walk_form(bot, rec, maryam, "duplicate:", confirm=False,
                    text=shown_code(code, isolated=False))


async def resident(bot: SandboxBot, rec: Recorder) -> None:
    """Every resident action: the list (/track), a request's detail, add (text, photos),
    withdraw's confirmation, «was it solved?», «not solved»'s reason, reopen, and the
    duplicate's resident following the original."""
    world = await make_world(bot, requests=True)
    rec.forged = await forged_resident_tap(bot, world)
    rec.forged_draft = await forged_draft_tap(bot, world)
    zahra, maryam, reza = world.zahra, world.maryam, world.reza
    code = world.codes["zahra"]
    await bot.say(zahra, "/track")
    rec.save(zahra, "track_list")
    await bot.tap(zahra, f"جزئیات {shown_code(code)}")
    rec.save(zahra, "detail")
    await bot.tap(zahra, t("case.add"))
    await walk_form(bot, rec, zahra, "add:", text="امشب هم کوچه کاملاً تاریک بود")
    await bot.say(zahra, f"/track {code}")
    await bot.tap(zahra, t("case.withdraw"))
    rec.save(zahra, "withdraw_confirm")
    await bot.tap(zahra, t("case.withdraw_no"))

    # the office marks Reza's request a duplicate of Zahra's, then resolves Zahra's
    await bot.say(maryam, f"/track {world.codes['reza']}")
    await bot.tap(maryam, t("inbox.to_duplicate"))
    await bot.say(maryam, shown_code(code, isolated=False))
    if t("form.confirm") in maryam.visible_buttons():
        await bot.tap(maryam, t("form.confirm"))
    await notices_delivered(bot)
    rec.save(reza, "duplicate_notice")
    await bot.tap(reza, t("case.follow_button"))
    rec.save(reza, "following")
    await bot.say(maryam, f"/track {code}")
    await bot.tap(maryam, t("inbox.to_resolved"))
    await bot.say(maryam, "لامپ‌های کوچه عوض شد.")
    if t("form.confirm") in maryam.visible_buttons():
        await bot.tap(maryam, t("form.confirm"))
    await notices_delivered(bot)
    rec.save(zahra, "solved_question")
    await bot.say(zahra, f"/track {code}")
    rec.save(zahra, "resolved_detail")
    await bot.tap(zahra, t("case.solved_no"))
    await walk_form(bot, rec, zahra, "not_solved:", text="فقط یکی از لامپ‌ها روشن شد")


WALKS: dict[str, Callable[[SandboxBot, Recorder], Awaitable[None]]] = {
    "field_report": field_report, "needs_assessment": needs_assessment,
    "resident_request": resident_request, "staff": staff, "resident": resident,
}
