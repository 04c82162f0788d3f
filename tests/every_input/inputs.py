"""Every kind of input a person can send, and whether it answers the step it is sent at.

`send` queues one input on the fake messenger; `expected` says what it must do to the
stored draft or request at a saved step: "change" (it is an answer), "same" (it is not; the
bot says what it expects instead) or "any" (both are right: a natural reading may take it,
e.g. «۱۲» at a choice, a voice note kept as a detail)."""

from __future__ import annotations

from bot.sandbox import SimUser
from tests.every_input.states import State

LONG = "کوچه " * 1000  # 5000 characters
TEXTS = {
    "text_short": "سلام",
    "text_long": LONG,
    "text_digits": "۱۲",
    "text_emoji": "😀👍🙏",
}
INPUTS = (
    *TEXTS, "voice", "photo", "album", "document", "sticker", "location", "contact",
    "edited", "stale_button", "forged_button", "forged_draft", "garbled_button",
    "cmd_start", "cmd_help", "cmd_cancel", "cmd_foo",
)
COMMANDS = {"cmd_start": "/start", "cmd_help": "/help", "cmd_cancel": "/cancel",
            "cmd_foo": "/foo"}
TAPS = {"stale_button", "forged_button", "forged_draft", "garbled_button"}
GARBLED = "frm:zz:ok:\u202e:" + "9" * 30


def send(kind: str, user: SimUser, state: State) -> None:
    """Queue input `kind` from `user` at `state`."""
    if kind in TEXTS:
        user.send_text(TEXTS[kind])
    elif kind in COMMANDS:
        user.send_text(COMMANDS[kind])
    elif kind == "album":
        user.send_album(3)
    elif kind == "edited":
        mine = [m for m in user.api.chat(user.id) if not m.from_bot and m.kind == "text"]
        user.edit_text(mine[-1].message_id if mine else 1, "نه، منظورم چیز دیگری بود")
    elif kind == "stale_button":
        data, message_id = state.stale or ("frm:1:a:hood:1", 1)
        user.tap_data(data, message_id)
    elif kind == "forged_button":
        user.tap_data(state.forged)
    elif kind == "forged_draft":
        user.tap_data(state.forged_draft)
    elif kind == "garbled_button":
        user.tap_data(GARBLED)
    else:
        getattr(user, f"send_{kind}")()


def _text_fits(state: State, text: str) -> bool:
    question = state.question
    assert question is not None
    size = len(text.strip())
    return (question.min or 0) <= size <= (question.max or 4096)


def expected(state: State, kind: str) -> str:
    """"change", "same" or "any": what `kind` must do to the stored draft and requests."""
    if kind == "edited":
        # editing a typed answer changes that answer («پاسخ «شرح» … تغییر کرد»)
        return "same" if state.screen == "buttons" else "any"
    if kind == "stale_button" and state.screen == "buttons":
        # a button edited away whose action still holds (the card's carry the request's
        # version) may act, as it would have a moment earlier; it must be answered
        return "any"
    if kind in TAPS or kind in ("sticker", "document", "cmd_help", "cmd_foo"):
        return "same"
    if kind == "cmd_start":
        return "same"
    if kind == "cmd_cancel":
        # the command says what it does («رها کردن کار نیمه‌تمام»): the draft is gone
        return "same" if state.screen == "buttons" else "change"
    if state.screen == "cancel":
        return "any"  # «discard?» left unanswered: an answer to the question under it
    if state.screen != "question" or state.question is None:
        # a resident's photo or voice outside a form may be offered as a new request; that
        # offer is kept apart until accepted
        return "same"
    kind_of = state.question.type
    if kind in TEXTS:
        if kind_of == "text":
            if kind == "text_emoji":
                return "any"
            return "change" if _text_fits(state, TEXTS[kind]) else "same"
        if kind_of in ("integer", "decimal"):
            return "change" if kind == "text_digits" else "same"
        if kind in ("text_long", "text_emoji"):
            return "same"
        return "any"  # a natural reading of «سلام» or «۱۲» at a choice, date or place
    if kind == "voice":
        if kind_of == "text":
            return "any"  # kept as a detail where the form may, else «please write»
        return "change" if kind_of == "photos" else "same"
    if kind in ("photo", "album"):
        if kind_of == "photos":
            return "change"
        return "any" if kind_of == "text" else "same"
    if kind == "location":
        return "change" if kind_of == "location" else "same"
    if kind == "contact":
        if kind_of == "contact":
            return "change"
        return "any" if state.question.id == "contact_choice" else "same"
    return "any"
