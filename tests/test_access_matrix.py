"""The access matrix: every command and every button family, tried by every kind of person,
against a table written out here (not derived from the code it checks)."""

from __future__ import annotations

import pytest

from bot.locale.text import t
from bot.sandbox import FakeBotAPI, SandboxBot, SimUser
from storage import offices
from storage import requests as request_store
from storage.people import create_invite, get_person, redeem_invite, set_active

ROLES = ["admin", "supervisor", "facilitator", "other_facilitator", "resident", "deactivated"]

# command → the roles that may use it (the rest are refused with a short Persian answer)
COMMANDS: dict[str, set[str]] = {
    "start": set(ROLES), "help": set(ROLES), "cancel": set(ROLES), "track": set(ROLES),
    "request": {"resident", "deactivated"},
    "report": {"facilitator", "other_facilitator"},
    "need": {"facilitator", "other_facilitator"},
    "mine": {"facilitator", "other_facilitator"},
    "inbox": {"admin", "supervisor", "facilitator", "other_facilitator"},
    "digest": {"admin", "supervisor"},
    "export": {"admin", "supervisor"},
    "digest_here": {"admin", "supervisor"},
    "invite": {"admin", "supervisor"},
    "people": {"admin"},
}

# button family → outcome per role: pass (handled), deny (refused by role), not_yours (the
# record belongs to another office), stale (no such form or button), not_found (not theirs)
BUTTONS: dict[str, dict[str, str]] = {
    "req:show:{rid}": {"admin": "pass", "supervisor": "pass", "facilitator": "pass",
                       "other_facilitator": "not_yours", "resident": "deny",
                       "deactivated": "deny"},
    "req:st:{rid}:resolved:1": {"admin": "pass", "supervisor": "pass", "facilitator": "pass",
                                "other_facilitator": "not_yours", "resident": "deny",
                                "deactivated": "deny"},
    "trk:show:{rid}": dict.fromkeys(ROLES, "not_found"),
    "frm:99999:a:hood:1": dict.fromkeys(ROLES, "stale"),
    "dig:day": {**dict.fromkeys(ROLES, "deny"), "admin": "pass", "supervisor": "pass"},
    "exp:week": {**dict.fromkeys(ROLES, "deny"), "admin": "pass", "supervisor": "pass"},
    "inv:r:facilitator": {**dict.fromkeys(ROLES, "deny"), "admin": "pass",
                          "supervisor": "pass"},
    "ppl:list": {**dict.fromkeys(ROLES, "deny"), "admin": "pass"},
    "zzz:1": dict.fromkeys(ROLES, "stale"),
}


async def seat(bot: SandboxBot, user: SimUser, role: str, office: str) -> None:
    assert bot.db is not None
    found = await offices.office_by_slug(bot.db, office)
    assert found is not None
    code = await create_invite(bot.db, role=role, office_id=found.id, created_by=None, days=1)
    await redeem_invite(bot.db, code, user_id=user.id, display_name=user.first_name)


@pytest.fixture
async def cast(sandbox: SandboxBot) -> dict[str, SimUser]:
    """One person of each kind, and a request of the Pamenar office filed by someone else."""
    people = {role: sandbox.user(700 + n, role) for n, role in enumerate(ROLES)}
    people["admin"] = sandbox.user(1, "admin")
    await seat(sandbox, people["supervisor"], "supervisor", "pamenar")
    await seat(sandbox, people["facilitator"], "facilitator", "pamenar")
    await seat(sandbox, people["other_facilitator"], "facilitator", "sarasiab")
    await seat(sandbox, people["deactivated"], "facilitator", "pamenar")
    assert sandbox.db is not None
    gone = await get_person(sandbox.db, people["deactivated"].id)
    assert gone is not None
    await set_active(sandbox.db, gone.id, False, actor_id=gone.id)
    owner = sandbox.user(799, "owner")
    await sandbox.say(owner, "/start")
    person = await get_person(sandbox.db, owner.id)
    pamenar = await offices.office_by_slug(sandbox.db, "pamenar")
    assert person is not None and pamenar is not None
    await request_store.file_request(sandbox.db, request_store.NewRequest(
        draft_id=-1, resident_id=person.id, office_id=pamenar.id, neighbourhood_id=None,
        category="urban", description="چراغ کوچه خاموش است", phone=None, photos=[],
        location=None), max_open=9, max_per_day=9)
    return people


async def test_every_command_for_every_role(sandbox: SandboxBot,
                                            cast: dict[str, SimUser]) -> None:
    allowed: dict[str, set[str]] = {command: set() for command in COMMANDS}
    for role in ROLES:
        person = cast[role]
        refusals = {t("access.deactivated"),
                    t("access.denied", role=t("role.resident")),
                    *(t("access.denied", role=t(f"role.{r}"))
                      for r in ("admin", "supervisor", "facilitator"))}
        for command in COMMANDS:
            replies = await sandbox.say(person, f"/{command}")
            assert replies, f"/{command} as {role} got no answer"
            if replies[0].text not in refusals:
                allowed[command].add(role)
            await sandbox.say(person, "/cancel")  # leave any form the command opened
    assert allowed == COMMANDS


async def test_every_button_family_for_every_role(
    sandbox: SandboxBot, api: FakeBotAPI, cast: dict[str, SimUser]
) -> None:
    assert sandbox.db is not None
    rid = (await sandbox.db.fetchone("SELECT id FROM requests"))[0]  # type: ignore[index]
    outcome_of = {
        t("access.deactivated"): "deny", t("access.not_yours"): "not_yours",
        t("access.stale_button"): "stale", t("request.not_found"): "not_found",
        **{t("access.denied", role=t(f"role.{r}")): "deny"
           for r in ("admin", "supervisor", "facilitator", "resident")},
    }
    seen: dict[str, dict[str, str]] = {family: {} for family in BUTTONS}
    for family in BUTTONS:
        for role in ROLES:
            person = cast[role]
            await sandbox.say(person, "/start")
            before = set(api.callback_answers)
            person.tap_data(family.format(rid=rid))
            await sandbox.deliver()
            answers = [api.callback_answers[q] for q in api.callback_answers if q not in before]
            assert len(answers) == 1, f"{family} as {role}: {len(answers)} answers"
            seen[family][role] = outcome_of.get(answers[0].get("text") or "", "pass")
            request = await request_store.by_id(sandbox.db, rid)
            assert request is not None
            if request.status != "received":  # a permitted «resolved» tap: start again
                await sandbox.db.execute(
                    "UPDATE requests SET status = 'received', version = 1, resolved_at = NULL")
    assert seen == BUTTONS


async def test_a_stranger_in_a_group_gets_silence(sandbox: SandboxBot, api: FakeBotAPI) -> None:
    stranger = sandbox.user(800, "غریبه")
    group = {"id": -100999, "type": "supergroup", "title": "گروه"}
    for command in COMMANDS:
        stranger.send_in_group(group, f"/{command}")
    stranger.send_in_group(group, "سلام")
    await sandbox.deliver()
    assert api.bot_messages(-100999) == []
