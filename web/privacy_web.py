"""Privacy on the dashboard (issue 23): a sensitive category's requests show their category,
neighbourhood, dates and status only (`bot.access.sees_details` with the dashboard as the
interface); what the dashboard does show of a person is a recorded look (a request's
detail, a photo, an export with residents' text)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request as WebRequest

from bot import access
from bot.locale.text import t
from storage import privacy
from storage.requests import Request
from storage.sessions import Session
from web.state import state_of

THROUGH = "dashboard"


def sensitive(web_request: WebRequest, category: str) -> bool:
    """Whether a category's details stay off the dashboard."""
    return state_of(web_request).services.org.is_sensitive(category)


def sees_details(web_request: WebRequest, found: Session, request: Request) -> bool:
    """Whether this person sees the request's text, media, phone and place here."""
    return access.sees_details(found.person, request, state_of(web_request).services.org,
                               through=THROUGH)


def withhold(item: dict[str, Any], trail: list[dict[str, Any]]) -> None:
    """A sensitive request's detail, emptied of everything personal."""
    item.update(text=t("privacy_chat.hidden_details"), summary="",
                resident=t("export.anonymous"), location=None, photos=[], sensitive=True)
    item.pop("phone", None)
    for entry in trail:
        entry["note"] = ""


async def record(web_request: WebRequest, found: Session, kind: str,
                 request: Request | None = None, detail: str = "") -> None:
    """A look through the dashboard, in the access log."""
    await privacy.log_look(state_of(web_request).services.db, person_id=found.person.id,
                           kind=kind, through=THROUGH,
                           request_id=request.id if request else None, detail=detail)
