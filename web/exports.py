"""Exports of exactly what a page lists (the requests' filters, a form's period and office)
as Excel and CSV, and a request's photos fetched through the bot from the messenger's file
API, each behind the same access check as the page."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from starlette.requests import Request as WebRequest
from starlette.responses import Response
from starlette.routing import Route
from telegram.error import TelegramError

from bot.locale.text import t
from bot.reports import dashboard as figures
from storage import dashboard as reads
from storage import requests as request_store
from storage.sessions import Session
from web import privacy_web
from web.access_web import visible_request
from web.api import category_labels, form_table, listed_forms, request_filter, request_item
from web.state import api, error_json, state_of

log = logging.getLogger("tashilyar.web")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REQUEST_COLUMNS = (("code_shown", "export.code"), ("created_jalali", "export.created_jalali"),
                   ("office", "export.office"), ("hood", "export.hood"),
                   ("category_label", "export.category"), ("status_label", "export.status"),
                   ("text", "export.description"))


def _file(data: bytes, name: str, kind: str) -> Response:
    media = XLSX if kind == "xlsx" else "text/csv; charset=utf-8"
    return Response(data, media_type=media, headers={
        "Content-Disposition": f'attachment; filename="{name}.{kind}"',
        "Cache-Control": "no-store"})


def _table(kind: str, title: str, headers: list[str], rows: list[list[Any]]) -> bytes:
    if kind == "xlsx":
        return figures.table_xlsx(title, headers, rows)
    return figures.table_csv(headers, rows)


async def export_requests(web_request: WebRequest, found: Session) -> Response:
    """The requests the list shows with these filters, every page of them."""
    kind = web_request.path_params["kind"]
    if kind not in ("xlsx", "csv"):
        return error_json(404, "dashboard.not_found")
    where = await request_filter(web_request, found)
    rows = await reads.requests_all(state_of(web_request).services.db, where)
    categories = category_labels(web_request)

    def build() -> tuple[bytes, bool]:  # tens of thousands of rows: in a thread, not the loop
        table = []
        for row in rows:
            item = request_item(web_request, row, where.overdue_rule, categories)
            item["text"] = "" if privacy_web.sensitive(web_request, row["category"]) else (
                row["description"])
            table.append([item[key] for key, _ in REQUEST_COLUMNS])
        data = _table(kind, t("export.requests_sheet"), [t(k) for _, k in REQUEST_COLUMNS],
                      table)
        return data, any(row[-1] for row in table)

    data, with_text = await asyncio.to_thread(build)
    if with_text:  # residents' text: a recorded look
        await privacy_web.record(web_request, found, "export", detail=f"requests.{kind}")
    return _file(data, "requests", kind)


async def export_form(web_request: WebRequest, found: Session) -> Response:
    """One form's submissions of the period and office, with the page's columns."""
    kind = web_request.path_params["kind"]
    form = listed_forms(web_request).get(web_request.path_params["form"])
    if form is None or kind not in ("xlsx", "csv"):
        return error_json(404, "dashboard.not_found")
    columns, rows = await form_table(web_request, found, form)
    data = await asyncio.to_thread(
        _table, kind, form.title, [label for _, label in columns],
        [[row.get(name, "") for name, _ in columns] for row in rows])
    return _file(data, form.name, kind)


async def photo(web_request: WebRequest, found: Session) -> Response:
    """The n-th photo of a request the person may see, from the messenger's file API."""
    web = state_of(web_request)
    request = await visible_request(web_request, found, web_request.path_params["code"])
    if request is None or web.bot is None or not privacy_web.sees_details(
            web_request, found, request):
        return error_json(404, "dashboard.not_found")
    photos = [a["file_id"] for a in await request_store.attachments(web.services.db, request.id)
              if a["kind"] == "photo" and a["file_id"]]
    number = int(web_request.path_params["n"])
    if not 1 <= number <= len(photos):
        return error_json(404, "dashboard.not_found")
    try:
        file = await web.bot.get_file(photos[number - 1])
        data = bytes(await file.download_as_bytearray())
    except TelegramError as error:
        log.warning("photo of a request could not be fetched (%s)", type(error).__name__)
        return error_json(502, "dashboard.photo_failed")
    await privacy_web.record(web_request, found, "media", request, detail=f"photo {number}")
    return Response(data, media_type="image/jpeg",
                    headers={"Cache-Control": "private, max-age=3600"})


def routes() -> list[Route]:
    """The exports and the photos."""
    return [
        Route("/app/export/requests.{kind:str}", api(export_requests)),
        Route("/app/export/forms/{form}.{kind:str}", api(export_form)),
        Route("/app/requests/{code}/photos/{n:int}", api(photo)),
    ]
