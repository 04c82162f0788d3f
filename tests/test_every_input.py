"""Issue 20's state × input test: every input kind at every step of every flow.

The driver (`tests/every_input/states.py`) walks each flow once through the fake messenger
(not at random: it enumerates the questions, summaries, confirmations and button-bearing
screens) and saves every step. Each input kind (`tests/every_input/inputs.py`) is then sent
at each saved step, on a fresh copy of it (the database file and the chats), to the real
application. For each (state, input): no traceback (the error handler not reached, nothing
logged as an error), no call the messenger rejected, at least one answer to the sender (a
message, or a toast for a tap), and the stored draft and requests unchanged where the input
is not an answer and updated where it is. One test per flow, so xdist spreads them; the count
of pairs covered is printed (`pytest -s`).
"""

from __future__ import annotations

import functools
import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

import bot.app
from bot.clock import ManualClock
from bot.config import Settings
from bot.locale.text import t
from bot.sandbox import FakeBotAPI, SandboxBot, SimUser
from storage.db import Database
from tests.every_input.inputs import INPUTS, TAPS, expected, send
from tests.every_input.states import FLOWS, WALKS, Recorder, State

# Pairs that fail for a bug in a module another helper is rewriting (handlers/track.py,
# triage.py, inbox.py, card.py, bot/cases.py, storage/requests.py; the form engine and its
# handlers): (flow, state, input). Each is in the report to the lead, who empties this set
# when the fixes merge. Nothing else is skipped.
KNOWN: set[tuple[str, str, str]] = {
    # handlers/forms.py: «✖ لغو» of a question already left (frm:D:x:QUESTION), tapped
    # at the cancel confirmation: answered with an empty toast, nothing said.
    ("resident_request", "request:cancel_confirm", "stale_button"),
    ("field_report", "report:cancel_confirm", "stale_button"),
    ("needs_assessment", "need:cancel_confirm", "stale_button"),
    # handlers/triage.py (staff_button → refresh_card): «« بازگشت به درخواست» (req:show)
    # on a message that shows the card again, tapped while the resolve note is being
    # written: an empty toast, nothing said (not the open note, not the card).
    ("staff", "resolve:note", "stale_button"),
    ("staff", "resolve:summary", "stale_button"),
    # handlers/form_steps.py (on_edit): an edited text with no form open gets silence.
    *(("staff", step, "edited") for step in (
        "card", "card_taken", "hand_over", "refer:agencies", "released")),
    *(("resident", step, "edited") for step in (
        "track_list", "detail", "withdraw_confirm", "duplicate_notice", "following",
        "solved_question", "resolved_detail")),
}

NAMES = {500: "زهرا", 501: "رضا", 502: "امید", 200: "مریم", 202: "حمید", 201: "علی"}
APOLOGIES = {t("general.error"), t("general.storage")}


@dataclass
class Outcome:
    """What one input did at one step."""

    state: str
    kind: str
    answered: bool
    changed: bool
    failures: list[str]


async def stored(db: Database) -> list[Any]:
    """What an input may change: the drafts, the requests, their trail and attachments, the
    submissions (not bookkeeping such as the updates a draft has seen or access logs)."""
    queries = (
        "SELECT person_id, form, answers, current, history, mode FROM drafts ORDER BY id",
        "SELECT id, status, version, assignee_id, duplicate_of, description, phone, solved, "
        "resolved_at FROM requests ORDER BY id",
        "SELECT * FROM request_events ORDER BY id",
        "SELECT * FROM attachments ORDER BY id",
        "SELECT id, form FROM submissions ORDER BY id",
    )
    return [[tuple(r) for r in await db.fetchall(q)] for q in queries]


@pytest.fixture
def quick_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """Load the organisation file and the forms once per test, not at every restart."""
    monkeypatch.setattr(bot.app, "load_organisation",
                        functools.lru_cache(maxsize=None)(bot.app.load_organisation))
    forms: dict[Any, Any] = {}
    real = bot.app.load_forms

    def load_forms(folder: Any, **kwargs: Any) -> Any:
        if folder not in forms:
            forms[folder] = real(folder, **kwargs)
        return forms[folder]

    monkeypatch.setattr(bot.app, "load_forms", load_forms)


async def collect(flow: str, settings: Settings, clock: ManualClock,
                  folder: Path) -> list[State]:
    """Walk the flow once and save every step."""
    api = FakeBotAPI()
    async with SandboxBot(settings, api, clock=clock, rate_limit=False) as sandbox:
        recorder = Recorder(sandbox, flow, folder)
        await WALKS[flow](sandbox, recorder)
    assert recorder.states, flow
    return recorder.states


async def try_input(state: State, kind: str, settings: Settings, clock: ManualClock,
                    api: FakeBotAPI, work: Path, caplog: pytest.LogCaptureFixture) -> Outcome:
    """Send `kind` at a fresh copy of `state` and judge what the bot did."""
    database = work / "pair.db"
    for leftover in (database, work / "pair.db-wal", work / "pair.db-shm"):
        leftover.unlink(missing_ok=True)
    shutil.copyfile(state.database, database)
    api.restore(state.chats)
    assert state.at is not None
    clock.set(state.at)
    logged = len(caplog.records)
    failures: list[str] = []
    async with SandboxBot(replace(settings, database_path=database), api, clock=clock,
                          rate_limit=False) as sandbox:
        assert sandbox.db is not None
        before = await stored(sandbox.db)
        user = SimUser(api, state.sender, NAMES[state.sender])
        mark = api.last_seq
        send(kind, user, state)
        taps = sorted(api.open_callbacks)  # the restored messenger had none open
        await sandbox.deliver()
        after = await stored(sandbox.db)
    replies = user.messages(mark)
    toasts = [api.callback_answers[q].get("text", "") for q in taps if q in api.callback_answers]
    if [m for m in replies if m.text in APOLOGIES]:
        failures.append("apologised (the error handler was reached)")
    errors = [r.getMessage() for r in caplog.records[logged:]
              if r.exc_info or r.levelno >= logging.ERROR]
    if errors:
        failures.append(f"logged errors: {errors}")
    rejected = [(c.method, c.description) for c in api.rejected_calls()]
    if rejected:
        failures.append(f"the messenger rejected {rejected}")
    if set(api.open_callbacks) & set(taps):
        failures.append("a tap left unanswered")
    answered = bool(replies) or any(toasts)
    said = [m.text[:70] for m in replies] + [f"toast: {x[:70]}" for x in toasts if x]
    if not answered:
        failures.append("no answer to the sender")
    changed = before != after
    want = expected(state, kind)
    if want == "same" and changed:
        failures.append("changed what is stored, though it is not an answer here")
    if want == "change" and not changed:
        failures.append("an answer here, but nothing was stored")
    if failures:
        failures.append(f"the bot said {said}")
        if kind == "stale_button":
            failures.append(f"tapped {state.stale}")
    return Outcome(state.name, kind, answered, changed, failures)


@pytest.mark.parametrize("flow", FLOWS)
async def test_every_input_at_every_step(
    flow: str, settings: Settings, clock: ManualClock, tmp_path: Path,
    caplog: pytest.LogCaptureFixture, quick_start: None,
    record_property: Callable[[str, object], None],
) -> None:
    caplog.set_level(logging.INFO)
    saved = tmp_path / "states"
    saved.mkdir()
    states = await collect(flow, settings, clock, saved)
    api = FakeBotAPI(clock=clock)
    work = tmp_path / "work"
    work.mkdir()
    outcomes = [await try_input(state, kind, settings, clock, api, work, caplog)
                for state in states for kind in INPUTS]
    record_property("state_input_pairs", len(outcomes))  # summed in the terminal summary
    failed = [o for o in outcomes if o.failures and (flow, o.state, o.kind) not in KNOWN]
    fixed = [k for k in KNOWN if k[0] == flow
             and not any((o.state, o.kind) == k[1:] and o.failures for o in outcomes)]
    print(f"\nstate × input, {flow}: {len(outcomes)} pairs ({len(states)} states × "
          f"{len(INPUTS)} inputs), {len(failed)} failing, "
          f"{len([o for o in outcomes if (flow, o.state, o.kind) in KNOWN])} known")
    assert not failed, "\n".join(f"{o.state} × {o.kind}: {'; '.join(o.failures)}"
                                  for o in failed)
    assert fixed == [], "known failures that pass now: take them out of KNOWN"
    assert {s.name for s in states} >= EXPECTED_STATES[flow]
    assert TAPS <= set(INPUTS)


EXPECTED_STATES = {
    "field_report": {"report:hood", "report:day", "report:activity", "report:activity_other",
                     "report:domains", "report:participants", "report:summary",
                     "report:followup_what", "report:photos", "report:photos+1",
                     "report:location", "report:cancel_confirm", "report:resume_offer"},
    "needs_assessment": {"need:hood", "need:severity", "need:households", "need:groups",
                         "need:description", "need:summary", "need:cancel_confirm",
                         "need:resume_offer"},
    "resident_request": {"request:category", "request:hood", "request:description",
                         "request:photos", "request:location", "request:contact_choice",
                         "request:phone", "request:summary", "request:cancel_confirm",
                         "request:resume_offer"},
    "staff": {"card", "card_taken", "hand_over", "resolve:note", "reject:reason",
              "note:note", "note:public", "duplicate:original", "refer:agencies",
              "refer:agency", "released"},
    "resident": {"track_list", "detail", "add:note", "add:photos", "withdraw_confirm",
                 "duplicate_notice", "following", "solved_question", "resolved_detail",
                 "not_solved:reason"},
}
