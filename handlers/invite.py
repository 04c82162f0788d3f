"""/invite: an admin (or a supervisor, for facilitators of offices in their scope) makes a
one-time invite code and deep link for a new staff member, typed or with buttons."""

from __future__ import annotations

from datetime import timedelta

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import access
from bot.callbacks import Area, decode, encode, tap
from bot.locale.jalali import format_date, local_date
from bot.locale.normalize import match_key
from bot.locale.text import role_name, t
from handlers.agency_invite import agency_invite_button, ask_agency
from handlers.context import BotContext, answer_once, inline, send, show
from storage import offices
from storage.offices import OfficeRow
from storage.people import create_invite

ROLE_WORDS = {
    "facilitator": "facilitator", "تسهیلگر": "facilitator",
    "supervisor": "supervisor", "ناظر": "supervisor",
}


async def make_invite(
    update: Update, context: BotContext, role: str,
    office: OfficeRow | None = None, province: tuple[int, str] | None = None,
) -> None:
    """Create the invite and show its code, link and expiry."""
    me = context.me()
    settings = context.services.settings
    code = await create_invite(
        context.db, role=role, office_id=office.id if office else None,
        province_id=province[0] if province else None, created_by=me.id,
        days=settings.invite_days,
    )
    expires = local_date(context.now() + timedelta(days=settings.invite_days),
                         settings.timezone)
    scope = (t("scope.office", office=office.name) if office
             else t("scope.province", province=province[1] if province else ""))
    text = t(
        "invite.created", role=role_name(role), scope=scope, code=code,
        link=settings.deep_link(context.bot.username, code), expires=format_date(expires),
    )
    await show(update, context, text) if update.callback_query else await send(
        update, context, text
    )


async def ask_office(update: Update, context: BotContext, role: str) -> None:
    """Offer the offices in scope as buttons (and whole provinces, for supervisors)."""
    me = context.me()
    rows = [[(o.name, encode(tap(Area.INVITE, "o", role=role, office=o.id)))]
            for o in await access.invitable_offices(context.db, me)]
    if access.may_invite(me, "supervisor"):
        rows += [[(t("invite.whole_province", province=name),
                   encode(tap(Area.INVITE, "p", province=pid)))]
                 for pid, name in await offices.list_provinces(context.db)]
    await show(update, context, t("invite.choose_office"), inline(rows))


async def invite(update: Update, context: BotContext) -> None:
    """/invite [ROLE SLUG]: make an invite at once, or start the buttons."""
    me = context.me()
    args = context.args or []
    if not args:
        await send(update, context, t("invite.choose_role"), inline([[
            (role_name(role), encode(tap(Area.INVITE, "r", role=role)))
            for role in access.INVITED_ROLES if access.may_invite(me, role)
        ]]))
        return
    role = ROLE_WORDS.get(match_key(args[0]))
    if role is None:
        await send(update, context, t("invite.unknown_role", role=args[0]))
        return
    if not access.may_invite(me, role):
        await send(update, context, t("invite.supervisor_only_facilitators"))
        return
    if len(args) < 2:
        await ask_office(update, context, role)
        return
    slug = args[1].strip().lower()
    allowed = await access.invitable_offices(context.db, me)
    office = next((o for o in allowed if o.slug == slug), None)
    if office is not None:
        await make_invite(update, context, role, office=office)
        return
    province = await offices.province_by_slug(context.db, slug)
    if province is not None and role == "supervisor":
        await make_invite(update, context, role, province=province)
        return
    if me.role != "admin" and await offices.office_by_slug(context.db, slug) is not None:
        await send(update, context, t("invite.out_of_scope"))
        return
    slugs = "\n".join(f"{o.slug} — {o.name}" for o in allowed)
    await send(update, context, t("invite.unknown_office", slug=slug, slugs=slugs))


async def invite_button(update: Update, context: BotContext) -> None:
    """The invite buttons: inv:r:ROLE, inv:o:ROLE:OFFICE_ID, inv:p:PROVINCE_ID."""
    me = context.me()
    pressed = decode(update.callback_query.data if update.callback_query else None)
    await answer_once(update, context)
    role = pressed.text("role") if pressed is not None else ""
    if pressed is None:
        await show(update, context, t("access.stale_button"))
    elif pressed.action in ("a", "ao", "ap"):  # an agency's focal point (issue 22)
        await agency_invite_button(update, context, pressed)
    elif pressed.action == "r" and role in access.INVITED_ROLES:
        if not access.may_invite(me, role):
            await show(update, context, t("invite.supervisor_only_facilitators"))
            return
        if role == "agency":
            await ask_agency(update, context)
            return
        await ask_office(update, context, role)
    elif pressed.action == "o" and role in ("facilitator", "supervisor"):
        allowed = {o.id: o for o in await access.invitable_offices(context.db, me)}
        office_id = pressed.number("office")
        if office_id not in allowed or not access.may_invite(me, role):
            await show(update, context, t("invite.out_of_scope"))
            return
        await make_invite(update, context, role, office=allowed[office_id])
    elif pressed.action == "p" and access.may_invite(me, "supervisor"):
        number = pressed.number("province")
        province = await offices.province_by_id(context.db, number) if number is not None else None
        if province is None:
            await show(update, context, t("access.stale_button"))
            return
        await make_invite(update, context, "supervisor", province=province)
    else:
        await show(update, context, t("access.stale_button"))


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    """/invite, its menu button and its buttons."""
    return [
        CommandHandler("invite", invite),
        MessageHandler(filters.Text([t("menu.invite")]), invite),
        CallbackQueryHandler(invite_button, pattern=r"^inv:"),
    ]
