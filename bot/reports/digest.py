"""Supervisors' digests: the figures of a scope and period (SQL aggregates from
`storage.stats`) written as a short Persian message, with the change against the period
before, and a chart for weekly and monthly digests."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot import agencies
from bot.forms.model import FormDefinition
from bot.locale.codes import shown_code
from bot.locale.jalali import local_datetime
from bot.locale.normalize import fa_number, to_persian_digits
from bot.locale.text import t
from bot.org import Organisation
from bot.reports.chart import digest_chart
from bot.reports.periods import Period
from storage import stats
from storage.db import Database

MAX_LINES = 8


@dataclass(frozen=True)
class DigestQuestion:
    """A question a form marks for digests (`digest` column): its choices are counted, its
    numbers summed."""

    name: str
    label: str
    kind: str  # choice, multi, integer, decimal
    choices: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FormDigest:
    """A form counted in digests on its own lines."""

    name: str
    title: str
    questions: tuple[DigestQuestion, ...] = ()


def form_digests(forms: Mapping[str, FormDefinition]) -> tuple[FormDigest, ...]:
    """Every stored form without its own digest section, with its marked questions."""
    made = []
    for form in forms.values():
        if form.sink not in ("submission", "xlsform") or form.name in OWN_SECTIONS:
            continue
        marked = tuple(
            DigestQuestion(q.name or q.id, q.label, q.type,
                           {c.value: c.label for c in q.choices})
            for q in form.questions
            if q.digest and not q.repeat and q.type in ("choice", "multi", "integer", "decimal"))
        made.append(FormDigest(form.name, form.title, marked))
    return tuple(made)


OWN_SECTIONS = ("field_report", "needs_assessment")


async def form_lines(db: Database, office_ids: Sequence[int], start: str, end: str,
                     forms: Sequence[FormDigest]) -> list[str]:
    """The digest lines of the other forms: submissions per form and office, then the
    marked questions' counts per choice and sums."""
    if not forms:
        return []
    per_office = await stats.submissions_per_form(db, office_ids, start, end,
                                                  [f.name for f in forms])
    lines: list[str] = []
    for form in forms:
        rows = [(office, n) for name, office, n in per_office if name == form.name]
        if not rows:
            continue
        lines.append(t("digest.form", title=form.title, count=sum(n for _, n in rows)))
        lines += [t("digest.form_office", office=office, count=n)
                  for office, n in rows[:MAX_LINES]]
        for question in form.questions:
            if question.kind in ("choice", "multi"):
                counts = await stats.answer_counts(db, office_ids, start, end, form.name,
                                                   question.name,
                                                   multiple=question.kind == "multi")
                if counts:
                    lines.append(t("digest.form_choices", label=question.label, counts="، ".join(
                        f"{question.choices.get(v, v)} {fa_number(n)}"
                        for v, n in counts[:MAX_LINES])))
            else:
                total, answered = await stats.answer_sum(db, office_ids, start, end,
                                                         form.name, question.name)
                if answered:
                    shown = fa_number(int(total)) if float(total).is_integer() else \
                        to_persian_digits(f"{total:g}")
                    lines.append(t("digest.form_sum", label=question.label, total=shown,
                                   count=answered))
    return ["", *lines] if lines else []


@dataclass(frozen=True)
class Labels:
    """Persian labels of the stored codes, taken from the form definitions."""

    domains: Mapping[str, str] = field(default_factory=dict)
    need_categories: Mapping[str, str] = field(default_factory=dict)
    severities: Mapping[str, str] = field(default_factory=dict)
    request_categories: Mapping[str, str] = field(default_factory=dict)
    forms: tuple[FormDigest, ...] = ()  # forms beyond the field report and needs assessment


@dataclass(frozen=True)
class Digest:
    """A digest ready to send: its text and, for weeks and months, a chart."""

    text: str
    chart: bytes | None
    figures: stats.Figures


def _change(now: int, before: int) -> str:
    if now == before:
        return t("digest.same")
    sign = "+" if now > before else "−"
    return t("digest.change", sign=sign, diff=abs(now - before))


# The statuses a digest names, in this order; the three open ones are counted as «باز».
STATES = ("resolved", "rejected", "duplicate", "withdrawn", "open")
ALWAYS_SHOWN = ("resolved", "open")
STATE_KEYS = {s: f"digest_requests.{s}" for s in STATES} | {"open": "digest_requests.open_state"}


def request_states(by_state: Sequence[tuple[str, int]]) -> list[tuple[str, int]]:
    """The new requests by status, each counted once: resolved, rejected, duplicate,
    withdrawn (when any) and open (received, in review or referred); they add up to the
    number of new requests."""
    counts = dict.fromkeys(STATES, 0)
    for status, count in by_state:
        key = "open" if status in stats.OPEN else status
        counts[key] = counts.get(key, 0) + count
    return [(s, n) for s, n in counts.items() if n or s in ALWAYS_SHOWN]


def solved_rate(yes: int, no: int) -> int:
    """The share of requests whose latest answer was «حل شد», in whole percent."""
    return round(100 * yes / (yes + no)) if yes + no else 0


def render(period: Period, f: stats.Figures, before: stats.Totals, labels: Labels,
           scope: str, now: datetime, tz: ZoneInfo, late: bool = False) -> str:
    """The digest text (pure: figures in, Persian out)."""
    lines = [t(f"digest.title_{period.kind}", period=period.label)]
    if late:
        lines.append(t("digest.late"))
    lines.append(t("digest.scope", scope=scope))
    if f.empty:
        lines.append(t("digest.nothing"))
        if f.silent:
            lines.append(t("digest.silent", names="، ".join(f.silent[:MAX_LINES])))
        return "\n".join(lines)
    lines.append("")
    lines.append(t("digest.reports", count=f.reports, change=_change(f.reports, before.reports)))
    if f.reports:
        lines.append(t("digest.participants", count=f.participants, children=f.children,
                       adolescents=f.adolescents,
                       change=_change(f.participants, before.participants)))
        for _office, hood, count, people in f.by_hood[:MAX_LINES]:
            lines.append(t("digest.hood_line", hood=hood, count=count, people=people))
        if f.by_domain:
            lines.append(t("digest.domains", domains="، ".join(
                f"{labels.domains.get(v, v)} {fa_number(n)}" for v, n in f.by_domain)))
    lines.append("")
    urgent = len(f.urgent)
    lines.append(t("digest.needs", count=f.needs, urgent=urgent,
                   change=_change(f.needs, before.needs)))
    for hood, category, severity, households in f.urgent[:5]:
        lines.append(t("digest.urgent_line", hood=hood,
                       category=labels.need_categories.get(category, category),
                       severity=labels.severities.get(severity, severity),
                       households=households))
    lines.append("")
    states = ""
    if f.requests_new:
        states = t("digest_requests.states", states="، ".join(
            t("digest_requests.state", status=t(STATE_KEYS[s]), count=n)
            for s, n in request_states(f.requests_by_state)))
    lines.append(t("digest.requests", new=f.requests_new, states=states))
    lines.append(t("digest_requests.open", open=f.requests_open, overdue=f.requests_overdue))
    if f.oldest_open is not None:
        code, created, category = f.oldest_open
        days = (local_datetime(now, tz).date()
                - local_datetime(datetime.fromisoformat(created), tz).date()).days
        age = t("inbox.age_today") if days == 0 else t("inbox.age_days", days=days)
        lines.append(t("digest.oldest", code=shown_code(code), age=age,
                       category=labels.request_categories.get(category, category)))
    if f.first_response:
        lines.append(t("digest.first_response", lines="، ".join(
            t("digest.first_response_line",
              category=labels.request_categories.get(category, category),
              hours=t("digest.under_an_hour") if hours < 1 else t(
                  "digest.hours", hours=to_persian_digits(
                      f"{hours:.1f}".removesuffix(".0").replace(".", "٫"))),
              count=count)
            for category, count, hours in f.first_response[:MAX_LINES])))
    if f.solved_yes or f.solved_no:
        lines.append(t("digest.solved", yes=f.solved_yes, no=f.solved_no,
                       rate=solved_rate(f.solved_yes, f.solved_no),
                       count=f.solved_yes + f.solved_no))
    if f.silent:
        lines.append("")
        lines.append(t("digest.silent", names="، ".join(f.silent[:MAX_LINES])
                       + ("…" if len(f.silent) > MAX_LINES else "")))
    return "\n".join(lines)[:4000]


async def build_digest(
    db: Database, *, office_ids: Sequence[int], scope: str, period: Period, tz: ZoneInfo,
    labels: Labels, overdue_days: int, overdue_by_category: Mapping[str, int],
    now: datetime, late: bool = False, org: Organisation | None = None,
) -> Digest:
    """Query the figures and write the digest (and its chart for weeks and months); with
    `org`, a line per agency the offices referred to (issue 22)."""
    start, end = period.utc_range(tz)
    # The state the request figures describe: now, or the end of a period already over.
    as_of = min(now + timedelta(seconds=1), datetime.fromisoformat(end))
    cutoffs = {c: (as_of - timedelta(days=d)).isoformat(timespec="seconds")
               for c, d in overdue_by_category.items()}
    default_cutoff = (as_of - timedelta(days=overdue_days)).isoformat(timespec="seconds")
    figures = await stats.figures(db, office_ids, start, end,
                                  now=as_of.isoformat(timespec="seconds"),
                                  overdue_cutoffs=cutoffs, default_cutoff=default_cutoff)
    before_start, before_end = period.previous().utc_range(tz)
    before = await stats.totals(db, office_ids, before_start, before_end)
    text = render(period, figures, before, labels, scope, as_of, tz, late)
    other_forms = await form_lines(db, office_ids, start, end, labels.forms)
    if other_forms:
        text = "\n".join([text, *other_forms])[:4000]
    if org is not None:
        found = await agencies.figures(db, org, office_ids, datetime.fromisoformat(start),
                                       datetime.fromisoformat(end), as_of, tz)
        lines = agencies.figures_lines(found, org)
        if lines:
            text = "\n".join([text, "", *lines])[:4000]
    chart = None
    if period.kind != "day" and not figures.empty:
        chart = await asyncio.to_thread(  # drawing takes a while: not on the event loop
            digest_chart,
            [(hood, count) for _, hood, count, _ in figures.by_hood],
            [(labels.need_categories.get(c, c), n) for c, n in figures.needs_by_category],
            t(f"digest.chart_title_{period.kind}", period=period.label))
    return Digest(text, chart, figures)
