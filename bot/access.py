"""Who may do and see what, in one place (Datasette's `permissions.py` is the model).

- `FEATURES`: roles → features, the one table the main menu, /help, the messenger's command
  list and the access gate read; `allowed(person, feature)` is the role check, with the
  button areas (`bot.callbacks.Area`) keyed to their feature.
- `scope(db, person)`: which offices a person's work covers (an admin all, a supervisor
  their office or province, a facilitator their office, a resident none), the one office
  scope rule; `invitable_offices` the offices a person may invite staff for.
- `may_see_request` / `may_act_on_request` / `sees_phone`: the per-record checks the chat
  and the dashboard both ask before they show or change a request.

No PTB and no Starlette here: the chat handlers and the web routes translate what they get
into these calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from bot.callbacks import Area
from bot.locale.normalize import match_key
from bot.locale.text import t
from bot.org import Organisation
from storage import offices, referrals
from storage.db import Database
from storage.offices import OfficeRow
from storage.people import Person
from storage.referrals import Referral
from storage.requests import Request

STAFF_ROLES = frozenset({"admin", "supervisor", "facilitator"})
EVERYONE = frozenset({"admin", "supervisor", "facilitator", "resident"})
STAFF = STAFF_ROLES
AGENCY = frozenset({"agency"})  # an agency's focal point (نمایندهٔ دستگاه)
ANYONE = EVERYONE | AGENCY


@dataclass(frozen=True)
class Feature:
    """One thing the bot does: its command, who may use it, its menu button and help line,
    and the area of its buttons."""

    command: str
    roles: frozenset[str]
    in_menu: bool = True
    area: Area | None = None
    in_help: bool = True
    menu_for: frozenset[str] | None = None  # roles that get the menu button (default: all)

    @property
    def label(self) -> str:
        """The menu button's Persian label."""
        return t(f"menu.{self.command}")

    @property
    def help_line(self) -> str:
        """The /help line."""
        return t(f"help.{self.command}")


FEATURES: tuple[Feature, ...] = (
    Feature("request", frozenset({"resident"})),
    Feature("report", frozenset({"facilitator"})),
    Feature("need", frozenset({"facilitator"})),
    Feature("inbox", STAFF, area=Area.STAFF),
    Feature("mine", frozenset({"facilitator"})),
    Feature("digest", frozenset({"supervisor", "admin"}), area=Area.DIGEST),
    Feature("export", frozenset({"supervisor", "admin"}), area=Area.EXPORT),
    Feature("digest_here", frozenset({"supervisor", "admin"}), in_menu=False),
    Feature("track", EVERYONE, area=Area.RESIDENT, menu_for=frozenset({"resident"})),
    # Form buttons of any form; the engine checks each tap against the person's own draft.
    Feature("form", ANYONE, in_menu=False, area=Area.FORM, in_help=False),
    Feature("referrals", AGENCY, area=Area.AGENCY),
    # the office's side of a referral (its buttons under the request's card)
    Feature("referral_office", STAFF, in_menu=False, area=Area.REFERRAL, in_help=False),
    Feature("invite", frozenset({"admin", "supervisor"}), area=Area.INVITE),
    Feature("people", frozenset({"admin"}), area=Area.PEOPLE),
    Feature("dashboard", STAFF),
    Feature("help", ANYONE),
    Feature("start", ANYONE, in_menu=False),
    Feature("cancel", ANYONE, in_menu=False),
    # issue 23: a resident erases their data (the note in their help names /forget)
    Feature("forget", frozenset({"resident"}), in_menu=False, area=Area.PRIVACY, in_help=False),
)
BY_COMMAND = {f.command: f for f in FEATURES}
BY_AREA = {f.area: f for f in FEATURES if f.area is not None}


def features_for(role: str) -> list[Feature]:
    """The features a role may use, in menu order."""
    return [f for f in FEATURES if role in f.roles]


@cache
def _by_label_key() -> dict[str, Feature]:
    """Menu features by the match key of their label (labels never change while running)."""
    by_key: dict[str, Feature] = {}
    for feature in FEATURES:
        if feature.in_menu:
            by_key.setdefault(match_key(feature.label), feature)
    return by_key


def feature_for_label(text: str) -> Feature | None:
    """The feature whose menu button has this label (typed or tapped)."""
    return _by_label_key().get(match_key(text))


def feature_of_button(data: str | None) -> tuple[Feature | None, bool]:
    """The feature a button's data belongs to (by its area), and whether it is of an area
    nobody owns (a forged or foreign button)."""
    head = (data or "").split(":", 1)[0]
    try:
        area = Area(head)
    except ValueError:
        return None, True
    feature = BY_AREA.get(area)
    return feature, feature is None


def allowed(person: Person, feature: Feature | str | Area | None) -> bool:
    """Whether the person's role may use a feature (by itself, its command or its button
    area); None (no feature asked for: plain text, a form's answer) is allowed."""
    if isinstance(feature, Area):
        feature = BY_AREA.get(feature)
    elif isinstance(feature, str):
        feature = BY_COMMAND.get(feature)
    return feature is None or person.effective_role in feature.roles


@dataclass(frozen=True)
class Scope:
    """The offices a person's work covers."""

    office_ids: frozenset[int]

    def holds(self, office_id: int | None) -> bool:
        """Whether an office is in this scope."""
        return office_id is not None and office_id in self.office_ids


async def scope(db: Database, person: Person) -> Scope:
    """The offices a person sees: an admin all, a supervisor their office or province, a
    facilitator their office; a resident or an inactive person none."""
    return Scope(frozenset(await scope_ids(db, person)))


async def scope_ids(db: Database, person: Person) -> list[int]:
    """The offices of `scope`, in the organisation file's order."""
    if not person.active or person.role not in STAFF_ROLES:
        return []
    if person.role == "admin":
        return [o.id for o in await offices.list_offices(db)]
    if person.office_id is not None:
        return [person.office_id]
    if person.province_id is not None:
        return [o.id for o in await offices.offices_in_province(db, person.province_id)]
    return []


INVITED_ROLES = ("facilitator", "supervisor", "agency")


def may_invite(person: Person, role: str) -> bool:
    """Whether a person may invite someone to a role: an admin a facilitator, a supervisor
    or an agency's focal point, a supervisor a facilitator or a focal point (of the offices
    of `invitable_offices`)."""
    if not person.active or role not in INVITED_ROLES:
        return False
    return person.role == "admin" or (person.role == "supervisor" and role != "supervisor")


async def invitable_offices(db: Database, person: Person) -> list[OfficeRow]:
    """The offices a person may invite facilitators for: an admin every active office, a
    supervisor their own (if active) or their province's; nobody else any."""
    if not person.active:
        return []
    if person.role == "admin":
        return await offices.list_offices(db)
    if person.role == "supervisor" and person.office_id is not None:
        office = await offices.office_by_id(db, person.office_id)
        return [office] if office and office.active else []
    if person.role == "supervisor" and person.province_id is not None:
        return await offices.offices_in_province(db, person.province_id)
    return []


async def may_see_request(db: Database, person: Person, request: Request) -> bool:
    """The resident who filed it, or active staff whose scope holds its office."""
    if request.resident_id == person.id:
        return True
    return (await scope(db, person)).holds(request.office_id)


async def may_act_on_request(db: Database, person: Person, request: Request) -> bool:
    """Staff whose scope holds the request's office may triage it."""
    return person.is_staff and (await scope(db, person)).holds(request.office_id)


def sees_phone(person: Person, request: Request) -> bool:
    """A resident's phone is shown to the staff of the request's own office only (the form
    promises so), never to a supervisor of the province or an admin elsewhere."""
    return person.is_staff and person.office_id == request.office_id and bool(request.phone)


async def permitted(db: Database, person: Person, action: Feature | str | Area,
                    record: Request | None = None) -> bool:
    """The one question, Datasette-style: may this person do `action`, on `record` if any?
    Without a record it is the role check of a feature (by command or button area); on a
    request, 'see' and 'phone' are the reading checks and anything else is an action on it
    (`may_act_on_request`)."""
    if record is None:
        return allowed(person, action)
    if action == "see":
        return await may_see_request(db, person, record)
    if action == "phone":
        return sees_phone(person, record)
    return await may_act_on_request(db, person, record)


# ----- the agencies (issue 22): referrals -----


async def agency_scope(db: Database, person: Person) -> Scope:
    """The offices an agency's focal point covers (their province's, or their own list);
    nobody else any."""
    if not person.active or person.role != "agency" or not person.agency:
        return Scope(frozenset())
    return Scope(frozenset(await referrals.focal_point_offices(db, person.id)))


async def may_answer_referral(db: Database, person: Person, referral: Referral) -> bool:
    """An active focal point of the referral's agency whose scope holds its office."""
    return (person.active and person.role == "agency" and person.agency == referral.agency
            and (await agency_scope(db, person)).holds(referral.office_id))


async def may_record_referral(db: Database, person: Person, referral: Referral) -> bool:
    """The office's side (the letter, an agency's answer by hand, an answer to its
    question): staff whose scope holds the referral's office."""
    return person.is_staff and (await scope(db, person)).holds(referral.office_id)


# ----- privacy (issue 23): sensitive categories -----

DETAIL_INTERFACES = frozenset({"chat", "dashboard", "export", "digest", "agency", "open311"})


def sees_details(person: Person, request: Request, org: Organisation, *,
                 through: str = "chat") -> bool:
    """Whether `person` (who may see the request at all: ask `may_see_request` first) sees
    its text, photos, voice notes, phone and location through this interface, or only its
    category, neighbourhood, dates and status.

    An ordinary category: yes. A sensitive one (`org.is_sensitive`): in the chat only, to the
    resident who filed it, the active facilitators of the request's office, its assignee
    and active admins; an export shows them to an admin (who asked `--with-text`); never to a
    supervisor, an agency, the dashboard, a digest or Open311."""
    if through not in DETAIL_INTERFACES:
        raise ValueError(f"unknown interface {through!r}")
    if not org.is_sensitive(request.category):
        return True
    if through == "export":
        return person.active and person.role == "admin"
    if through != "chat":
        return False
    if request.resident_id == person.id:
        return True
    if not person.active:
        return False
    if person.role == "admin" or request.assignee_id == person.id:
        return True
    return person.role == "facilitator" and person.office_id == request.office_id
