"""python-telegram-bot persistence on the project's SQLite database (its SQL is
`storage/conversations.py`; this is the PTB side, kept out of storage).

Conversation states are written through at once (each call here is one small transaction),
so `flush` has nothing left to do. User, chat and bot data are not persisted: the handlers
keep nothing there (live objects such as the database handle live in bot data), and PTB
would otherwise rewrite an empty record for every recent person on each of its timer ticks.
Anything that must survive a kill -9 is written by the handlers themselves before they
answer; this persistence only saves PTB's own bookkeeping.
"""

from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import CDCData, ConversationDict, ConversationKey

from storage import conversations
from storage.db import Database

UserData = dict[Any, Any]
ChatData = dict[Any, Any]
BotData = dict[Any, Any]


class SqlitePersistence(BasePersistence[UserData, ChatData, BotData]):
    """PTB persistence backed by the `ptb_*` tables."""

    def __init__(self, database: Callable[[], Database], update_interval: float = 5) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False, chat_data=False, user_data=False, callback_data=False
            ),
            update_interval=update_interval,
        )
        self._database = database

    @property
    def db(self) -> Database:
        """The open database (resolved late, so the persistence can be built first)."""
        return self._database()

    async def get_conversations(self, name: str) -> ConversationDict:
        """All stored states of one named conversation handler."""
        return await conversations.conversations(self.db, name)

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        """Store (or, for None, forget) one conversation's state."""
        await conversations.save_conversation(self.db, name, key, new_state)

    async def get_user_data(self) -> dict[int, UserData]:
        """Every user's stored data."""
        return await conversations.load_data(self.db, "user")

    async def get_chat_data(self) -> dict[int, ChatData]:
        """Every chat's stored data."""
        return await conversations.load_data(self.db, "chat")

    async def get_bot_data(self) -> BotData:
        """Bot data is not persisted."""
        return {}

    async def get_callback_data(self) -> CDCData | None:
        """Arbitrary callback data is not used."""
        return None

    async def update_user_data(self, user_id: int, data: UserData) -> None:
        """Save one user's data."""
        await conversations.store_data(self.db, "user", user_id, deepcopy(data))

    async def update_chat_data(self, chat_id: int, data: ChatData) -> None:
        """Save one chat's data."""
        await conversations.store_data(self.db, "chat", chat_id, deepcopy(data))

    async def update_bot_data(self, data: BotData) -> None:
        """Bot data is not persisted."""

    async def update_callback_data(self, data: CDCData) -> None:
        """Arbitrary callback data is not used."""

    async def drop_user_data(self, user_id: int) -> None:
        """Forget one user's data."""
        await conversations.drop_data(self.db, "user", user_id)

    async def drop_chat_data(self, chat_id: int) -> None:
        """Forget one chat's data."""
        await conversations.drop_data(self.db, "chat", chat_id)

    async def refresh_user_data(self, user_id: int, user_data: UserData) -> None:
        """Nothing to refresh: this process is the only writer."""

    async def refresh_chat_data(self, chat_id: int, chat_data: ChatData) -> None:
        """Nothing to refresh: this process is the only writer."""

    async def refresh_bot_data(self, bot_data: BotData) -> None:
        """Bot data is not persisted."""

    async def flush(self) -> None:
        """Every update was already written through."""
