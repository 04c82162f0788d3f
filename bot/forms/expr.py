"""Tiny, safe expressions for form definitions, in the spirit of XLSForm's `relevant` and
`constraint` columns: `activity == 'referral'`, `follow_up`, `'migrants' in groups`,
`children + adolescents <= participants`.

Only names of earlier answers, numbers, strings, booleans, lists of those, arithmetic
(+ - *), comparisons, `in`, `and`, `or`, `not` are allowed; anything else is refused when
the form is loaded. An answer that is missing (skipped or never asked) makes the
expression *unknown*: a condition that is unknown is false, a check that is unknown passes.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class ExpressionError(ValueError):
    """The expression uses something outside the small language."""


class Unknown(Exception):
    """A name the expression needs has no answer."""


_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul}
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
        if not isinstance(node.value, int | str | bool):
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
        left = _evaluate(node.left, values)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = _evaluate(comparator, values)
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True
    raise ExpressionError(ast.unparse(node))  # unreachable after _check


@dataclass(frozen=True)
class Expression:
    """A checked expression and the answer names it reads."""

    source: str
    tree: ast.Expression = field(repr=False, compare=False)
    names: frozenset[str]

    def evaluate(self, values: Mapping[str, Any]) -> Any:
        """The value; raises Unknown when a needed answer is missing."""
        try:
            return _evaluate(self.tree, values)
        except TypeError as error:
            raise Unknown(str(error)) from None

    def holds(self, values: Mapping[str, Any], *, if_unknown: bool) -> bool:
        """True or False; `if_unknown` when an answer it needs is missing."""
        try:
            return bool(self.evaluate(values))
        except Unknown:
            return if_unknown


def compile_expression(source: str) -> Expression:
    """Parse and check an expression; raises ExpressionError with the reason."""
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as error:
        raise ExpressionError(f"cannot parse {source!r}: {error.msg}") from None
    names: set[str] = set()
    _check(tree, names)
    return Expression(source, tree, frozenset(names))
