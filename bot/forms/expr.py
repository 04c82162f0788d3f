"""Tiny, safe expressions for form definitions, in the spirit of XLSForm's `relevant` and
`constraint` columns: `activity == 'referral'`, `follow_up`, `'migrants' in groups`,
`children + adolescents <= participants`.

Only names of earlier answers, numbers, strings, booleans, lists of those, arithmetic
(+ - * / %), comparisons, `in`, `and`, `or`, `not` and the calls of `FUNCTIONS` (the
XLSForm functions `bot/forms/xlsform.py` translates to: `selected(x, 'a')`,
`count_selected(x)`, `if_(c, a, b)`, `coalesce(a, b)`, `string_length(x)`, `today()`,
`not_(x)`, `round(x, 1)`, ...) are allowed; anything else is refused when the form is
loaded. An answer that is missing (skipped or never asked) makes the expression *unknown*:
a condition that is unknown is false, a check that is unknown passes. The functions that
ask about emptiness (`coalesce`, `selected`, `count_selected`, `string_length`, the
condition of `if_`) and a comparison with `''` read a missing answer as empty, as XPath
does.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any


class ExpressionError(ValueError):
    """The expression uses something outside the small language."""


class Unknown(Exception):
    """A name the expression needs has no answer."""


_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.Mod: operator.mod,
}
_COMPARE = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
}


def _check(node: ast.AST, names: set[str]) -> None:
    """Refuse any construct outside the language; collect the names used."""
    if isinstance(node, ast.Expression):
        _check(node.body, names)
    elif isinstance(node, ast.Name):
        names.add(node.id)
    elif isinstance(node, ast.Constant):
        if not isinstance(node.value, int | float | str | bool):
            raise ExpressionError(f"constant {node.value!r} is not a number, text or boolean")
    elif isinstance(node, ast.List | ast.Tuple):
        for item in node.elts:
            _check(item, names)
    elif isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        _check(node.left, names)
        _check(node.right, names)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not | ast.USub):
        _check(node.operand, names)
    elif isinstance(node, ast.BoolOp):
        for value in node.values:
            _check(value, names)
    elif isinstance(node, ast.Compare) and all(type(op) in _COMPARE for op in node.ops):
        _check(node.left, names)
        for comparator in node.comparators:
            _check(comparator, names)
    elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
          and node.func.id in FUNCTIONS and not node.keywords):
        low, high = FUNCTIONS[node.func.id][0]
        if not low <= len(node.args) <= high:
            raise ExpressionError(f"{node.func.id}() takes {low} to {high} arguments")
        for argument in node.args:
            _check(argument, names)
    else:
        raise ExpressionError(f"'{ast.unparse(node)}' is not allowed in a form expression")


def _evaluate(node: ast.AST, values: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Expression):
        return _evaluate(node.body, values)
    if isinstance(node, ast.Name):
        value = values.get(node.id)
        if value is None:
            raise Unknown(node.id)
        return value
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.List | ast.Tuple):
        return [_evaluate(item, values) for item in node.elts]
    if isinstance(node, ast.BinOp):
        return _BINARY[type(node.op)](_evaluate(node.left, values), _evaluate(node.right, values))
    if isinstance(node, ast.UnaryOp):
        operand = _evaluate(node.operand, values)
        return (not operand) if isinstance(node.op, ast.Not) else -operand
    if isinstance(node, ast.BoolOp):
        results = (_evaluate(v, values) for v in node.values)
        return all(results) if isinstance(node.op, ast.And) else any(results)
    if isinstance(node, ast.Compare):
        left = _operand(node.left, node.comparators[0], values)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = _operand(comparator, node.left, values)
            left, right = _comparable(left, right)
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True
    if isinstance(node, ast.Call):
        assert isinstance(node.func, ast.Name)
        return FUNCTIONS[node.func.id][1](node.args, values)
    raise ExpressionError(ast.unparse(node))  # unreachable after _check


def _operand(node: ast.AST, other: ast.AST, values: Mapping[str, Any]) -> Any:
    """A comparison's operand; a missing answer compared with '' is ''."""
    try:
        return _evaluate(node, values)
    except Unknown:
        if isinstance(other, ast.Constant) and other.value == "":
            return ""
        raise


def _comparable(left: Any, right: Any) -> tuple[Any, Any]:
    """A number and a text that reads as a number compare as numbers (as in XPath)."""
    numbers = (int, float)
    if isinstance(left, str) and isinstance(right, numbers) and not isinstance(right, bool):
        try:
            return float(left), right
        except ValueError:
            return left, right
    if isinstance(right, str) and isinstance(left, numbers) and not isinstance(left, bool):
        try:
            return left, float(right)
        except ValueError:
            return left, right
    return left, right


def _or_empty(node: ast.AST, values: Mapping[str, Any]) -> Any:
    """The value, or '' where an answer is missing."""
    try:
        value = _evaluate(node, values)
    except Unknown:
        return ""
    return "" if value is None else value


def _selected(args: list[ast.expr], values: Mapping[str, Any]) -> bool:
    current, wanted = _or_empty(args[0], values), str(_evaluate(args[1], values))
    if isinstance(current, list | tuple):
        return wanted in [str(v) for v in current]
    return wanted in str(current).split()


def _count_selected(args: list[ast.expr], values: Mapping[str, Any]) -> int:
    current = _or_empty(args[0], values)
    return len(current) if isinstance(current, list | tuple) else len(str(current).split())


def _if(args: list[ast.expr], values: Mapping[str, Any]) -> Any:
    chosen = args[1] if _truth(_or_empty(args[0], values)) else args[2]
    return _evaluate(chosen, values)


def _coalesce(args: list[ast.expr], values: Mapping[str, Any]) -> Any:
    for argument in args:
        value = _or_empty(argument, values)
        if value != "":
            return value
    return ""


def _truth(value: Any) -> bool:
    return bool(value) and value != "false"


def _number(value: Any) -> float:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    try:
        return float(value)
    except (TypeError, ValueError):
        raise Unknown(f"{value!r} is not a number") from None


def _round(args: list[ast.expr], values: Mapping[str, Any]) -> float | int:
    places = int(_number(_evaluate(args[1], values))) if len(args) > 1 else 0
    result = round(_number(_evaluate(args[0], values)) + 0.0, places)
    return int(result) if places == 0 else result


class _Values(dict[str, Any]):
    """The answers an expression reads, with the date its `today()` reads (None: unknown)."""

    today: Callable[[], date] | None = None


def _today(args: list[ast.expr], values: Mapping[str, Any]) -> str:
    today = getattr(values, "today", None)
    if today is None:
        raise Unknown("today")
    return str(today().isoformat())


def _regex(args: list[ast.expr], values: Mapping[str, Any]) -> bool:
    return re.search(str(_evaluate(args[1], values)), str(_or_empty(args[0], values))) is not None


def _simple(function: Callable[..., Any]) -> Callable[[list[ast.expr], Mapping[str, Any]], Any]:
    def call(args: list[ast.expr], values: Mapping[str, Any]) -> Any:
        return function(*(_evaluate(a, values) for a in args))
    return call


# name: ((fewest, most arguments), implementation over the unevaluated arguments)
FUNCTIONS: dict[str, tuple[tuple[int, int], Callable[[list[ast.expr], Mapping[str, Any]], Any]]] = {
    "selected": ((2, 2), _selected),
    "count_selected": ((1, 1), _count_selected),
    "if_": ((3, 3), _if),
    "coalesce": ((2, 2), _coalesce),
    "string_length": ((1, 1), lambda a, v: len(str(_or_empty(a[0], v)))),
    "not_": ((1, 1), lambda a, v: not _truth(_or_empty(a[0], v))),
    "today": ((0, 0), _today),
    "round": ((1, 2), _round),
    "int": ((1, 1), _simple(lambda x: int(_number(x)))),
    "number": ((1, 1), _simple(_number)),
    "string": ((1, 1), _simple(str)),
    "concat": ((1, 20), lambda a, v: "".join(str(_or_empty(x, v)) for x in a)),
    "boolean": ((1, 1), lambda a, v: _truth(_or_empty(a[0], v))),
    "regex": ((2, 2), _regex),
    "sqrt": ((1, 1), _simple(lambda x: math.sqrt(_number(x)))),
    "abs": ((1, 1), _simple(lambda x: abs(_number(x)))),
    "floor": ((1, 1), _simple(lambda x: math.floor(_number(x)))),
    "ceiling": ((1, 1), _simple(lambda x: math.ceil(_number(x)))),
}

@dataclass(frozen=True)
class Expression:
    """A checked expression and the answer names it reads."""

    source: str
    tree: ast.Expression = field(repr=False, compare=False)
    names: frozenset[str]
    # Where `today()` reads the date: the app's clock, given when the forms are loaded
    # (`bot.forms.loader.load_forms`); None (a form read on its own): today() is unknown.
    today: Callable[[], date] | None = field(default=None, repr=False, compare=False)

    def evaluate(self, values: Mapping[str, Any]) -> Any:
        """The value; raises Unknown when a needed answer is missing."""
        scope = _Values(values)
        scope.today = self.today
        try:
            return _evaluate(self.tree, scope)
        except (TypeError, ValueError, ZeroDivisionError, re.error) as error:
            raise Unknown(str(error)) from None

    def holds(self, values: Mapping[str, Any], *, if_unknown: bool) -> bool:
        """True or False; `if_unknown` when an answer it needs is missing."""
        try:
            return bool(self.evaluate(values))
        except Unknown:
            return if_unknown


def compile_expression(source: str, today: Callable[[], date] | None = None) -> Expression:
    """Parse and check an expression; raises ExpressionError with the reason. `today`:
    the date its `today()` reads."""
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as error:
        raise ExpressionError(f"cannot parse {source!r}: {error.msg}") from None
    names: set[str] = set()
    _check(tree, names)
    return Expression(source, tree, frozenset(names), today)
