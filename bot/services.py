"""The long-lived objects the bot runs on: settings, clock, database, organisation, forms.

Built once at start (`bot.app.open_services`) and kept in the application's `bot_data`,
which is not persisted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.clock import SYSTEM_CLOCK, Clock
from bot.config import Settings
from bot.forms.model import FormDefinition
from bot.org import Organisation
from storage.db import Database


@dataclass
class Services:
    """Settings, database, organisation and form definitions; `clock` is the one clock
    everything reads the time from (the database stamps with it too)."""

    settings: Settings
    db: Database
    org: Organisation
    forms: dict[str, FormDefinition]
    clock: Clock = field(default=SYSTEM_CLOCK)
