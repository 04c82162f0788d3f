"""`tashilyar console --as ROLE`: chat with the real bot in the terminal, with no token.

The application runs in process against the fake messenger and a local database of its
own. Type as you would in the messenger; `#2` taps the second button of the newest message
with buttons; lines starting with ':' do what a phone's buttons would (see `:help`).
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
import zlib
from dataclasses import replace
from pathlib import Path

from bot.config import Settings
from bot.sandbox.fake_api import ChatMessage
from bot.sandbox.harness import SandboxBot
from bot.sandbox.users import SimUser
from storage import offices
from storage.people import create_invite, get_person, redeem_invite

CONSOLE_USER_IDS = {"admin": 1001, "supervisor": 1002, "facilitator": 1003, "resident": 1004}
HELP = """\
  text            send a message (commands such as /start work as usual)
  #N              tap button N of the newest message that has buttons
  :loc            share a location       :contact   share your phone number
  :photo          send a photo           :sticker   send a sticker
  :voice          send a voice note
  :link           open the last invite link the bot showed (as the current person)
  :switch NAME    become another person (a new resident the first time)
  :who            who you are now        :quit      leave (or Ctrl-D)"""
_LINK = re.compile(r"/start ([0-9a-z]{16})")


def render(message: ChatMessage) -> str:
    """One bot message as the terminal shows it, buttons numbered."""
    if message.kind == "document":
        lines = [f"🤖 [فایل: {message.file_name}] {message.text}"]
    elif message.kind == "photo":
        lines = [f"🤖 [تصویر] {message.text}"]
    else:
        lines = [f"🤖 {message.text or '[' + message.kind + ']'}"]
    number = 0
    for row in message.inline_keyboard:
        cells = []
        for button in row:
            number += 1
            cells.append(f"#{number} [{button['text']}]")
        lines.append("   " + "  ".join(cells))
    if message.reply_keyboard:
        labels = [b if isinstance(b, str) else b["text"] for r in message.reply_keyboard
                  for b in r]
        lines.append("   منو: " + " | ".join(labels))
    return "\n".join(lines)


async def seat_role(bot: SandboxBot, user: SimUser, role: str) -> None:
    """Make the console's person hold `role` through the real invite path."""
    if role in ("admin", "resident"):
        return
    assert bot.db is not None
    person = await get_person(bot.db, user.id)
    if person is not None and person.role == role and person.active:
        return
    office = (await offices.list_offices(bot.db))[0]
    code = await create_invite(bot.db, role=role, office_id=office.id, created_by=None, days=1)
    await redeem_invite(bot.db, code, user_id=user.id, display_name=user.first_name)


class Console:
    """The terminal session: one current person, any number of simulated people."""

    def __init__(self, bot: SandboxBot, first: SimUser) -> None:
        self.bot = bot
        self.people = {first.first_name: first}
        self.current = first
        self.seen: dict[int, int] = {}  # person → last message printed

    def print_new(self, user: SimUser) -> None:
        """Print what the bot sent this person since last shown, and any pop-up answers."""
        for message in user.messages(self.seen.get(user.id, 0)):
            print(render(message))
        self.seen[user.id] = self.bot.api.last_seq

    def newest_buttons(self) -> list[str]:
        for message in reversed(self.bot.api.chat(self.current.id)):
            if message.from_bot and message.inline_keyboard:
                return message.buttons()
        return []

    def last_invite_code(self) -> str | None:
        for person in self.people.values():
            for message in reversed(person.messages()):
                found = _LINK.search(message.text)
                if found:
                    return found.group(1)
        return None

    async def handle(self, line: str) -> bool:
        """Act on one typed line; False to quit."""
        user = self.current
        mark = self.bot.api.last_seq
        if line in (":quit", ":q"):
            return False
        if line == ":help":
            print(HELP)
            return True
        if line == ":who":
            print(f"  you are {user.first_name} (id {user.id})")
            return True
        if line.startswith(":switch"):
            name = line.removeprefix(":switch").strip() or "ساکن"
            if name not in self.people:
                # The same name is the same person in every run on this database.
                user_id = 2000 + zlib.crc32(name.encode()) % 1_000_000
                self.people[name] = self.bot.user(user_id, name)
            self.current = self.people[name]
            print(f"  — now chatting as {name} —")
            self.print_new(self.current)
            return True
        actions = {":loc": "send_location", ":contact": "send_contact", ":photo": "send_photo",
                   ":sticker": "send_sticker", ":voice": "send_voice"}
        if line in actions:
            if line == ":loc":
                user.send_location(30.2839, 57.0834)
            else:
                getattr(user, actions[line])()
        elif line == ":link":
            code = self.last_invite_code()
            if code is None:
                print("  (no invite link shown yet)")
                return True
            print(f"  {user.first_name} opens the link → /start {code}")
            user.send_text(f"/start {code}")
        elif re.fullmatch(r"#\d+", line):
            buttons = self.newest_buttons()
            index = int(line[1:]) - 1
            if not 0 <= index < len(buttons):
                print(f"  (no button {line}; there are {len(buttons)})")
                return True
            user.tap(buttons[index])
        else:
            user.send_text(line)
        answered = set(self.bot.api.callback_answers)
        await self.bot.deliver()
        self.seen.setdefault(user.id, mark)
        self.print_new(user)
        for query_id, params in self.bot.api.callback_answers.items():
            if query_id not in answered and params.get("text"):
                print(f"  (پیام کوتاه: {params['text']})")
        return True


async def run_console(settings: Settings, role: str, database: Path) -> int:
    """Run the console until :quit or end of input."""
    user_id = CONSOLE_USER_IDS[role]
    admin_ids = settings.admin_ids | {user_id} if role == "admin" else settings.admin_ids
    local = replace(settings, database_path=database, admin_ids=admin_ids)
    logging.getLogger().setLevel(logging.WARNING)  # the chat, not the library's log lines
    async with SandboxBot(local) as bot:
        names = {"admin": "مدیر", "supervisor": "ناظر", "facilitator": "تسهیل‌گر",
                 "resident": "ساکن"}
        me = bot.user(user_id, names[role])
        await seat_role(bot, me, role)
        console = Console(bot, me)
        print(f"Tashilyar console — you are {names[role]} ({role}); database {database}.")
        print("Type /start to begin, :help for the phone's buttons, :quit to leave.")
        interactive = sys.stdin.isatty()
        while True:
            try:
                line = await asyncio.to_thread(input, "> " if interactive else "")
            except EOFError:
                break
            line = line.strip()
            if not line:
                continue
            if not interactive:
                print(f"👤 {console.current.first_name}: {line}")
            if not await console.handle(line):
                break
    return 0
