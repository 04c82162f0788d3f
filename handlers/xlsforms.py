"""Forms added as XLSForm workbooks: who may start each one (its `roles` setting), its menu
button, and what a completed one becomes: a submission recording the form's id, with the
answers under their XLSForm names, the calculations, the repeats as lists and the metadata
(start, end, today, deviceid, username) the bot fills in."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from telegram import Update

from bot.forms.model import FormDefinition
from bot.forms.xlsform import submission_answers
from bot.locale.jalali import format_date, local_date
from bot.locale.text import role_name, t
from bot.services import Services
from handlers.context import BotContext
from handlers.form_hooks import FormHooks
from handlers.submissions import to_submission
from storage.drafts import Draft
from storage.submissions import submit


def metadata_of(context: BotContext, draft: Draft) -> dict[str, Any]:
    """The values of XLSForm's metadata types, by kind."""
    me = context.me()
    return {
        "start": draft.created_at, "end": context.now().isoformat(),
        "today": context.today().isoformat(),
        "deviceid": f"{context.services.settings.messenger}:{me.user_id}",
        "username": me.display_name,
    }


async def save_xlsform(update: Update, context: BotContext, form: FormDefinition,
                       draft: Draft, answers: dict[str, Any]) -> str:
    """Store a completed XLSForm; the confirmation names its number and Jalali date."""
    new = to_submission(form, draft, answers, context.me().id)
    new = replace(new, answers=submission_answers(form, answers, metadata_of(context, draft)))
    number, created = await submit(context.db, new)
    if not created:
        return t("form.already_saved", number=number)
    day = local_date(context.now(), context.services.settings.timezone)
    return t("form.saved", title=form.title, number=number, date=format_date(day))


def role_guard(form: FormDefinition) -> Any:
    """Refuse the form to a role it is not for."""

    async def guard(update: Update, context: BotContext) -> str | None:
        """None when this person's role may fill the form in."""
        if context.me().effective_role in form.roles:
            return None
        return t("access.denied", role=role_name(context.me().effective_role))

    return guard


def form_hooks(services: Services) -> FormHooks:
    """What the loaded XLSForms add to the forms: where they are stored, and a role guard
    for each (their menu buttons come from the forms themselves: `handlers.menu`)."""
    xls = [f for f in services.forms.values() if f.sink == "xlsform"]
    return FormHooks(sinks={"xlsform": save_xlsform},
                     guards={form.name: role_guard(form) for form in xls})
