"""Explicit wiring: two applications built in one process share no mutable state. Each has
its own form hooks (sinks, guards, notes, fallbacks), its own menu of forms and its own
`today()` (its clock); nothing a module import fills decides what either does."""

from __future__ import annotations

import ast
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl

from bot.app import build_application, open_services
from bot.clock import ManualClock
from bot.config import Settings
from bot.forms import model
from bot.sandbox import FakeBotAPI
from bot.sandbox.harness import SANDBOX_TOKEN, FakeRequest
from bot.services import Services
from handlers.form_hooks import HOOKS_KEY, FormHooks
from handlers.menu import main_menu


def visits_form(folder: Path) -> Path:
    """An XLSForm for facilitators whose one calculation is `today()`."""
    folder.mkdir(parents=True, exist_ok=True)
    book = openpyxl.Workbook()
    survey = book.active
    assert survey is not None
    survey.title = "survey"
    for row in (("type", "name", "label", "calculation"),
                ("text", "note", "یادداشت بازدید", None),
                ("calculate", "asof", None, "today()")):
        survey.append(row)
    book.create_sheet("choices").append(("list_name", "name", "label"))
    settings = book.create_sheet("settings")
    settings.append(("form_id", "form_title", "roles"))
    settings.append(("visits", "بازدید میدانی", "facilitator"))
    book.save(folder / "visits.xlsx")
    return folder


async def two_services(settings: Settings, tmp_path: Path) -> tuple[Services, Services]:
    """One bot with the XLSForm on its own database and clock, one without it on another."""
    with_form = replace(settings, bot_token=SANDBOX_TOKEN,
                        database_path=tmp_path / "a" / "bot.db",
                        forms_dir=visits_form(tmp_path / "forms"))
    plain = replace(settings, bot_token=SANDBOX_TOKEN, database_path=tmp_path / "b" / "bot.db")
    first = await open_services(with_form, ManualClock(datetime(2026, 3, 10, 9, tzinfo=UTC)))
    second = await open_services(plain, ManualClock(datetime(2020, 1, 1, 9, tzinfo=UTC)))
    return first, second


def labels(markup: Any) -> list[str]:
    return [button.text for row in markup.keyboard for button in row]


async def test_two_applications_share_no_hooks_menus_or_clock(
        settings: Settings, tmp_path: Path) -> None:
    first, second = await two_services(settings, tmp_path)
    try:
        api = FakeBotAPI()
        apps = [build_application(s, request=FakeRequest(api)) for s in (first, second)]
        hooks: list[FormHooks] = [app.bot_data[HOOKS_KEY] for app in apps]
        assert hooks[0] is not hooks[1]
        # the XLSForm's guard and menu button belong to the bot that loaded it
        assert "visits" in hooks[0].guards and "visits" not in hooks[1].guards
        assert "بازدید میدانی" in labels(main_menu("facilitator", first.forms))
        assert "بازدید میدانی" not in labels(main_menu("facilitator", second.forms))
        # something set on one application's hooks does not appear on the other's

        async def extra(*args: Any) -> str:
            return "extra"
        hooks[0].sinks["extra"] = extra
        hooks[0].guards["resident_request"] = extra  # type: ignore[assignment]
        assert "extra" not in hooks[1].sinks
        assert hooks[1].guards["resident_request"] is not extra
        # each bot's forms read its own clock in today()
        visits, first_clock = first.forms["visits"], first.clock
        assert isinstance(first_clock, ManualClock)
        assert model.computed(visits, {}) == {visits.calculations[0].id: "2026-03-10"}
        first_clock.advance(timedelta(days=1))
        assert model.computed(visits, {}) == {visits.calculations[0].id: "2026-03-11"}
        # and a third application of the same services gets hooks of its own
        third = build_application(first, request=FakeRequest(api))
        assert "extra" not in third.bot_data[HOOKS_KEY].sinks
    finally:
        await first.db.close()
        await second.db.close()


def test_the_hooks_refuse_a_sink_wired_twice() -> None:
    async def sink(*args: Any) -> str:
        return ""

    try:
        FormHooks.join([FormHooks(sinks={"request": sink}), FormHooks(sinks={"request": sink})])
    except ValueError as error:
        assert "request" in str(error)
    else:
        raise AssertionError("a sink given twice was taken")


def imported_by(path: Path) -> set[str]:
    """Every module a file imports, at its top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return found


def test_the_form_modules_import_no_messenger_and_no_way_back() -> None:
    root = Path(__file__).parent.parent
    for path in (root / "bot" / "forms").glob("*.py"):
        assert not any(m == "telegram" or m.startswith("telegram.")
                       for m in imported_by(path)), path.name
    assert "bot.forms.xlsform" not in imported_by(root / "bot" / "forms" / "model.py")
    for name in ("forms", "form_steps", "form_views", "form_hooks"):
        assert not {"handlers.start", "handlers.start.plain_message"} & imported_by(
            root / "handlers" / f"{name}.py"), name
