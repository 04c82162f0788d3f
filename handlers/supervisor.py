"""What supervisors (and admins) ask for: /digest (today, this week, this month, or the
day, week or month before, on demand),
/digest_here (their scheduled digests to a group chat too), and /export (an Excel file of a
period: this week, this month, last month, or a typed Jalali range)."""

from __future__ import annotations

import io
from datetime import date

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.callbacks import Area, encode, tap
from bot.locale.jalali import format_date
from bot.locale.ranges import RangeRefusal, read_range
from bot.locale.text import t
from bot.planning import labels_from, scope_of
from bot.reports.digest import build_digest
from bot.reports.export import build_export, export_file_name
from bot.reports.periods import Period, period_of
from handlers.context import BotContext, answer_once, inline, send, tapped
from storage.people import add_digest_chat


async def digest(update: Update, context: BotContext) -> None:
    """/digest: choose the period."""
    def button(label: str, kind: str, when: str = "") -> tuple[str, str]:
        return t(label), encode(tap(Area.DIGEST, kind, when=when))

    await send(update, context, t("digest.choose"), inline([
        [button("digest.today", "day"), button("digest.this_week", "week"),
         button("digest.this_month", "month")],
        [button("digest.yesterday", "day", "prev"), button("digest.last_week", "week", "prev"),
         button("digest.last_month", "month", "prev")]]))


async def digest_button(update: Update, context: BotContext) -> None:
    """dig:day|week|month[:prev]: the digest of the period so far, or of the one before."""
    pressed = tapped(update)
    if pressed is None or pressed.area is not Area.DIGEST or pressed.text("when") not in (
            "", "prev"):
        await answer_once(update, context, t("access.stale_button"), alert=True)
        return
    await answer_once(update, context)
    services = context.services
    office_ids, scope = await scope_of(services, context.me())
    if not office_ids:
        await send(update, context, t("digest.no_scope"))
        return
    period = period_of(pressed.action, context.today())
    if pressed.text("when") == "prev":
        period = period.previous()
    result = await build_digest(
        context.db, office_ids=office_ids, scope=scope, period=period,
        tz=services.settings.timezone, labels=labels_from(services.forms),
        overdue_days=services.settings.overdue_days,
        overdue_by_category=services.org.overdue_days, now=context.now())
    await send(update, context, result.text)
    if result.chart is not None:
        chat = update.effective_chat
        assert chat is not None
        await context.bot.send_photo(chat_id=chat.id, photo=result.chart,
                                     caption=period.label)


async def digest_here(update: Update, context: BotContext) -> None:
    """/digest_here in a group: the supervisor's scheduled digests go here too."""
    chat = update.effective_chat
    assert chat is not None
    if chat.type == "private":
        await send(update, context, t("digest.group_only"))
        return
    await add_digest_chat(context.db, context.me().id, chat.id, chat.title or "")
    await context.bot.send_message(chat_id=chat.id, text=t("digest.group_added"))


def export_period(kind: str, day: date) -> Period:
    """This week, this month or last month."""
    if kind == "week":
        return period_of("week", day)
    if kind == "month":
        return period_of("month", day)
    return period_of("month", day).previous()


async def send_export(update: Update, context: BotContext, start: date, end: date) -> None:
    """Build the workbook for the asker's scope and send it as a document."""
    services = context.services
    me = context.me()
    office_ids, scope = await scope_of(services, me)
    data, counts = await build_export(
        context.db, services.forms, office_ids=office_ids, start=start, end=end,
        tz=services.settings.timezone, with_phones=me.role == "admin")
    chat = update.effective_chat
    assert chat is not None
    caption = t("export.caption", scope=scope, first=format_date(start), last=format_date(end),
                reports=counts.get("field_report", 0), needs=counts.get("needs_assessment", 0),
                requests=counts.get("requests", 0))
    await context.bot.send_document(
        chat_id=chat.id, document=io.BytesIO(data),
        filename=export_file_name(start, end), caption=caption[:1024])


async def export(update: Update, context: BotContext) -> None:
    """/export [PERIOD]: a period typed as people say it («اول آذر تا امروز», «آبان»,
    «۱۴۰۵/۸/۱ ۱۴۰۵/۸/۳۰»), or buttons for the usual periods."""
    args = context.args or []
    if args:
        found = read_range(" ".join(args), today=context.today())
        if isinstance(found, RangeRefusal):
            key = "input.range_future" if found.reason == "future" else "input.range_bad"
            await send(update, context, t(key))
            return
        await send_export(update, context, found.start, found.end)
        return
    await send(update, context, t("export.choose"), inline([[
        (t(label), encode(tap(Area.EXPORT, kind))) for label, kind in (
            ("export.this_week", "week"), ("export.this_month", "month"),
            ("export.last_month", "last"))]]))


async def export_button(update: Update, context: BotContext) -> None:
    """exp:week|month|last."""
    pressed = tapped(update)
    if pressed is None or pressed.area is not Area.EXPORT:
        await answer_once(update, context, t("access.stale_button"), alert=True)
        return
    await answer_once(update, context)
    period = export_period(pressed.action, context.today())
    await send_export(update, context, period.start, period.end)


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    """/digest, /digest_here, /export, their menu buttons and their buttons."""
    return [
        CommandHandler("digest", digest),
        MessageHandler(filters.Text([t("menu.digest")]), digest),
        CommandHandler("digest_here", digest_here),
        CommandHandler("export", export),
        MessageHandler(filters.Text([t("menu.export")]), export),
        CallbackQueryHandler(digest_button, pattern=r"^dig:"),
        CallbackQueryHandler(export_button, pattern=r"^exp:"),
    ]
