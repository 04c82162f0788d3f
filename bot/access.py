"""Who may do and see what, in one place (Datasette's `permissions.py` is the model).

- `scope(db, person)`: which offices a person's work covers (an admin all, a supervisor
  their office or province, a facilitator their office, a resident none).
- `may_see_request` / `may_act_on_request` / `sees_phone`: the per-record checks the chat
  and the dashboard both ask before they show or change a request.

No PTB and no Starlette here: the chat handlers and the web routes translate what they get
into these calls.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.org import Organisation
from storage import offices
from storage.db import Database
from storage.people import Person
from storage.requests import Request

STAFF_ROLES = frozenset({"admin", "supervisor", "facilitator"})


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
    if not person.active or person.role not in STAFF_ROLES:
        return Scope(frozenset())
    ids = await offices.scope_office_ids(db, person.role, person.office_id, person.province_id)
    return Scope(frozenset(ids))


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
