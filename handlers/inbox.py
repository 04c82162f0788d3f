"""The staff's inbox: /inbox [WORDS OR CODE], pages of the requests of the offices in the
actor's scope (open ones, oldest first; a search finds closed ones too), filtered by
status, neighbourhood and category (the filters always shown, on an empty inbox too).

A view is carried in its buttons' data (`req:ls:STATUS:HOOD:CATEGORY:OFFSET`, '-' for no
filter; `req:fs|fh|fc:…` chooses one filter), through the codec `bot.callbacks`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from telegram import Update

from bot import access
from bot.callbacks import Area, Tap, encode, tap
from bot.cases import category_labels, hood_of, shown_code
from bot.locale.normalize import to_ascii_digits, to_persian_digits
from bot.locale.text import t
from handlers.context import BotContext, answer_once, inline, send, show
from storage import offices
from storage import requests as store
from storage.requests import InboxFilter, Request

Rows = list[list[tuple[str, str]]]
PAGE = 10
FILTERS = ("fs", "fh", "fc")


def age_text(request: Request, now: datetime) -> str:
    """'امروز' or 'N روز': how long the request has waited."""
    days = (now - datetime.fromisoformat(request.created_at)).days
    return t("inbox.age_today") if days == 0 else t("inbox.age_days", days=days)


def list_data() -> str:
    """The plain inbox (no filter, first page)."""
    return encode(tap(Area.STAFF, "list"))


@dataclass(frozen=True)
class View:
    """What the inbox shows: a filter and a page, carried in the buttons' data."""

    status: str | None = None
    hood: int | None = None
    category: str | None = None
    offset: int = 0

    def data(self, **changes: Any) -> str:
        """`req:ls:…` for this view with some fields changed."""
        values = {"status": self.status, "hood": self.hood, "category": self.category,
                  "offset": self.offset, **changes}
        return encode(tap(Area.STAFF, "ls", **values))

    def filter_data(self, kind: str) -> str:
        """`req:fs|fh|fc:S:H:C`: choose one filter, keeping the others."""
        return encode(tap(Area.STAFF, kind, status=self.status, hood=self.hood,
                          category=self.category))

    @classmethod
    def of(cls, pressed: Tap) -> View | None:
        """The view a button carries (None if its data is not a valid view)."""
        status, hood = pressed.text("status"), pressed.text("hood")
        category = pressed.text("category")
        hood_id = pressed.number("hood")
        page = pressed.number("offset") if pressed.action == "ls" else 0
        if (status != "-" and status not in store.STATUSES) or page is None or (
                hood != "-" and hood_id is None):
            return None
        return cls(None if status == "-" else status, hood_id,
                   None if category == "-" else category, page)


async def scope_hoods(context: BotContext) -> dict[int, str]:
    """The neighbourhoods of the offices in the actor's scope."""
    ids = await access.scope_ids(context.db, context.me())
    return {h.id: h.name for office_id in ids
            for h in await offices.neighbourhoods_of(context.db, office_id)}


async def inbox_screen(context: BotContext, view: View | None = None,
                       words: str | None = None) -> tuple[str, Rows]:
    """A page of the actor's requests passing the filter (open ones, oldest first): a line
    each with its age, a button each, the filters and the pages."""
    view = view or View()
    where = InboxFilter(view.status, view.hood, view.category, words, view.offset)
    found, total = await store.inbox_page(
        context.db, await access.scope_ids(context.db, context.me()), where, PAGE)
    filtered = view != View() or words is not None
    if not found and not filtered and view.offset == 0:  # the filters reach closed ones
        return t("inbox.empty"), [_filter_row(view)]
    labels = category_labels(context.services)
    lines = [await _title(context, view, words, total, labels)]
    if not found:
        lines.append(t("case.nothing_found"))
    numbers = []
    for index, request in enumerate(found, start=view.offset + 1):
        assignee = t("inbox.assignee", name=request.assignee_name) if request.assignee_name else ""
        lines.append(t("inbox.line", index=index, code=shown_code(request.code),
                       category=labels.get(request.category, request.category),
                       hood=hood_of(request), age=age_text(request, context.now()),
                       status=t(f"status.{request.status}"), assignee=assignee))
        numbers.append((to_persian_digits(index),
                        encode(tap(Area.STAFF, "show", request=request.id))))
    rows = [numbers[i:i + 5] for i in range(0, len(numbers), 5)]
    if total > PAGE and words is None:
        pages = (total + PAGE - 1) // PAGE
        lines.append(t("case.page", page=view.offset // PAGE + 1, pages=pages))
        paging = []
        if view.offset > 0:
            paging.append((t("case.previous"), view.data(offset=max(0, view.offset - PAGE))))
        if view.offset + PAGE < total:
            paging.append((t("case.next"), view.data(offset=view.offset + PAGE)))
        rows.append(paging)
    rows.append(_filter_row(view))
    if filtered:
        rows.append([(t("case.filter_clear"), list_data())])
    lines.append(t("case.search_hint"))
    return "\n".join(lines)[:4000], rows


def _filter_row(view: View) -> list[tuple[str, str]]:
    """The three filter buttons, always shown (on an empty inbox and under a search)."""
    return [(t("case.filter_status", value="…"), view.filter_data("fs")),
            (t("case.filter_hood", value="…"), view.filter_data("fh")),
            (t("case.filter_category", value="…"), view.filter_data("fc"))]


async def _title(context: BotContext, view: View, words: str | None, total: int,
                 labels: dict[str, str]) -> str:
    if words is not None:
        return t("case.title_words", words=words, count=total)
    if view == View():
        return t("inbox.title", count=total)
    hoods = await scope_hoods(context) if view.hood is not None else {}
    names = [t("case.filter_status", value=t(f"status.{view.status}")
               if view.status else t("case.filter_open"))]
    if view.hood is not None:
        names.append(t("case.filter_hood", value=hoods.get(view.hood, "—")))
    if view.category is not None:
        names.append(t("case.filter_category", value=labels.get(view.category, "—")))
    return t("case.title", count=total, filters="، ".join(names))


async def filter_screen(context: BotContext, kind: str, view: View) -> tuple[str, Rows]:
    """The choices of one filter, each a view."""
    if kind == "fs":
        options = [(t("case.filter_open"), view.data(status=None, offset=0))] + [
            (t(f"status.{s}"), view.data(status=s, offset=0)) for s in store.STATUSES]
        title = t("case.choose_status")
    elif kind == "fh":
        options = [(t("case.filter_any"), view.data(hood=None, offset=0))] + [
            (name, view.data(hood=hid, offset=0))
            for hid, name in list((await scope_hoods(context)).items())[:40]]
        title = t("case.choose_hood")
    else:
        options = [(t("case.filter_any"), view.data(category=None, offset=0))] + [
            (label, view.data(category=value, offset=0))
            for value, label in category_labels(context.services).items()]
        title = t("case.choose_category")
    return title, [options[i:i + 2] for i in range(0, len(options), 2)]


async def inbox(update: Update, context: BotContext) -> None:
    """/inbox [WORDS OR CODE]."""
    words = " ".join(context.args or []).strip() if update.message and context.args else ""
    text, rows = await inbox_screen(context, words=to_ascii_digits(words) if words else None)
    await send(update, context, text, inline(rows) if rows else None)


async def inbox_button(update: Update, context: BotContext, pressed: Tap) -> None:
    """req:list, req:ls:… (a view), req:fs|fh|fc:… (choose a filter)."""
    view = View() if pressed.action == "list" else View.of(pressed)
    if view is None:
        await answer_once(update, context, t("access.stale_button"), alert=True)
        return
    await answer_once(update, context)
    if pressed.action in FILTERS:
        text, rows = await filter_screen(context, pressed.action, view)
    else:
        text, rows = await inbox_screen(context, view)
    await show(update, context, text, inline(rows) if rows else None)
