"""What python-telegram-bot's persistence keeps (`bot/persistence.py` is its PTB side):
conversation states by handler name and key, and user or chat data by messenger id.

Keys are the messenger's ids as they are: the conversation key is stored as a JSON array
of integers (Python's JSON keeps every digit of a 64-bit id, a `-100…` group included),
and user and chat ids go to INTEGER columns (SQLite's integers are 64-bit).
"""

from __future__ import annotations

import json
from typing import Any, Literal

from storage.db import Database

Kind = Literal["user", "chat"]
_TABLES: dict[str, tuple[str, str]] = {"user": ("ptb_user_data", "user_id"),
                                       "chat": ("ptb_chat_data", "chat_id")}


def key_text(key: tuple[Any, ...]) -> str:
    """A conversation key as stored."""
    return json.dumps(list(key))


async def conversations(db: Database, name: str) -> dict[tuple[Any, ...], object]:
    """All stored states of one named conversation handler, by key."""
    rows = await db.fetchall("SELECT key, state FROM ptb_conversations WHERE name = ?", (name,))
    return {tuple(json.loads(r["key"])): json.loads(r["state"]) for r in rows}


async def save_conversation(db: Database, name: str, key: tuple[Any, ...],
                            state: object | None) -> None:
    """Store (or, for None, forget) one conversation's state."""
    if state is None:
        await db.execute("DELETE FROM ptb_conversations WHERE name = ? AND key = ?",
                         (name, key_text(key)))
        return
    await db.execute(
        "INSERT INTO ptb_conversations (name, key, state) VALUES (?, ?, ?) "
        "ON CONFLICT (name, key) DO UPDATE SET state = excluded.state",
        (name, key_text(key), json.dumps(state)))


async def load_data(db: Database, kind: Kind) -> dict[int, dict[Any, Any]]:
    """Every user's (or chat's) stored data, by messenger id."""
    table, column = _TABLES[kind]
    rows = await db.fetchall(f"SELECT {column}, data FROM {table}")
    return {r[column]: json.loads(r["data"]) for r in rows}


async def store_data(db: Database, kind: Kind, key: int, data: dict[Any, Any]) -> None:
    """Save one user's (or chat's) data."""
    table, column = _TABLES[kind]
    await db.execute(
        f"INSERT INTO {table} ({column}, data) VALUES (?, ?) "
        "ON CONFLICT DO UPDATE SET data = excluded.data",
        (key, json.dumps(data, ensure_ascii=False, default=str)))


async def drop_data(db: Database, kind: Kind, key: int) -> None:
    """Forget one user's (or chat's) data."""
    table, column = _TABLES[kind]
    await db.execute(f"DELETE FROM {table} WHERE {column} = ?", (key,))
