"""The forms the bot runs: the shipped TOML definitions, each replaced by a TOML file or an
XLSForm workbook of the same name in the settings' forms folder; the date their
expressions' `today()` reads bound in (the app's clock, no module-level hook).

It sits above `bot.forms.model` (TOML) and `bot.forms.xlsform` (workbooks), which do not
import each other's way back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path

from bot.forms.expr import Expression
from bot.forms.model import SHIPPED_FORMS_DIR, FormDefinition, FormDefinitionError, load_form
from bot.forms.xlsform import load_xlsform
from bot.locale.normalize import match_key

Today = Callable[[], date]


def load_forms(override_dir: Path | None = None,
               today: Today | None = None) -> dict[str, FormDefinition]:
    """The shipped forms, each replaced by a file of the same name in `override_dir`;
    `today`: the date `today()` reads in their expressions (None: unknown)."""
    files = {p.name: p for p in sorted(SHIPPED_FORMS_DIR.glob("*.toml"))}
    if override_dir is not None:
        files.update({p.name: p for p in sorted(override_dir.glob("*.toml"))})
        # a workbook replaces the TOML of the same name (field_report.xlsx: field_report.toml)
        files.update({f"{p.stem}.toml": p for p in sorted(override_dir.glob("*.xlsx"))
                      if not p.name.startswith("~$")})
    forms: dict[str, FormDefinition] = {}
    for path in files.values():
        form = load_form(path) if path.suffix == ".toml" else load_xlsform(path)
        if form.name in forms:
            raise FormDefinitionError(f"{path}: a second form named '{form.name}'")
        forms[form.name] = with_today(form, today) if today is not None else form
    commands = [f.command for f in forms.values() if f.command]
    labels = [match_key(f.menu_label) for f in forms.values() if f.menu_label]
    for form in forms.values():
        if form.command and commands.count(form.command) > 1:
            raise FormDefinitionError(f"{form.source}: a second form started by "
                                      f"/{form.command}")
        if form.menu_label and labels.count(match_key(form.menu_label)) > 1:
            raise FormDefinitionError(f"{form.source}: a second form titled "
                                      f"'{form.menu_label}'")
    return forms


def with_today(form: FormDefinition, today: Today) -> FormDefinition:
    """The form with every expression's `today()` reading `today`."""

    def bind(expression: Expression) -> Expression:
        return replace(expression, today=today)

    def maybe(expression: Expression | None) -> Expression | None:
        return None if expression is None else bind(expression)

    questions = tuple(replace(q, when=maybe(q.when), choice_filter=maybe(q.choice_filter))
                      for q in form.questions)
    checks = tuple(replace(c, rule=bind(c.rule)) for c in form.checks)
    calculations = tuple(replace(c, expression=bind(c.expression)) for c in form.calculations)
    return replace(form, questions=questions, checks=checks, calculations=calculations,
                   _index={})
