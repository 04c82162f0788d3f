"""Simulated people: they send text, commands, button taps, locations, contacts and photos
to the fake server as updates, and read what the bot sent them.

A `SimUser` only queues updates; a driver (in process, or the bot polling over HTTP)
delivers them. Tapping looks for the label on the newest bot message that has it, as a
person would.
"""

from __future__ import annotations

from typing import Any

from bot.sandbox.fake_api import ChatMessage, FakeBotAPI


class ButtonNotFound(AssertionError):
    """The person looked for a button that is not on screen."""


class SimUser:
    """One person in a private chat with the bot."""

    def __init__(
        self,
        api: FakeBotAPI,
        user_id: int,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        phone: str = "+989120000000",
    ) -> None:
        self.api = api
        self.id = user_id
        self.first_name = first_name
        self.phone = phone
        self.user: dict[str, Any] = {
            "id": user_id, "is_bot": False, "first_name": first_name, "language_code": "fa",
        }
        if last_name:
            self.user["last_name"] = last_name
        if username:
            self.user["username"] = username
        self.chat: dict[str, Any] = {"id": user_id, "type": "private", "first_name": first_name}
        self.last_message_id = 0  # of the newest message this person sent (to edit it)
        api.register_chat(self.chat)

    # ----- sending --------------------------------------------------------------------------

    def _message(self, kind: str, shown: str = "", chat: dict[str, Any] | None = None,
                 **fields: Any) -> int:
        chat = chat or self.chat
        self.api.register_chat(chat)
        message_id = self.api.next_message_id(chat["id"])
        self.last_message_id = message_id
        raw = {
            "message_id": message_id, "date": self.api.clock.timestamp(), "chat": chat,
            "from": self.user,
            **fields,
        }
        record = ChatMessage(message_id, chat["id"], False, kind, text=shown, raw=raw)
        return self.api.push_update({"message": raw}, record)

    def send_text(self, text: str) -> int:
        """Type and send a text; a leading /command gets its bot_command entity."""
        fields: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            length = len(text.split()[0]) if text.split() else 1
            fields["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return self._message("text", text, **fields)

    def send_location(self, latitude: float = 30.2839, longitude: float = 57.0834) -> int:
        """Share a location (the 'send location' button)."""
        return self._message(
            "location", location={"latitude": latitude, "longitude": longitude}
        )

    def send_contact(self, phone: str | None = None, *, own: bool = True) -> int:
        """Share a contact; by default one's own number through the contact button."""
        contact = {
            "phone_number": phone or self.phone, "first_name": self.first_name,
            "user_id": self.id if own else self.id + 1,
        }
        return self._message("contact", contact=contact)

    def send_photo(self, caption: str = "") -> int:
        """Send a photo (a file id on the server, as the real messenger would store it)."""
        small_id, small_unique = self.api.new_file_id("photo", b"small jpeg")
        big_id, big_unique = self.api.new_file_id("photo", b"large jpeg")
        photo = [
            {"file_id": small_id, "file_unique_id": small_unique, "width": 90, "height": 90,
             "file_size": 1200},
            {"file_id": big_id, "file_unique_id": big_unique, "width": 1280, "height": 960,
             "file_size": 180000},
        ]
        fields: dict[str, Any] = {"photo": photo}
        if caption:
            fields["caption"] = caption
        return self._message("photo", caption, **fields)

    def send_album(self, count: int = 3) -> list[int]:
        """Send several photos at once (an album: one media group, one update each)."""
        group = f"album-{self.id}-{self.api.next_message_id(self.id)}"
        ids = []
        for _ in range(count):
            small_id, small_unique = self.api.new_file_id("photo", b"small jpeg")
            big_id, big_unique = self.api.new_file_id("photo", b"large jpeg")
            photo = [
                {"file_id": small_id, "file_unique_id": small_unique, "width": 90,
                 "height": 90, "file_size": 1200},
                {"file_id": big_id, "file_unique_id": big_unique, "width": 1280,
                 "height": 960, "file_size": 180000},
            ]
            ids.append(self._message("photo", "", photo=photo, media_group_id=group))
        return ids

    def send_document(self, file_name: str = "report.pdf") -> int:
        """Send a document."""
        file_id, unique_id = self.api.new_file_id("document")
        return self._message("document", document={
            "file_id": file_id, "file_unique_id": unique_id, "file_name": file_name,
            "file_size": 5000,
        })

    def send_sticker(self) -> int:
        """Send a sticker."""
        file_id, unique_id = self.api.new_file_id("sticker")
        return self._message("sticker", sticker={
            "file_id": file_id, "file_unique_id": unique_id, "type": "regular", "width": 512,
            "height": 512, "is_animated": False, "is_video": False, "emoji": "👍",
        })

    def send_voice(self) -> int:
        """Send a voice note (a file on the server, so the bot can pass it on to staff)."""
        file_id, unique_id = self.api.new_file_id("voice", b"ogg opus voice")
        return self._message("voice", voice={
            "file_id": file_id, "file_unique_id": unique_id, "duration": 4,
        })

    def send_in_group(self, group: dict[str, Any], text: str) -> int:
        """Send a text in a group chat the bot is in."""
        fields: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            fields["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
            ]
        return self._message("text", text, chat=group, **fields)

    def edit_text(self, message_id: int, text: str) -> int:
        """Edit a message one sent earlier (an edited_message update)."""
        raw = {
            "message_id": message_id, "date": self.api.clock.timestamp(),
            "edit_date": self.api.clock.timestamp(),
            "chat": self.chat, "from": self.user, "text": text,
        }
        return self.api.push_update({"edited_message": raw})

    def tap(self, label: str) -> int:
        """Tap a button by its label, on the newest message that shows it: an inline button,
        or the reply keyboard on screen (whose contact or location buttons share the phone's
        number or place)."""
        keyboard = self.reply_keyboard()
        for message in reversed(self.api.chat(self.id)):
            if not message.from_bot:
                continue
            for row in message.inline_keyboard:
                for button in row:
                    if button["text"] == label and "callback_data" in button:
                        self._note_tap(label)
                        return self.tap_data(button["callback_data"], message.message_id)
            if message.reply_keyboard is not None and message.reply_keyboard is keyboard:
                pressed = self._press(keyboard, label)
                if pressed is not None:
                    return pressed
        raise ButtonNotFound(f"no button {label!r}; on screen: {self.visible_buttons()}")

    def _note_tap(self, label: str) -> None:
        """Remember the tap in the chat log for transcripts (the bot never sees this)."""
        with self.api._lock:
            log = self.api.messages.setdefault(self.id, [])
            note = ChatMessage(0, self.id, False, "tap", text=label)
            note.seq = self.api.next_seq()
            log.append(note)

    def _press(self, keyboard: list[list[Any]], label: str) -> int | None:
        for row in keyboard:
            for button in row:
                text = button if isinstance(button, str) else button.get("text")
                if text != label:
                    continue
                if isinstance(button, dict) and button.get("request_contact"):
                    return self.send_contact()
                if isinstance(button, dict) and button.get("request_location"):
                    return self.send_location()
                return self.send_text(label)
        return None

    def tap_data(self, data: str, message_id: int | None = None) -> int:
        """Send a callback query with any data (forged, if it was never on a button)."""
        if message_id is None:
            mine = [m for m in self.api.chat(self.id) if m.from_bot]
            message_id = mine[-1].message_id if mine else 1
        target = next(
            (m for m in self.api.chat(self.id) if m.message_id == message_id), None
        )
        message = target.raw if target else {
            "message_id": message_id, "date": self.api.clock.timestamp(), "chat": self.chat,
        }
        query_id = self.api.new_callback_id()
        with self.api._lock:
            self.api.open_callbacks.add(query_id)
        return self.api.push_update({"callback_query": {
            "id": query_id, "from": self.user, "chat_instance": f"ci-{self.id}",
            "message": message, "data": data,
        }})

    # ----- reading --------------------------------------------------------------------------

    def messages(self, after_seq: int = 0) -> list[ChatMessage]:
        """What the bot sent (or edited) in this chat after `after_seq`."""
        return self.api.bot_messages(self.id, after_seq)

    @property
    def last(self) -> ChatMessage:
        """The bot's newest message here."""
        mine = self.messages()
        if not mine:
            raise AssertionError(f"the bot has sent {self.first_name} nothing")
        return mine[-1]

    def reply_keyboard(self) -> list[list[Any]] | None:
        """The reply keyboard on screen: the newest one the bot sent, unless removed since."""
        for message in reversed(self.api.chat(self.id)):
            if not message.from_bot:
                continue
            if message.remove_keyboard:
                return None
            if message.reply_keyboard is not None:
                return message.reply_keyboard
        return None

    def menu_labels(self) -> list[str]:
        """The labels on the reply keyboard."""
        return [
            b if isinstance(b, str) else b["text"]
            for row in self.reply_keyboard() or []
            for b in row
        ]

    def visible_buttons(self) -> list[str]:
        """Inline labels of the newest message with buttons, then reply-keyboard labels."""
        inline: list[str] = []
        for message in reversed(self.api.chat(self.id)):
            if message.from_bot and message.inline_keyboard:
                inline = message.buttons()
                break
        return inline + self.menu_labels()

    def transcript(self) -> str:
        """The chat as the person sees it, both sides, for closing notes and the console."""
        return format_transcript(self.api.chat(self.id), self.first_name)


def format_transcript(messages: list[ChatMessage], person: str) -> str:
    """Render a chat: '👤' for the person, '🤖' for the bot, buttons in brackets. A message
    the bot edited in place (a question turned into the next one) stands where its last
    edit was made, after the taps that led to it, as it last looked."""
    lines = []
    for message in sorted(messages, key=lambda m: m.seq or m.message_id):
        who = "🤖 ربات" if message.from_bot else f"👤 {person}"
        body = message.text or f"[{message.kind}]"
        if message.kind == "document" and message.from_bot:
            body = f"[فایل: {message.file_name}] {message.text}".strip()
        if message.kind == "photo" and message.from_bot:
            body = f"[تصویر] {message.text}".strip()
        if message.kind == "location" and message.from_bot:
            body = "[موقعیت مکانی]"
        if not message.from_bot and message.kind == "location":
            body = "[موقعیت مکانی]"
        if not message.from_bot and message.kind == "contact":
            body = "[شماره تماس]"
        if message.kind == "tap":
            body = f"[دکمهٔ «{message.text}»]"
        lines.append(f"{who}: {body}")
        for row in message.inline_keyboard:
            lines.append("      " + "  ".join(f"[{b['text']}]" for b in row))
        if message.reply_keyboard:
            labels = [b if isinstance(b, str) else b["text"] for r in message.reply_keyboard
                      for b in r]
            lines.append("      منو: " + " | ".join(labels))
    return "\n".join(lines)
