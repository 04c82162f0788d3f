"""What features add to the forms conversation, held per application (no module-level
registry): what a completed form becomes (its sink), a check before a form starts, the
confirmation again for a form already filed, what follows a form, a note after an answer,
free text a feature recognises outside a form, and the answers to a message or an offer's
tap when no form is open.

Each feature module returns its part (`def form_hooks(services) -> FormHooks`); `bot/app.py`
joins them (`FormHooks.join`) and keeps the result in the application's `bot_data`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from telegram import Update

from bot.forms.model import FormDefinition
from handlers.context import BotContext
from storage.drafts import Draft

HOOKS_KEY = "form_hooks"
State = str | int  # the conversation's FILLING, or its END

# What a completed form becomes, by its definition's `sink`; returns the confirmation text.
Sink = Callable[[Update, BotContext, FormDefinition, Draft, dict[str, Any]], Awaitable[str]]
# A check before a form starts (e.g. a resident's request limits); returns a refusal or None.
Guard = Callable[[Update, BotContext], Awaitable[str | None]]
# The confirmation again for a draft this person already filed («ثبت نهایی» tapped twice).
Receipt = Callable[[BotContext, int], Awaitable[str | None]]
# Something typed outside any form that a feature recognises (a pasted tracking code).
TextFallback = Callable[[Update, BotContext], Awaitable[bool]]
# What follows a completed (`done`) or cancelled form of a sink (the request card again).
After = Callable[[Update, BotContext, Draft, bool], Awaitable[None]]
# A line shown above the next question after an answer (an emergency number for a category).
AnswerNote = Callable[[BotContext, str, Any], str | None]
# A message outside any form that nothing else took (the start module's answer).
PlainMessage = Callable[[Update, BotContext], Awaitable[None]]
# The offer to turn what a resident sent into a request, tapped: yes (True) or no.
TakeOffer = Callable[[Update, BotContext, bool], Awaitable[State]]


@dataclass
class FormHooks:
    """One application's additions to the forms conversation."""

    sinks: dict[str, Sink] = field(default_factory=dict)
    guards: dict[str, Guard] = field(default_factory=dict)  # by form name
    afters: dict[str, After] = field(default_factory=dict)  # by sink
    answer_notes: dict[str, AnswerNote] = field(default_factory=dict)  # by form name
    receipts: list[Receipt] = field(default_factory=list)
    text_fallbacks: list[TextFallback] = field(default_factory=list)
    plain_message: PlainMessage | None = None
    take_offer: TakeOffer | None = None

    @classmethod
    def join(cls, parts: Iterable[FormHooks]) -> FormHooks:
        """The parts together, in order; a sink, guard or after given twice is an error in
        the wiring; notes after the same form's answers are shown one under the other."""
        whole = cls()
        for part in parts:
            pairs: list[tuple[dict[str, Any], dict[str, Any]]] = [
                (whole.sinks, part.sinks), (whole.guards, part.guards),
                (whole.afters, part.afters)]
            for mine, theirs in pairs:
                twice = set(mine) & set(theirs)
                if twice:
                    raise ValueError(f"form hooks given twice: {sorted(twice)}")
                mine.update(theirs)
            for form, note in part.answer_notes.items():
                whole.answer_notes[form] = _both(whole.answer_notes.get(form), note)
            whole.receipts += part.receipts
            whole.text_fallbacks += part.text_fallbacks
            whole.plain_message = part.plain_message or whole.plain_message
            whole.take_offer = part.take_offer or whole.take_offer
        return whole


def _both(first: AnswerNote | None, second: AnswerNote) -> AnswerNote:
    """Two features' notes after the same answer, one under the other."""
    if first is None:
        return second

    def both(context: BotContext, question: str, value: Any) -> str | None:
        lines = [n for n in (first(context, question, value), second(context, question, value))
                 if n]
        return "\n".join(lines) or None
    return both


def hooks_of(context: BotContext) -> FormHooks:
    """This application's form hooks (none when it was built without them)."""
    hooks = context.bot_data.get(HOOKS_KEY)
    return hooks if isinstance(hooks, FormHooks) else FormHooks()
