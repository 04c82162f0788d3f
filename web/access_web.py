"""What a signed-in person may see, translated from a web request into `bot.access` calls:
the offices in scope (narrowed by an `office=` filter), and one request by its code."""

from __future__ import annotations

from starlette.requests import Request as WebRequest

from bot import access
from bot.locale.normalize import to_ascii_digits
from storage import requests
from storage.requests import Request
from storage.sessions import Session
from web.state import state_of


async def offices_in_view(web_request: WebRequest, found: Session) -> list[int]:
    """The scope's office ids, narrowed to `office=ID` when the filter names one of them
    (an office outside the scope narrows to nothing)."""
    db = state_of(web_request).services.db
    scope = await access.scope(db, found.person)
    office = web_request.query_params.get("office", "")
    if office:
        if not office.isdigit():
            return []
        return [int(office)] if scope.holds(int(office)) else []
    return sorted(scope.office_ids)


async def visible_request(web_request: WebRequest, found: Session, code: str
                          ) -> Request | None:
    """The request with this tracking code, if this person may see it."""
    digits = requests.canonical_code(to_ascii_digits(code))
    if len(digits) != requests.CODE_DIGITS:
        return None
    db = state_of(web_request).services.db
    request = await requests.by_code(db, digits)
    if request is None or not await access.may_see_request(db, found.person, request):
        return None
    return request
