"""The Excel export: field reports, needs assessments, requests and their events filed in a
period (by their filing time, as digests count them; the day an activity happened is a
column beside it) for a set of offices, with Persian headers, Jalali Tehran-time dates beside
UTC ISO ones, tracking codes as residents quote them («۶۳۸۱-۷۴۵۰»), and sheets set right to
left. Written in openpyxl's write-only mode, row by row, so a large
province does not have to fit in memory; residents' phone numbers only when asked for
(admins)."""

from __future__ import annotations

import io
import json
import re
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from bot.forms.model import FormDefinition, Question, is_voice
from bot.locale.codes import shown_code
from bot.locale.jalali import format_date_numeric, local_datetime, to_jalali
from bot.locale.normalize import persian_digits_in_text, to_persian_digits
from bot.locale.text import t
from bot.org import Organisation
from bot.reports import referrals as referral_report
from storage import exports
from storage.db import Database, Queries, Row

Progress = Callable[[str, int], None]


def export_file_name(start: date, end: date) -> str:
    """'tashilyar-1405-09-01-1405-09-30.xlsx': the Jalali range, in ASCII for file systems."""
    first, last = to_jalali(start), to_jalali(end)
    return f"tashilyar-{first:%Y-%m-%d}-{last:%Y-%m-%d}.xlsx"


def jalali(day: str | None) -> str:
    """An ISO date as a Jalali 'YYYY/MM/DD' (Persian digits)."""
    return format_date_numeric(date.fromisoformat(day)) if day else ""


def jalali_instant(instant: str | None, tz: ZoneInfo) -> str:
    """A UTC ISO instant as a local Jalali date and time."""
    if not instant:
        return ""
    local = local_datetime(datetime.fromisoformat(instant), tz)
    return f"{format_date_numeric(local.date())} {to_persian_digits(f'{local:%H:%M}')}"


def code_cell(code: str | None) -> str:
    """A tracking code as residents see it in chat («۶۳۸۱-۷۴۵۰»; a cell needs no isolates)."""
    return shown_code(code, isolated=False) if code else ""


def cell(question: Question, value: Any, hoods: dict[str, str]) -> Any:
    """An answer as an Excel cell: numbers stay numbers, codes become their labels."""
    if value is None:
        return ""
    labels = {c.value: c.label for c in question.choices} | hoods
    if question.type == "choice":
        return labels.get(str(value), str(value))
    if question.type == "multi":
        return "، ".join(labels.get(v, v) for v in value)
    if question.type == "yesno":
        return t("form.yes") if value else t("form.no")
    if question.type == "date":
        return jalali(value)
    if question.type == "photos":
        return len(value)
    if question.type == "location":
        if "address" in value:
            return str(value["address"])
        return f"{value['latitude']:.5f}, {value['longitude']:.5f}"
    if question.type == "contact":
        return ""
    if is_voice(value):
        return t("form.voice_answer", seconds=int(value.get("duration") or 0))
    if isinstance(value, str):
        return persian_digits_in_text(value)
    return value


def voice_count(form: FormDefinition, answers: dict[str, Any]) -> int:
    """How many voice notes a submission carries (as text answers and attachments)."""
    count = 0
    for question in form.questions:
        value = answers.get(question.id)
        if question.type == "photos" and value:
            count += sum(1 for item in value if item.get("kind") == "voice")
        elif is_voice(value):
            count += 1
    return count


def _sheet(book: Workbook, title: str, headers: Sequence[str]) -> WriteOnlyWorksheet:
    sheet = book.create_sheet(title=title)
    sheet.sheet_view.rightToLeft = True
    sheet.freeze_panes = "A2"
    for index in range(len(headers)):
        sheet.column_dimensions[get_column_letter(index + 1)].width = 18
    _bold_row(sheet, headers)
    return sheet


def _bold_row(sheet: WriteOnlyWorksheet, values: Sequence[str]) -> None:
    bold = []
    for value in values:
        cell_ = WriteOnlyCell(sheet, value=value)
        cell_.font = Font(bold=True)
        bold.append(cell_)
    sheet.append(bold)


async def _form_rows(q: Queries, form: str, office_ids: Sequence[int], start: date,
                     end: date, tz: ZoneInfo) -> AsyncIterator[Row]:
    """One form's submissions filed in the period, with office and author names."""
    first, last = _utc_bounds(start, end, tz)
    async for row in exports.form_rows(q, form, office_ids, first, last):
        yield row


async def _submissions(book: Workbook, db: Queries, form: FormDefinition,
                       office_ids: Sequence[int], start: date, end: date, tz: ZoneInfo,
                       hoods: dict[str, str], progress: Progress | None) -> int:
    questions = [q for q in form.questions
                 if q.type != "contact" and q.store != "happened_on"]  # that is a column
    headers = [t("export.number"), t("export.day_jalali"), t("export.day_iso"),
               t("export.office"), t("export.author"),
               *[q.label for q in questions], t("export.voices"), t("export.created_jalali"),
               t("export.created_iso")]
    sheet = _sheet(book, form.title, headers)
    count = 0
    async for row in _form_rows(db, form.name, office_ids, start, end, tz):
        answers = json.loads(row["answers"])
        sheet.append([row["id"], jalali(row["happened_on"]), row["happened_on"], row["office"],
                      row["author"], *[cell(q, answers.get(q.id), hoods) for q in questions],
                      voice_count(form, answers), jalali_instant(row["created_at"], tz),
                      row["created_at"]])
        count += 1
        if progress and count % 5000 == 0:
            progress(form.title, count)
    return count


async def build_export(
    db: Database, forms: dict[str, FormDefinition], *, office_ids: Sequence[int],
    start: date, end: date, tz: ZoneInfo, with_phones: bool,
    progress: Progress | None = None, org: Organisation | None = None,
    withheld: Collection[str] = (),
) -> tuple[bytes, dict[str, int]]:
    """The workbook's bytes and how many rows each sheet got. Read on one of the database's
    readers, from one snapshot: the bot goes on writing while a large export is built.
    With `org`, a sheet of the referrals to agencies too (issue 22). Requests of the
    `withheld` (sensitive) categories keep their category, neighbourhood, dates and status
    only: no text, phone or notes (issue 23; `--with-text` passes none)."""
    async with db.reader() as reader:
        book, counts = await _workbook(reader, forms, office_ids=office_ids, start=start,
                                       end=end, tz=tz, with_phones=with_phones,
                                       progress=progress, withheld=frozenset(withheld))
        if org is not None:
            counts["referrals"] = await _referrals(book, reader, forms, org, office_ids,
                                                   start, end, tz, db.now())
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue(), counts


async def _workbook(
    db: Queries, forms: dict[str, FormDefinition], *, office_ids: Sequence[int],
    start: date, end: date, tz: ZoneInfo, with_phones: bool, progress: Progress | None,
    withheld: frozenset[str] = frozenset(),
) -> tuple[Workbook, dict[str, int]]:
    book = Workbook(write_only=True)
    hoods = await exports.neighbourhood_names(db) | {"unsure": t("request.unsure")}
    counts: dict[str, int] = {}
    for name in ("field_report", "needs_assessment"):
        if name in forms:
            counts[name] = await _submissions(book, db, forms[name], office_ids, start, end,
                                              tz, hoods, progress)
    for form in forms.values():
        if form.sink == "xlsform" and form.name not in counts:
            counts[form.name] = await form_sheets(book, db, form, office_ids, start, end, tz)
        elif form.sink == "submission" and form.name not in counts:
            counts[form.name] = await _submissions(book, db, form, office_ids, start, end,
                                                   tz, hoods, progress)
    counts["requests"], counts["events"] = await _requests(
        book, db, forms, office_ids, start, end, tz, with_phones, withheld)
    return book, counts


async def _requests(book: Workbook, db: Queries, forms: dict[str, FormDefinition],
                    office_ids: Sequence[int], start: date, end: date, tz: ZoneInfo,
                    with_phones: bool, withheld: frozenset[str] = frozenset()
                    ) -> tuple[int, int]:
    request_form = forms.get("resident_request")
    category_q = request_form.question("category") if request_form else None
    categories = {c.value: c.label for c in category_q.choices} if category_q else {}
    headers = [t("export.code"), t("export.created_jalali"), t("export.created_iso"),
               t("export.office"), t("export.hood"), t("export.category"),
               t("export.status"), t("export.description"), t("export.assignee"),
               t("export.photos"), t("export.voices"), t("export.original"),
               t("export_cells.first_response_local"), t("export.first_response"),
               t("export.solved")]
    if with_phones:
        headers.append(t("export.phone"))
    requests = _sheet(book, t("export.requests_sheet"), headers)
    events = _sheet(book, t("export.events_sheet"), [
        t("export.code"), t("export.when_jalali"), t("export.when_iso"), t("export.event"),
        t("export.old_status"), t("export.new_status"), t("export.note"), t("export.public"),
        t("export.original"), t("export.target"), t("export.actor")])
    first, last = _utc_bounds(start, end, tz)
    count = events_count = 0
    async for row in exports.request_rows(db, office_ids, first, last):
        hidden = row["category"] in withheld
        values = [code_cell(row["code"]), jalali_instant(row["created_at"], tz),
                  row["created_at"],
                  row["office"], row["hood"] or t("request.unsure"),
                  categories.get(row["category"], row["category"]),
                  t(f"status.{row['status']}"),
                  "" if hidden else persian_digits_in_text(row["description"]),
                  row["assignee"] or "", row["photos"], row["voices"],
                  code_cell(row["duplicate_of"]), jalali_instant(row["first_response_at"], tz),
                  row["first_response_at"] or "",
                  {"yes": t("form.yes"), "no": t("form.no")}.get(row["solved"], "")]
        if with_phones:
            values.append("" if hidden else row["phone"] or "")
        requests.append(values)
        count += 1
        for event in await exports.request_events(db, row["id"], t("export.anonymous")):
            events.append([
                code_cell(row["code"]), jalali_instant(event["at"], tz), event["at"],
                t(f"export.kind_{event['kind']}"),
                t(f"status.{event['old_status']}") if event["old_status"] else "",
                t(f"status.{event['new_status']}") if event["new_status"] else "",
                "" if hidden else event["note"] or "",
                t("form.yes") if event["public"] else t("form.no"),
                code_cell(event["other_code"]), event["target"] or "", event["actor"] or ""])
            events_count += 1
    return count, events_count


async def _referrals(book: Workbook, db: Queries, forms: dict[str, FormDefinition],
                     org: Organisation, office_ids: Sequence[int], start: date, end: date,
                     tz: ZoneInfo, now: datetime) -> int:
    """The referrals sheet (`bot.reports.referrals`): one row per referral made in the
    period, no resident's name or phone."""
    request_form = forms.get("resident_request")
    category_q = request_form.question("category") if request_form else None
    categories = {c.value: c.label for c in category_q.choices} if category_q else {}
    rows = await referral_report.referral_rows(db, org, office_ids, start, end, tz=tz,
                                               now=now, categories=categories)
    sheet = _sheet(book, referral_report.sheet_title(), referral_report.headers())
    for values in rows:
        sheet.append(values)
    return len(rows)


def _utc_bounds(start: date, end: date, tz: ZoneInfo) -> tuple[str, str]:
    """[local midnight of start, local midnight after end) as UTC ISO instants."""
    first = datetime.combine(start, datetime.min.time(), tz).astimezone(UTC)
    after = datetime.combine(end + timedelta(days=1), datetime.min.time(), tz).astimezone(UTC)
    return first.isoformat(timespec="seconds"), after.isoformat(timespec="seconds")


# ----- a sheet per XLSForm: its own columns, repeats in sheets of their own ----------------

Column = tuple[str, str, Question | None]  # (XLSForm name, Persian label, question)


def form_columns(form: FormDefinition, repeat: str = "") -> list[Column]:
    """The answer columns of a form (or of one of its repeats), in form order."""
    columns: list[Column] = []
    seen: set[str] = set()
    turn = 1 if repeat else 0
    for question in form.questions:
        if (question.repeat != repeat or question.iteration != turn or question.name in seen
                or question.xls_type in ("note", "add_another", "trigger")):
            continue
        seen.add(question.name)
        label = question.label.removesuffix(" (۱)") if repeat else question.label  # its turn
        columns.append((question.name, label, question))
    for calc in form.calculations:
        if calc.repeat == repeat and calc.iteration == turn and calc.name not in seen:
            seen.add(calc.name)
            columns.append((calc.name, calc.name, None))
    if not repeat:
        columns += [(name, name, None) for name, _ in form.metadata if name not in seen]
    return columns


def form_cell(column: Column, value: Any) -> Any:
    """One answer of an XLSForm as a cell."""
    question = column[2]
    if value is None or value == "":
        return ""
    if question is not None and question.type == "audio":
        return t("xls.audio_given")
    if question is not None and question.type not in ("decimal", "time"):
        return cell(question, value, {})
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value


def _sheet_title(book: Workbook, title: str) -> str:
    cleaned = re.sub(r"[\\/*?:\[\]]", "-", title).strip()[:31] or "form"
    candidate, number = cleaned, 1
    while candidate in book.sheetnames:
        number += 1
        candidate = f"{cleaned[:28]}-{number}"
    return candidate


def _two_header_sheet(book: Workbook, title: str, names: Sequence[str],
                      labels: Sequence[str]) -> WriteOnlyWorksheet:
    sheet = _sheet(book, _sheet_title(book, title), names)
    sheet.freeze_panes = "A3"
    _bold_row(sheet, labels)
    return sheet


async def form_sheets(book: Workbook, db: Queries, form: FormDefinition,
                      office_ids: Sequence[int], start: date, end: date, tz: ZoneInfo) -> int:
    """The form's sheet (names as headers, Persian labels under them) and one sheet per
    repeat, each turn a row linked to its submission's number; returns the submissions."""
    columns = form_columns(form)
    fixed = ["_id", "_office", "_author", "_submitted_jalali", "_submitted_at"]
    fixed_labels = [t("export.number"), t("export.office"), t("export.author"),
                    t("export.created_jalali"), t("export.created_iso")]
    sheet = _two_header_sheet(book, form.title, [*fixed, *[c[0] for c in columns]],
                              [*fixed_labels, *[c[1] for c in columns]])
    repeats = {}
    for name, label in form.repeats:
        repeat_columns = form_columns(form, name)
        repeats[name] = (repeat_columns, _two_header_sheet(
            book, f"{form.title} - {label}", ["_parent_id", "_index",
                                              *[c[0] for c in repeat_columns]],
            [t("export.number"), "#", *[c[1] for c in repeat_columns]]))
    count = 0
    async for row in _form_rows(db, form.name, office_ids, start, end, tz):
        answers = json.loads(row["answers"])
        sheet.append([row["id"], row["office"], row["author"],
                      jalali_instant(row["created_at"], tz), row["created_at"],
                      *[form_cell(c, answers.get(c[0])) for c in columns]])
        for name, (repeat_columns, repeat_sheet) in repeats.items():
            for index, turn in enumerate(answers.get(name) or [], start=1):
                repeat_sheet.append([row["id"], index,
                                     *[form_cell(c, turn.get(c[0])) for c in repeat_columns]])
        count += 1
    return count
