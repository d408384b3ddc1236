"""The condition language of policy files, and its plain-Python reference evaluator.

A condition is a small boolean expression over facts, e.g.
``trip.departure < "07:00" and vehicle.class == "van"`` or ``trip.priority >= 4 or vehicle.id in ["V-01", "V-02"]``.
Grammar (a safe subset of Python expressions, parsed with :mod:`ast`, never evaluated by Python):

    expr    := expr "and" expr | expr "or" expr | "not" expr | "(" expr ")" | compare
    compare := operand OP operand          OP in == != < <= > >= in "not in"
    operand := fact | string | number | true | false | "[" literal, ... "]"
    fact    := ENTITY "." FIELD            ENTITY in vehicle, trip, charger, depot, tariff, event

Times of day are compared as "HH:MM" strings in the depot's local time (facts supply them that way).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any

ENTITIES: dict[str, set[str]] = {
    "vehicle": {"id", "class", "depot", "battery_kwh", "soc", "max_dc_kw", "soc_age_min", "soc_confidence"},
    "trip": {"id", "departure", "priority", "energy_kwh_p50", "energy_kwh_p90", "distance_km", "depot"},
    "charger": {"id", "kind", "max_kw", "depot", "status", "reliability"},
    "depot": {"id", "grid_limit_kw"},
    "tariff": {"price_usd_per_kwh", "window"},
    "event": {"kind"},
}
OPERATORS = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.In: "in",
    ast.NotIn: "not in",
}


class ConditionError(ValueError):
    """A condition that does not parse; ``offset`` is the 0-based column inside the condition text."""

    def __init__(self, message: str, offset: int = 0) -> None:
        super().__init__(message)
        self.offset = offset


@dataclass(frozen=True)
class Fact:
    """A reference to a fact field, e.g. ``trip.departure``."""

    entity: str
    field: str


@dataclass(frozen=True)
class Compare:
    """``left OP right``."""

    left: Fact | Any
    op: str
    right: Fact | Any


@dataclass(frozen=True)
class BoolOp:
    """``and`` / ``or`` over items, or ``not`` over one item."""

    op: str
    items: tuple


Condition = Compare | BoolOp


def parse_condition(text: str) -> Condition:
    """Parse ``text``; raise ConditionError naming what is wrong and where."""
    # 'class' is a Python keyword: swap it for a same-length name so columns stay exact
    src = re.sub(r"\.class\b", ".klass", text)
    try:
        tree = ast.parse(src, mode="eval").body
    except SyntaxError as exc:
        raise ConditionError(f"condition does not parse: {exc.msg}", max(0, (exc.offset or 1) - 1)) from None
    return _convert(tree)


def _convert(node: ast.AST) -> Condition:
    truth = _truth(node)
    if truth is not None:  # a bare true / false: "and" of nothing is true, "or" of nothing is false
        return BoolOp("and" if truth else "or", ())
    if isinstance(node, ast.BoolOp):
        return BoolOp("and" if isinstance(node.op, ast.And) else "or", tuple(_convert(v) for v in node.values))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return BoolOp("not", (_convert(node.operand),))
    if isinstance(node, ast.Compare):
        if len(node.ops) != 1:
            raise ConditionError("chained comparisons are not allowed: write 'a < b and b < c'", node.col_offset)
        op = OPERATORS.get(type(node.ops[0]))
        if op is None:
            raise ConditionError("unsupported comparison", node.col_offset)
        return Compare(_operand(node.left), op, _operand(node.comparators[0]))
    raise ConditionError("expected a comparison such as trip.priority >= 4", getattr(node, "col_offset", 0))


def _truth(node: ast.AST) -> bool | None:
    if isinstance(node, ast.Name) and node.id in ("true", "True", "false", "False"):
        return node.id in ("true", "True")
    if isinstance(node, ast.Constant) and isinstance(node.value, bool):
        return node.value
    return None


def _operand(node: ast.AST) -> Fact | Any:
    truth = _truth(node)
    if truth is not None:
        return truth
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        entity, field = node.value.id, ("class" if node.attr == "klass" else node.attr)
        if entity not in ENTITIES:
            raise ConditionError(f"unknown fact {entity!r}; known: {', '.join(sorted(ENTITIES))}", node.col_offset)
        if field not in ENTITIES[entity]:
            import difflib

            near = difflib.get_close_matches(field, ENTITIES[entity], n=1)
            hint = f"; did you mean '{entity}.{near[0]}'?" if near else ""
            raise ConditionError(f"unknown field '{entity}.{field}'{hint}", node.col_offset)
        return Fact(entity, field)
    if isinstance(node, ast.Constant) and isinstance(node.value, str | int | float | bool):
        return node.value
    if isinstance(node, ast.List) and all(isinstance(e, ast.Constant) for e in node.elts):
        return tuple(e.value for e in node.elts)
    raise ConditionError("expected a fact (like vehicle.class), a string, a number or a list", node.col_offset)


def facts_used(cond: Condition) -> set[Fact]:
    """Every fact a condition reads."""
    if isinstance(cond, BoolOp):
        return set().union(*(facts_used(c) for c in cond.items))
    return {x for x in (cond.left, cond.right) if isinstance(x, Fact)}


def evaluate(cond: Condition, facts: dict[str, dict[str, Any]]) -> bool:
    """Reference evaluator: ``facts`` maps entity -> field -> value. A missing fact makes its comparison false."""
    if isinstance(cond, BoolOp):
        if cond.op == "and":
            return all(evaluate(c, facts) for c in cond.items)
        if cond.op == "or":
            return any(evaluate(c, facts) for c in cond.items)
        return not evaluate(cond.items[0], facts)
    missing = object()

    def value(x):
        return facts.get(x.entity, {}).get(x.field, missing) if isinstance(x, Fact) else x

    left, right = value(cond.left), value(cond.right)
    if left is missing or right is missing:
        return False
    try:
        match cond.op:
            case "==":
                return left == right
            case "!=":
                return left != right
            case "<":
                return left < right
            case "<=":
                return left <= right
            case ">":
                return left > right
            case ">=":
                return left >= right
            case "in":
                return left in right
            case "not in":
                return left not in right
    except TypeError:
        return False
    return False


def describe(cond: Condition) -> str:
    """The condition in plain words."""
    if isinstance(cond, BoolOp):
        if not cond.items:
            return "always" if cond.op == "and" else "never"
        if cond.op == "not":
            return f"not ({describe(cond.items[0])})"
        return f" {cond.op} ".join(f"({describe(c)})" if isinstance(c, BoolOp) else describe(c) for c in cond.items)
    words = {
        "==": "is",
        "!=": "is not",
        "<": "is before/below",
        "<=": "is at most",
        ">": "is after/above",
        ">=": "is at least",
        "in": "is one of",
        "not in": "is none of",
    }

    def show(x) -> str:
        return f"{x.entity} {x.field.replace('_', ' ')}" if isinstance(x, Fact) else repr(x)

    return f"{show(cond.left)} {words[cond.op]} {show(cond.right)}"
