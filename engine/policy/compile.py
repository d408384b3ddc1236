"""Compile policy conditions into durable-rules JSON rulesets (one ruleset per rule).

Facts are flat messages: ``{"id": ..., "subject": ..., "vehicle__class": "van", "trip__departure": "06:15", ...,
"always__": 1}``. Each comparison becomes a durable-rules expression on one field; ``not`` is pushed down to the
comparisons (De Morgan, inverted operators), ``in`` / ``not in`` become ``$or`` / ``$and`` of equalities, and
the constants true / false test the ``always__`` field every message carries.
"""

from __future__ import annotations

from typing import Any

from engine.policy.conditions import BoolOp, Condition, Fact

_DR = {"<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte", "!=": "$neq"}
_NEGATE = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<", "in": "not in", "not in": "in"}
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
ALWAYS = "always__"


def field_name(fact: Fact) -> str:
    """The message field of a fact, e.g. ``trip__departure``."""
    return f"{fact.entity}__{fact.field}"


def _compare(fact: Fact, op: str, value: Any) -> dict:
    name = field_name(fact)
    if op == "==":
        return {name: value}
    if op in _DR:
        return {_DR[op]: {name: value}}
    values = list(value) if isinstance(value, tuple | list) else [value]
    if op == "in":
        return {"$or": [{name: v} for v in values]} if values else {ALWAYS: 0}
    return {"$and": [{"$neq": {name: v}} for v in values]} if values else {ALWAYS: 1}


def to_durable(cond: Condition, negate: bool = False) -> dict:
    """A durable-rules match expression equivalent to ``cond`` (or to its negation)."""
    if isinstance(cond, BoolOp):
        if cond.op == "not":
            return to_durable(cond.items[0], not negate)
        op = cond.op if not negate else ("or" if cond.op == "and" else "and")
        if not cond.items:  # "and" of nothing is true, "or" of nothing is false
            return {ALWAYS: 1 if op == "and" else 0}
        parts = [to_durable(c, negate) for c in cond.items]
        return parts[0] if len(parts) == 1 else {"$and" if op == "and" else "$or": parts}
    left, op, right = cond.left, cond.op, cond.right
    if not isinstance(left, Fact):
        if op in ("in", "not in") or not isinstance(right, Fact):
            raise ValueError("compare a fact with a value, e.g. vehicle.soc < 0.5")
        left, right, op = right, left, _FLIP[op]
    if isinstance(right, Fact):
        raise ValueError("comparing two facts is not supported; compare a fact with a value")
    return _compare(left, _NEGATE[op] if negate else op, right)


def ruleset(rule_id: str, cond: Condition, action) -> dict:
    """A durable-rules ruleset holding one rule whose action is ``action(c)``."""
    return {rule_id: {"all": [{"m": to_durable(cond)}], "run": action}}
