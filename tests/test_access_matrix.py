"""The access matrix: every command and every button family, tried by every kind of person,
against a table written out here (not derived from the code it checks).

Every answer is classified from the Persian catalogue: a refusal, an error, or one of the
answers that mean «served». A reply or toast matching none of them fails the test (it is
printed), and so does any error; nothing counts as allowed by default. Every button tap is
also checked in the database: a refused tap changes nothing, an allowed one changes exactly
what its action should.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from pprint import pformat
from typing import Any

import pytest

from bot.config import Settings
from bot.locale.text import catalogue, t
from bot.sandbox import FakeBotAPI, SandboxBot, SimUser
from bot.sandbox.fake_api import ChatMessage
from storage import offices
from storage import requests as request_store
from storage.db import Database
from storage.people import get_person, set_active
from tests.conftest import seat

# Offices: A (pamenar) and B (sarasiab) of the province of Kerman; C (yazd-markaz), the one
# office of a second province (Yazd) added to the shipped organisation file for this test.
# The columns. admin: the admin of the settings; sup: supervisor of A; sup_prov: supervisor
# of the whole province of Kerman (A and B, not C); sup_other: supervisor of B; fac /
# fac_other: facilitators of A / B; resident: a resident with no request; owner: the
# resident who filed the requests named below; gone: a facilitator of A who was deactivated
# (treated as a resident).
ROLES = ("admin", "sup", "sup_prov", "sup_other", "fac", "fac_other", "resident", "owner",
         "gone")


def grid(text: str) -> dict[str, dict[str, str]]:
    """A table written as text: a header of roles, then a row name and one cell per role."""
    header, *rows = [line.split() for line in text.strip().splitlines()]
    assert tuple(header[1:]) == ROLES, header
    table = {}
    for row in rows:
        assert len(row) == len(header), row
        table[row[0]] = dict(zip(ROLES, row[1:], strict=True))
    return table


# Commands: ok (served); empty (served, with nothing of theirs to show); deny (refused with
# a short Persian answer); scope (not their office); nf (not their request). «a:b:c» is
# typed as «/a b c»; {code} / {far} is the tracking code of a request of office A / C.
COMMANDS = grid("""
command                         admin sup   sup_prov sup_other fac   fac_other resident owner gone
start                           ok    ok    ok       ok        ok    ok        ok       ok    ok
help                            ok    ok    ok       ok        ok    ok        ok       ok    ok
cancel                          ok    ok    ok       ok        ok    ok        ok       ok    ok
track                           ok    ok    ok       ok        ok    ok        empty    ok    empty
track:{code}                    ok    ok    ok       nf        ok    nf        nf       ok    nf
track:{far}                     ok    nf    nf       nf        nf    nf        nf       ok    nf
request                         deny  deny  deny     deny      deny  deny      ok       ok    ok
report                          deny  deny  deny     deny      ok    ok        deny     deny  deny
need                            deny  deny  deny     deny      ok    ok        deny     deny  deny
mine                            deny  deny  deny     deny      empty empty     deny     deny  deny
inbox                           ok    ok    ok       empty     ok    empty     deny     deny  deny
inbox:{code}                    ok    ok    ok       ok        ok    ok        deny     deny  deny
digest                          ok    ok    ok       ok        deny  deny      deny     deny  deny
export                          ok    ok    ok       ok        deny  deny      deny     deny  deny
digest_here                     ok    ok    ok       ok        deny  deny      deny     deny  deny
invite                          ok    ok    ok       ok        deny  deny      deny     deny  deny
invite:facilitator:pamenar      ok    ok    ok       scope     deny  deny      deny     deny  deny
invite:facilitator:yazd-markaz  ok    scope scope    scope     deny  deny      deny     deny  deny
invite:supervisor:pamenar       ok    deny  deny     deny      deny  deny      deny     deny  deny
invite:supervisor:kerman        ok    deny  deny     deny      deny  deny      deny     deny  deny
people                          ok    deny  deny     deny      deny  deny      deny     deny  deny
""")

# Button families, with forged data aimed at a fresh request of office A ({rid}) or C
# ({far}) at its version {v} (resolved first for trk:reopen), office A ({office}) or C
# ({far_office}), the province of Kerman ({province}) and a facilitator of A ({pid};
# active for ppl:d, inactive for ppl:a).
# Outcomes as for the commands, and stale: no such button or form.
BUTTONS = grid("""
family                          admin sup   sup_prov sup_other fac   fac_other resident owner gone
req:list                        ok    ok    ok       empty     ok    empty     deny     deny  deny
req:show:{rid}                  ok    ok    ok       scope     ok    scope     deny     deny  deny
req:open:{rid}                  ok    ok    ok       scope     ok    scope     deny     deny  deny
req:media:{rid}                 ok    ok    ok       scope     ok    scope     deny     deny  deny
req:take:{rid}:{v}              ok    ok    ok       scope     ok    scope     deny     deny  deny
req:st:{rid}:in_review:{v}      ok    ok    ok       scope     ok    scope     deny     deny  deny
req:st:{rid}:resolved:{v}       ok    ok    ok       scope     ok    scope     deny     deny  deny
req:ref:{rid}:{v}               ok    ok    ok       scope     ok    scope     deny     deny  deny
req:to:{rid}:police:{v}         ok    ok    ok       scope     ok    scope     deny     deny  deny
req:rej:{rid}:{v}               ok    ok    ok       scope     ok    scope     deny     deny  deny
req:dup:{rid}:{v}               ok    ok    ok       scope     ok    scope     deny     deny  deny
req:not:{rid}:{v}               ok    ok    ok       scope     ok    scope     deny     deny  deny
req:undo:{rid}:{v}              ok    ok    ok       scope     ok    scope     deny     deny  deny
req:rel:{rid}:{v}               ok    ok    ok       scope     ok    scope     deny     deny  deny
req:hand:{rid}:{v}              ok    ok    ok       scope     ok    scope     deny     deny  deny
req:hto:{rid}:{pid}:{v}         ok    ok    ok       scope     ok    scope     deny     deny  deny
req:to:{rid}:other:{v}          ok    ok    ok       scope     ok    scope     deny     deny  deny
req:ls:-:-:-:0                  ok    ok    ok       empty     ok    empty     deny     deny  deny
req:ls:in_review:-:urban:10     ok    ok    ok       ok        ok    ok        deny     deny  deny
req:fs:-:-:-                    ok    ok    ok       ok        ok    ok        deny     deny  deny
req:fh:-:-:-                    ok    ok    ok       ok        ok    ok        deny     deny  deny
req:fc:-:-:-                    ok    ok    ok       ok        ok    ok        deny     deny  deny
req:show:{far}                  ok    scope scope    scope     scope scope     deny     deny  deny
req:st:{far}:resolved:{v}       ok    scope scope    scope     scope scope     deny     deny  deny
req:to:{far}:police:{v}         ok    scope scope    scope     scope scope     deny     deny  deny
trk:show:{rid}                  nf    nf    nf       nf        nf    nf        nf       ok    nf
trk:reopen:{rid}                nf    nf    nf       nf        nf    nf        nf       ok    nf
trk:add:{rid}                   nf    nf    nf       nf        nf    nf        nf       ok    nf
trk:wd:{rid}                    nf    nf    nf       nf        nf    nf        nf       ok    nf
trk:wdy:{rid}                   nf    nf    nf       nf        nf    nf        nf       ok    nf
trk:yes:{rid}                   nf    nf    nf       nf        nf    nf        nf       ok    nf
trk:no:{rid}                    nf    nf    nf       nf        nf    nf        nf       ok    nf
trk:orig:{rid}                  nf    nf    nf       nf        nf    nf        nf       ok    nf
frm:99999:a:hood:1              stale stale stale    stale     stale stale     stale    stale stale
dig:day                         ok    ok    ok       ok        deny  deny      deny     deny  deny
dig:month:prev                  ok    ok    ok       ok        deny  deny      deny     deny  deny
exp:week                        ok    ok    ok       ok        deny  deny      deny     deny  deny
inv:r:facilitator               ok    ok    ok       ok        deny  deny      deny     deny  deny
inv:r:supervisor                ok    deny  deny     deny      deny  deny      deny     deny  deny
inv:o:facilitator:{office}      ok    ok    ok       scope     deny  deny      deny     deny  deny
inv:o:facilitator:{far_office}  ok    scope scope    scope     deny  deny      deny     deny  deny
inv:o:supervisor:{office}       ok    scope scope    scope     deny  deny      deny     deny  deny
inv:p:{province}                ok    stale stale    stale     deny  deny      deny     deny  deny
ppl:list                        ok    deny  deny     deny      deny  deny      deny     deny  deny
ppl:o:{office}                  ok    deny  deny     deny      deny  deny      deny     deny  deny
ppl:d:{pid}:o                   ok    deny  deny     deny      deny  deny      deny     deny  deny
ppl:a:{pid}:o                   ok    deny  deny     deny      deny  deny      deny     deny  deny
zzz:1                           stale stale stale    stale     stale stale     stale    stale stale
""")

# What a served command or tap changes in the database (see `fingerprint`); every other
# row, and everything refused, must change nothing at all.
EFFECTS: dict[str, set[str]] = {
    "request": {"drafts"}, "report": {"drafts"}, "need": {"drafts"},  # the form opens
    "invite:facilitator:pamenar": {"invites", "audit"},
    "invite:facilitator:yazd-markaz": {"invites", "audit"},
    "invite:supervisor:pamenar": {"invites", "audit"},
    "invite:supervisor:kerman": {"invites", "audit"},
    "req:take:{rid}:{v}": {"version", "assignee", "events"},
    "req:st:{rid}:in_review:{v}": {"status", "version", "events", "outbox"},
    "req:st:{rid}:resolved:{v}": {"drafts"},  # asks what was done, then a confirmation
    "req:to:{rid}:police:{v}": {"status", "version", "events", "outbox"},
    "req:st:{far}:resolved:{v}": {"drafts"},
    "req:to:{far}:police:{v}": {"status", "version", "events", "outbox"},
    "req:rej:{rid}:{v}": {"drafts"},  # the reason form opens, for this request
    "req:dup:{rid}:{v}": {"drafts"},
    "req:not:{rid}:{v}": {"drafts"},
    "trk:reopen:{rid}": {"status", "version", "events", "outbox"},  # the office is told
    # the tapper changed the status (or took the request) just before: undo, release
    # (a slip undone inside the window: the resident is told nothing, nothing is owed)
    "req:undo:{rid}:{v}": {"status", "version", "events"},
    "req:rel:{rid}:{v}": {"version", "assignee", "events"},
    "req:hto:{rid}:{pid}:{v}": {"version", "assignee", "events", "outbox"},
    "req:to:{rid}:other:{v}": {"drafts"},
    "trk:add:{rid}": {"drafts"},
    "trk:wdy:{rid}": {"status", "version", "events", "outbox"},
    "trk:yes:{rid}": {"version", "events"},
    "trk:no:{rid}": {"drafts"},
    "inv:o:facilitator:{office}": {"invites", "audit"},
    "inv:o:facilitator:{far_office}": {"invites", "audit"},
    "inv:o:supervisor:{office}": {"invites", "audit"},
    "inv:p:{province}": {"invites", "audit"},
    "ppl:d:{pid}:o": {"target_active", "audit"},
    "ppl:a:{pid}:o": {"target_active", "audit"},
}

# How each catalogue text is read (a+b: text a, a blank line, then text b; the first match
# wins). Anything else the bot says is a test failure.
OUTCOME_OF_KEY = {
    # /start of deactivated staff: they are told, then greeted as the resident they now are
    "access.deactivated+start.greet_resident": "ok",
    "access.denied": "deny", "access.deactivated": "deny",
    "invite.supervisor_only_facilitators": "deny",
    "access.not_yours": "scope", "invite.out_of_scope": "scope",
    "request.not_found": "nf",
    "inbox.empty": "empty", "request.none": "empty", "mine.empty": "empty",
    "access.stale_button": "stale",
    "general.error": "error", "general.storage": "error",
    **dict.fromkeys((
        "start.greet_admin", "start.greet_supervisor", "start.greet_facilitator",
        "start.greet_resident", "help.title", "resident_help.title", "cancel.done",
        "cancel.nothing",
        "request.staff_track_usage", "request.list_title", "request.card",
        "request.reopened", "form.intro", "form.progress", "mine.title",
        "inbox.title", "inbox.no_media", "inbox.choose_agency",
        "inbox.done_take", "inbox.done_status", "digest.choose", "digest.group_only",
        "digest.title_day", "digest.title_month", "export.choose", "export.caption",
        "invite.choose_role",
        "case.undone", "case.released", "case.handed", "case.choose_colleague",
        "case.no_colleague", "case.choose_status", "case.choose_hood", "case.choose_category",
        "case.title", "case.title_words", "case.withdraw_confirm", "case.withdrawn",
        "case.thanks_solved", "case.follow_card",
        "invite.choose_office", "invite.created", "people.choose_office", "people.title",
        "people.empty", "people.activated", "people.deactivated",
    ), "ok"),
}


@cache
def patterns() -> list[tuple[re.Pattern[str], str]]:
    """(the text's beginning as a pattern, outcome), placeholders matching anything."""
    found = []
    for key, outcome in OUTCOME_OF_KEY.items():
        text = "\n\n".join(catalogue()[part] for part in key.split("+"))
        pieces = re.split(r"\{[a-z_]+\}", text)
        found.append((re.compile("(?s)" + ".*?".join(map(re.escape, pieces))), outcome))
    return found


def classify(text: str, prompts: tuple[str, ...]) -> str:
    """The outcome a text from the bot means; '?' when it is not one the table knows."""
    for pattern, outcome in patterns():
        if pattern.match(text):
            return outcome
    if prompts and text.startswith(prompts):  # the first question of a form that opened
        return "ok"
    if text == "<photo>":  # the digest's chart
        return "ok"
    return "?"


def outcome_of(texts: list[str], prompts: tuple[str, ...]) -> tuple[str, list[str]]:
    """One outcome for everything the bot said, and the texts that make it a failure:
    error (an error text), ? (a text the table cannot read, or two reasons at once) or
    silent (no answer)."""
    if not texts:
        return "silent", ["(no answer at all)"]
    kinds = [classify(text, prompts) for text in texts]
    for failure in ("error", "?"):
        if failure in kinds:
            return failure, [text for text, kind in zip(texts, kinds, strict=True)
                             if kind in ("error", "?")]
    refusals = {kind for kind in kinds if kind != "ok"}
    if len(refusals) > 1:
        return "?", texts
    return (refusals.pop() if refusals else "ok"), []


def said(messages: list[ChatMessage]) -> list[str]:
    """What the bot sent or edited: texts and captions of files; a chart as «<photo>»."""
    return [m.text if m.kind in ("text", "document") else f"<{m.kind}>" for m in messages]


def mismatches(seen: dict[str, dict[str, str]],
               table: dict[str, dict[str, str]]) -> list[tuple[str, str, str, str]]:
    """The cells where what happened differs from the table."""
    assert seen.keys() == table.keys()
    return [(row, role, table[row][role], seen[row].get(role, "(not tried)"))
            for row in table for role in ROLES if seen[row].get(role) != table[row][role]]


@dataclass
class Findings:
    """What each role got for each row, and everything that went wrong on the way."""

    table: dict[str, dict[str, str]]
    prompts: tuple[str, ...]
    seen: dict[str, dict[str, str]] = field(default_factory=dict)
    unreadable: list[tuple[str, str, list[str]]] = field(default_factory=list)
    wrong_changes: list[tuple[str, str, set[str]]] = field(default_factory=list)

    def record(self, row: str, shown: str, role: str, answers: list[str],
               before: dict[str, Any], after: dict[str, Any]) -> None:
        """Read one role's answers to one row (`shown`: what was typed or tapped) and check
        the database changed exactly as EFFECTS says for a served action."""
        outcome, strange = outcome_of(answers, self.prompts)
        self.seen.setdefault(row, {})[role] = outcome
        if strange:
            self.unreadable.append((shown, role, strange))
        changed = {key for key in before if before[key] != after[key]}
        if changed != (EFFECTS.get(row, set()) if outcome == "ok" else set()):
            self.wrong_changes.append((shown, role, changed))

    def report(self) -> None:
        """Fail with every problem found, spelled out."""
        seen = {row: self.seen.get(row, {}) for row in self.table}
        problems = {
            "errors and answers the table cannot read (row, role, texts)": self.unreadable,
            "cells unlike the table (row, role, expected, got)": mismatches(seen, self.table),
            "database changes unlike EFFECTS (row, role, what changed)": self.wrong_changes,
        }
        if any(problems.values()):
            pytest.fail(pformat({what: found for what, found in problems.items() if found},
                                width=100, sort_dicts=False))


def form_prompts(bot: SandboxBot) -> tuple[str, ...]:
    """The first prompt of every form (a one-question form shows no «پرسش ۱ از ۱»)."""
    return tuple(form.questions[0].prompt for form in bot.services.forms.values())


SECOND_PROVINCE = """
[[provinces]]
slug = "yazd"
name = "یزد"

[[offices]]
slug = "yazd-markaz"
name = "دفتر تسهیل‌گری مرکز یزد"
province = "yazd"
city = "یزد"
neighbourhoods = [{ slug = "markaz", name = "مرکز" }]
"""


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    """The shipped organisation and a second province; and no flood guard in the way (every
    role taps every family, more updates a minute than it allows)."""
    org = tmp_path / "org.toml"
    org.write_text(settings.org_file.read_text(encoding="utf-8") + SECOND_PROVINCE,
                   encoding="utf-8")
    return replace(settings, org_file=org, flood_per_minute=100_000)


@pytest.fixture
async def cast(sandbox: SandboxBot) -> dict[str, SimUser]:
    """One person of each column, a facilitator of A to switch on and off, and a request of
    office A and one of office C filed by the owner."""
    db = sandbox.db
    assert db is not None
    kerman = await offices.province_by_slug(db, "kerman")
    assert kerman is not None
    people = {role: sandbox.user(700 + n, role) for n, role in enumerate(ROLES)}
    people["admin"] = sandbox.user(1, "admin")
    await seat(db, people["sup"], "supervisor", "pamenar")
    await seat(db, people["sup_prov"], "supervisor", province=kerman[0])
    await seat(db, people["sup_other"], "supervisor", "sarasiab")
    await seat(db, people["fac"], "facilitator", "pamenar")
    await seat(db, people["fac_other"], "facilitator", "sarasiab")
    gone = await seat(db, people["gone"], "facilitator", "pamenar")
    await set_active(db, gone, False, actor_id=gone)
    await seat(db, sandbox.user(790, "target"), "facilitator", "pamenar")
    for person in people.values():
        await sandbox.say(person, "/start")
    await file_request(sandbox, people["owner"], "pamenar")
    await file_request(sandbox, people["owner"], "yazd-markaz")
    return people


async def file_request(bot: SandboxBot, owner: SimUser, office: str) -> request_store.Request:
    """A fresh request of `office` by `owner`, status «received»."""
    db = bot.db
    assert db is not None
    person = await get_person(db, owner.id)
    found = await offices.office_by_slug(db, office)
    assert person is not None and found is not None
    count = await db.fetchone("SELECT count(*) FROM requests")
    assert count is not None
    request, _ = await request_store.file_request(db, request_store.NewRequest(
        draft_id=-1 - count[0], resident_id=person.id, office_id=found.id,
        neighbourhood_id=None, category="urban", description="چراغ کوچه خاموش است",
        phone=None, photos=[], location=None), max_open=10_000, max_per_day=10_000,
        notices=lambda _id, _code: ())
    return request


async def test_every_command_for_every_role(sandbox: SandboxBot,
                                            cast: dict[str, SimUser]) -> None:
    db = sandbox.db
    assert db is not None
    prompts = form_prompts(sandbox)
    target = await get_person(db, 790)
    ids = await db.fetchall("SELECT id FROM requests ORDER BY id")  # of A, then of C
    near, far = [await request_store.by_id(db, row[0]) for row in ids]
    assert target is not None and near is not None and far is not None
    findings = Findings(COMMANDS, prompts)
    for command in COMMANDS:
        typed = "/" + command.format(code=near.code, far=far.code).replace(":", " ")
        request = far if "{far}" in command else near
        for role in ROLES:
            before = await fingerprint(db, request.id, target.id)
            answers = said(await sandbox.say(cast[role], typed))
            findings.record(command, typed, role, answers, before,
                            await fingerprint(db, request.id, target.id))
            await sandbox.say(cast[role], "/cancel")  # leave any form the command opened
    findings.report()


async def fingerprint(db: Database, rid: int, pid: int) -> dict[str, Any]:
    """What a command or tap could change: the request it names, the target person, and
    the counts of events, notices, drafts, invites and audit records."""
    request = await request_store.by_id(db, rid)
    target = await db.fetchone("SELECT active FROM people WHERE id = ?", (pid,))
    assert request is not None and target is not None

    async def count(sql: str, *args: Any) -> int:
        row = await db.fetchone(sql, args)
        assert row is not None
        return int(row[0])

    return {
        "status": request.status, "version": request.version,
        "assignee": request.assignee_id, "target_active": bool(target[0]),
        "events": await count("SELECT count(*) FROM request_events WHERE request_id = ?", rid),
        "outbox": await count("SELECT count(*) FROM outbox"),
        "drafts": await count("SELECT count(*) FROM drafts"),
        "invites": await count("SELECT count(*) FROM invites"),
        "audit": await count("SELECT count(*) FROM audit_log"),
    }


async def test_every_button_family_for_every_role(
    sandbox: SandboxBot, api: FakeBotAPI, cast: dict[str, SimUser]
) -> None:
    db = sandbox.db
    assert db is not None
    prompts = form_prompts(sandbox)
    admin = await get_person(db, 1)
    target = await get_person(db, 790)
    pamenar = await offices.office_by_slug(db, "pamenar")
    yazd = await offices.office_by_slug(db, "yazd-markaz")
    kerman = await offices.province_by_slug(db, "kerman")
    assert admin and target and pamenar and yazd and kerman
    findings = Findings(BUTTONS, prompts)
    for family in BUTTONS:
        for role in ROLES:
            person = cast[role]
            await sandbox.say(person, "/cancel")  # no form open; a fresh message to tap on
            request = await file_request(
                sandbox, cast["owner"], "yazd-markaz" if "{far}" in family else "pamenar")
            if family.startswith(("trk:reopen", "trk:yes", "trk:no")):
                request = await request_store.change_status(
                    db, request, "resolved", actor_id=admin.id, notices=())
            tapper = await get_person(db, person.id)
            assert tapper is not None
            if family.startswith("req:undo"):  # a slip of the tapper's own, a moment ago
                request = await request_store.change_status(
                    db, request, "in_review", actor_id=tapper.id, notices=())
            if family.startswith("req:rel"):
                request = await request_store.assign(db, request, actor_id=tapper.id,
                                                     notices=())
            if family.startswith("trk:orig"):
                original = await request_store.by_id(db, 1)
                assert original is not None
                request = await request_store.change_status(
                    db, request, "duplicate", actor_id=admin.id, duplicate_of=original.code,
                    notices=())
            await set_active(db, target.id, not family.startswith("ppl:a"), actor_id=admin.id)
            data = family.format(rid=request.id, far=request.id, v=request.version,
                                 office=pamenar.id, far_office=yazd.id, province=kerman[0],
                                 pid=target.id)
            before = await fingerprint(db, request.id, target.id)
            answered, mark = set(api.callback_answers), api.last_seq
            person.tap_data(data)
            await sandbox.deliver()
            toasts = [api.callback_answers[q].get("text") or ""
                      for q in api.callback_answers if q not in answered]
            assert len(toasts) == 1, f"{data} as {role}: {len(toasts)} answers to the tap"
            answers = [toast for toast in toasts if toast] + said(person.messages(mark))
            findings.record(family, data, role, answers, before,
                            await fingerprint(db, request.id, target.id))
    findings.report()


def test_the_reading_of_answers_is_strict() -> None:
    """Errors, tracebacks, unknown texts and silence are never read as «allowed»."""
    prompts = ("توضیح را بنویسید.",)
    assert outcome_of([t("general.error")], prompts) == ("error", [t("general.error")])
    assert outcome_of([t("help.title", role="ناظر"), t("general.storage")], prompts)[0] == "error"
    assert outcome_of(["Traceback (most recent call last):"], prompts)[0] == "?"
    assert outcome_of([t("general.unknown_command")], prompts)[0] == "?"
    assert outcome_of([t("help.title", role="ناظر"), "چیز دیگری"], prompts)[0] == "?"
    assert outcome_of([], prompts)[0] == "silent"
    assert outcome_of([t("access.not_yours"), t("access.stale_button")], prompts)[0] == "?"
    assert outcome_of([t("access.denied", role="ناظر")], prompts) == ("deny", [])
    assert outcome_of([t("access.deactivated")], prompts) == ("deny", [])
    assert outcome_of([t("inbox.empty")], prompts) == ("empty", [])
    assert outcome_of([t("form.intro", title="x", count=2), prompts[0]], prompts) == ("ok", [])


async def test_a_stranger_in_a_group_gets_silence(sandbox: SandboxBot, api: FakeBotAPI) -> None:
    stranger = sandbox.user(800, "غریبه")
    group = {"id": -100999, "type": "supergroup", "title": "گروه"}
    for command in dict.fromkeys(row.split(":")[0] for row in COMMANDS):
        stranger.send_in_group(group, f"/{command}")
    stranger.send_in_group(group, "سلام")
    await sandbox.deliver()
    assert api.bot_messages(-100999) == []
