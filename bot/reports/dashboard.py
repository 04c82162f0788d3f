"""The dashboard's figures: periods read from a query string, the overview's figures with
the change against the period before, trend buckets (weeks, Jalali months), medians and
rates, the overdue rule, and the exports (CSV, and Excel with the exporter's sheets). Pure:
storage gives the counts, this module shapes them; no web framework here."""

from __future__ import annotations

import csv
import io
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook

from bot.locale import codes
from bot.locale.jalali import (
    JalaliDateError,
    format_date,
    jalali_month_bounds,
    jalali_month_name,
    parse_jalali_date,
    to_jalali,
)
from bot.locale.normalize import to_ascii_digits
from bot.locale.text import t
from bot.reports.export import _sheet
from bot.reports.periods import Period, period_of
from storage.dashboard import Counts, Overdue

PERIOD_KINDS = ("today", "week", "month", "last_month", "range")
TREND_WEEKS = 8
TREND_MONTHS = 6
MAX_RANGE_DAYS = 366 * 5


class PeriodError(ValueError):
    """The query string's period cannot be read; `key` names the Persian message."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


@dataclass(frozen=True)
class Span:
    """A period of the dashboard: local dates [start, end], its kind and Persian label."""

    kind: str
    start: date
    end: date
    label: str

    def utc_range(self, tz: ZoneInfo) -> tuple[str, str]:
        """[from, to) as UTC ISO instants."""
        return Period("day", self.start, self.end).utc_range(tz)

    def previous(self) -> Span:
        """The span just before, of the same kind (a range: as many days)."""
        if self.kind in ("month", "last_month"):
            first, last = jalali_month_bounds(self.start - timedelta(days=1))
            return Span("month", first, last, jalali_month_name(first))
        days = (self.end - self.start).days + 1
        end = self.start - timedelta(days=1)
        return Span(self.kind, end - timedelta(days=days - 1), end, "")

    def as_json(self) -> dict[str, Any]:
        """The `period` object of the API."""
        return {"kind": self.kind, "label": self.label, "from": self.start.isoformat(),
                "to": self.end.isoformat(), "from_jalali": jalali_iso(self.start),
                "to_jalali": jalali_iso(self.end)}


def jalali_iso(day: date) -> str:
    """'1405-09-01' (ASCII digits: for URLs and inputs)."""
    return f"{to_jalali(day):%Y-%m-%d}"


def range_label(start: date, end: date) -> str:
    """«۱ آذر ۱۴۰۵ تا ۱۵ آذر ۱۴۰۵»."""
    return t("digest.week_label", first=format_date(start), last=format_date(end))


def read_period(params: Mapping[str, str], today: date) -> Span:
    """The period a query string asks for (default: this Jalali month)."""
    kind = params.get("period") or "month"
    if kind == "today":
        return Span("today", today, today, t("digest.today"))
    if kind == "week":
        week = period_of("week", today)
        return Span("week", week.start, week.end, t("digest.this_week"))
    if kind == "month":
        first, last = jalali_month_bounds(today)
        return Span("month", first, last, jalali_month_name(today))
    if kind == "last_month":
        first, last = jalali_month_bounds(jalali_month_bounds(today)[0] - timedelta(days=1))
        return Span("last_month", first, last, jalali_month_name(first))
    if kind == "range":
        try:
            start = parse_jalali_date(to_ascii_digits(params.get("from", "")))
            end = parse_jalali_date(to_ascii_digits(params.get("to", "")))
        except JalaliDateError:
            raise PeriodError("dashboard.bad_range") from None
        if start > end:
            start, end = end, start
        if (end - start).days > MAX_RANGE_DAYS:
            raise PeriodError("dashboard.bad_range")
        return Span("range", start, end, range_label(start, end))
    raise PeriodError("dashboard.bad_period")


def overdue_rule(as_of: datetime, overdue_days: int,
                 by_category: Mapping[str, int]) -> Overdue:
    """Open requests filed before these instants are overdue at `as_of` (as digests)."""
    return Overdue({c: (as_of - timedelta(days=d)).isoformat(timespec="seconds")
                    for c, d in by_category.items()},
                   (as_of - timedelta(days=overdue_days)).isoformat(timespec="seconds"))


def is_overdue(status: str, category: str, created_at: str, rule: Overdue) -> bool:
    """Whether one request is overdue under the rule."""
    open_ = status in ("received", "in_review", "referred")
    cutoff = rule.cutoffs.get(category, rule.default)
    return open_ and datetime.fromisoformat(created_at) < datetime.fromisoformat(cutoff)


def median(values: Sequence[float]) -> float | None:
    """The median, one decimal; None without values."""
    return round(statistics.median(values), 1) if values else None


def rate(yes: int, no: int) -> float | None:
    """yes / (yes + no) as a percentage, one decimal; None without answers."""
    return round(100 * yes / (yes + no), 1) if yes + no else None


FIGURES = ("reports", "participants", "children", "needs", "needs_urgent", "requests_new",
           "requests_resolved", "requests_open", "requests_overdue",
           "first_response_median_hours", "solved_rate")


def urgent(c: Counts) -> int:
    """Needs of high or critical severity among the counts."""
    return c.needs_by_severity.get("high", 0) + c.needs_by_severity.get("critical", 0)


def figure_values(c: Counts, urgent: int, hours: Sequence[float],
                  answers: tuple[int, int]) -> dict[str, float | int | None]:
    """The overview's figures of one period."""
    return {"reports": c.reports, "participants": c.participants, "children": c.children,
            "needs": c.needs, "needs_urgent": urgent, "requests_new": c.requests_new,
            "requests_resolved": c.requests_resolved, "requests_open": c.requests_open,
            "requests_overdue": c.requests_overdue,
            "first_response_median_hours": median(hours), "solved_rate": rate(*answers)}


def figures_json(now: Mapping[str, Any], before: Mapping[str, Any]) -> dict[str, Any]:
    """{name: {value, previous, label}} of the overview."""
    return {name: {"value": now[name], "previous": before[name],
                   "label": t(f"dashboard.figure_{name}")} for name in FIGURES}


def trend_weeks(end: date, count: int = TREND_WEEKS) -> list[Span]:
    """The `count` Iranian weeks ending with the one holding `end`, oldest first."""
    spans = []
    week = period_of("week", end)
    for _ in range(count):
        spans.append(Span("week", week.start, week.end, week.label))
        week = week.previous()
    return spans[::-1]


def trend_months(end: date, count: int = TREND_MONTHS) -> list[Span]:
    """The `count` Jalali months ending with the one holding `end`, oldest first."""
    spans = []
    month = period_of("month", end)
    for _ in range(count):
        spans.append(Span("month", month.start, month.end, month.label))
        month = month.previous()
    return spans[::-1]


def weeks_of(span: Span, most: int = 60) -> list[Span]:
    """The Iranian weeks that cover the span (the last `most` of them), oldest first."""
    spans = trend_weeks(span.end, most)
    return [w for w in spans if w.end >= span.start] or spans[-1:]


def trend_json(span: Span, c: Counts) -> dict[str, Any]:
    """One bucket of a trend."""
    return {"label": span.label, "from": span.start.isoformat(), "reports": c.reports,
            "participants": c.participants, "children": c.children,
            "needs_by_severity": {s: c.needs_by_severity.get(s, 0)
                                  for s in ("low", "medium", "high", "critical")},
            "requests_new": c.requests_new, "requests_resolved": c.requests_resolved,
            "requests_open": c.requests_open, "requests_overdue": c.requests_overdue}


def shown_code(code: str) -> str:
    """'63817450' → '۶۳۸۱-۷۴۵۰', as residents see it (a page needs no isolates)."""
    return codes.shown_code(code, isolated=False)


# ----- exports ------------------------------------------------------------------------------


def table_csv(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    """CSV (UTF-8 with a BOM, so that Excel reads Persian) of a table; a cell that would
    start a formula is quoted with a leading apostrophe."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([_safe(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode()


def _safe(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def table_xlsx(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    """An Excel workbook of one right-to-left sheet (the exporter's sheet style)."""
    book = Workbook(write_only=True)
    sheet = _sheet(book, title, headers)
    for row in rows:
        sheet.append([_safe(v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
