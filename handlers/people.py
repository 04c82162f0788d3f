"""/people: an admin lists the staff of each office and deactivates (or reactivates)
someone; the change takes effect on that person's very next message."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.callbacks import Area, encode, tap
from bot.locale.text import role_name, t
from handlers import privacy
from handlers.card import deliver_now
from handlers.context import BotContext, answer_once, inline, send, show, tapped
from handlers.menu import register_commands
from storage import offices
from storage import people as people_store
from storage.people import Person


async def office_list(context: BotContext) -> tuple[str, list[list[tuple[str, str]]]]:
    """The first screen: offices (and provinces) with their staff counts."""
    rows = []
    for office in await offices.list_offices(context.db):
        count = len(await people_store.list_staff(context.db, office_id=office.id))
        rows.append([(t("people.office_line", office=office.name, count=count),
                      encode(tap(Area.PEOPLE, "o", office=office.id)))])
    for province_id, name in await offices.list_provinces(context.db):
        count = len(await people_store.list_staff(context.db, province_id=province_id))
        rows.append([(t("people.province_line", province=name, count=count),
                      encode(tap(Area.PEOPLE, "p", province=province_id)))])
    return t("people.choose_office"), rows


BACK = encode(tap(Area.PEOPLE, "list"))


def _name(person: Person) -> str:
    return person.display_name or t("people.unnamed")


async def staff_screen(
    context: BotContext, kind: str, scope_id: int
) -> tuple[str, list[list[tuple[str, str]]]] | None:
    """One office's (or province's) staff, a toggle button each."""
    db = context.db
    if kind == "o":
        office = await offices.office_by_id(db, scope_id)
        if office is None:
            return None
        scope = t("scope.office", office=office.name)
        staff = await people_store.list_staff(db, office_id=scope_id)
    else:
        name = await offices.province_name(db, scope_id)
        if not name:
            return None
        scope = t("scope.province", province=name)
        staff = await people_store.list_staff(db, province_id=scope_id)
    if not staff:
        return t("people.empty", scope=scope), [[(t("people.back"), BACK)]]
    lines = [t("people.title", scope=scope)]
    rows = []
    for index, person in enumerate(staff, start=1):
        state = "" if person.active else t("people.inactive_mark")
        lines.append(t("people.person_line", index=index, name=_name(person),
                       role=role_name(person.role), state=state))
        action, verb = ("d", "people.deactivate") if person.active else ("a", "people.activate")
        data = encode(tap(Area.PEOPLE, action, person=person.id, kind=kind))
        rows.append([(t(verb, name=_name(person))[:60], data)])
    rows.append([(t("people.back"), BACK)])
    return "\n".join(lines), rows


async def people(update: Update, context: BotContext) -> None:
    """/people: choose an office."""
    text, rows = await office_list(context)
    await send(update, context, text, inline(rows))


async def people_button(update: Update, context: BotContext) -> None:
    """ppl:list, ppl:o:OFFICE, ppl:p:PROVINCE, ppl:d|a:PERSON:KIND (deactivate/activate)."""
    pressed = tapped(update)
    if pressed is None or pressed.area is not Area.PEOPLE:
        await answer_once(update, context, t("access.stale_button"), alert=True)
        return
    action = pressed.action
    if action == "list":
        await answer_once(update, context)
        text, rows = await office_list(context)
        await show(update, context, text, inline(rows))
        return
    number = pressed.number({"o": "office", "p": "province"}.get(action, "person"))
    if action in ("o", "p") and number is not None:
        await answer_once(update, context)
        screen = await staff_screen(context, action, number)
        if screen is None:
            await show(update, context, t("access.stale_button"))
            return
        await show(update, context, screen[0], inline(screen[1]))
        return
    if action in ("d", "a") and number is not None:
        target = await people_store.get_person_by_id(context.db, number)
        if target is None or target.role not in ("supervisor", "facilitator"):
            await answer_once(update, context, t("access.stale_button"), alert=True)
            return
        target = await people_store.set_active(
            context.db, target.id, action == "a", actor_id=context.me().id,
            returned=await privacy.returned_notices(context, target))
        await deliver_now(update, context)  # the colleagues told of the requests back in the pool
        done = "people.activated" if target.active else "people.deactivated"
        await answer_once(update, context, t(done, name=_name(target)))
        await register_commands(context.bot, target.user_id, target.effective_role)
        scope_kind, scope_id = ("o", target.office_id) if target.office_id else (
            "p", target.province_id)
        screen = await staff_screen(context, scope_kind, scope_id or 0)
        if screen is not None:
            await show(update, context, screen[0], inline(screen[1]))
        return
    await answer_once(update, context, t("access.stale_button"), alert=True)


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    """/people, its menu button and its buttons."""
    return [
        CommandHandler("people", people),
        MessageHandler(filters.Text([t("menu.people")]), people),
        CallbackQueryHandler(people_button, pattern=r"^ppl:"),
    ]
