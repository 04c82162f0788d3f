"""The long-lived objects the bot runs on: settings, database, organisation and forms.

Built once at start (`bot.app.open_services`) and kept in the application's `bot_data`,
which is not persisted.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Settings
from bot.forms.model import FormDefinition
from bot.org import Organisation
from storage.db import Database


@dataclass
class Services:
    """Settings, database, organisation and form definitions."""

    settings: Settings
    db: Database
    org: Organisation
    forms: dict[str, FormDefinition]
