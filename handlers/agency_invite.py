"""«دعوت همکار» for an agency's focal point (issue 22): role «نمایندهٔ دستگاه», then the
agency (the organisation file's list), then an office or a whole province. An admin may
invite for any; a supervisor for the offices in their scope, and for their own province
when they supervise a whole one. `handlers.invite` routes the inv:a / inv:ao / inv:ap
buttons here."""

from __future__ import annotations

from datetime import timedelta

from telegram import Update

from bot import access
from bot.callbacks import Area, Tap, encode, tap
from bot.locale.jalali import format_date, local_date
from bot.locale.text import role_name, t
from handlers.context import BotContext, inline, show
from storage import offices
from storage.people import create_invite


async def ask_agency(update: Update, context: BotContext) -> None:
    """The agencies of the organisation file, as buttons."""
    rows = [[(a.name, encode(tap(Area.INVITE, "a", agency=a.slug)))]
            for a in context.services.org.agencies]
    await show(update, context, t("agency_loop.invite_agency"), inline(rows))


async def provinces_for(context: BotContext) -> list[tuple[int, str]]:
    """The whole provinces this person may invite a focal point for."""
    me = context.me()
    every = await offices.list_provinces(context.db)
    if me.role == "admin":
        return list(every)
    if me.role == "supervisor" and me.office_id is None and me.province_id is not None:
        return [(pid, name) for pid, name in every if pid == me.province_id]
    return []


async def ask_scope(update: Update, context: BotContext, agency: str) -> None:
    """The offices (and whole provinces) this person may invite a focal point for."""
    rows = [[(o.name, encode(tap(Area.INVITE, "ao", agency=agency, office=o.id)))]
            for o in await access.invitable_offices(context.db, context.me())]
    rows += [[(t("invite.whole_province", province=name),
               encode(tap(Area.INVITE, "ap", agency=agency, province=pid)))]
             for pid, name in await provinces_for(context)]
    await show(update, context, t("invite.choose_office"), inline(rows))


async def agency_invite_button(update: Update, context: BotContext, pressed: Tap) -> None:
    """inv:a:AGENCY, inv:ao:AGENCY:OFFICE, inv:ap:AGENCY:PROVINCE (checked again here)."""
    me, org = context.me(), context.services.org
    agency = org.agency(pressed.text("agency"))
    if agency is None or not access.may_invite(me, "agency"):
        await show(update, context, t("access.stale_button"))
        return
    if pressed.action == "a":
        await ask_scope(update, context, agency.slug)
        return
    office_id, province_id, scope = None, None, ""
    if pressed.action == "ao":
        allowed = {o.id: o for o in await access.invitable_offices(context.db, me)}
        office = allowed.get(pressed.number("office") or 0)
        if office is None:
            await show(update, context, t("invite.out_of_scope"))
            return
        office_id, scope = office.id, t("scope.office", office=office.name)
    else:
        found = dict(await provinces_for(context)).get(pressed.number("province") or 0)
        if found is None:
            await show(update, context, t("invite.out_of_scope"))
            return
        province_id = pressed.number("province")
        scope = t("scope.province", province=found)
    settings = context.services.settings
    code = await create_invite(context.db, role="agency", office_id=office_id,
                               province_id=province_id, created_by=me.id,
                               days=settings.invite_days, agency=agency.slug)
    expires = local_date(context.now() + timedelta(days=settings.invite_days),
                         settings.timezone)
    await show(update, context, t(
        "invite.created", role=f"{role_name('agency')} ({agency.short_name})", scope=scope,
        code=code, link=settings.deep_link(context.bot.username, code),
        expires=format_date(expires)))
