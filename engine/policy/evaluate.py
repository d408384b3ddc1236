"""Evaluate compiled policy rules on a planning problem's facts with durable-rules.

Every evaluation uses a fresh ``durable.engine.Host`` (never the global host of ``durable.lang``), posts facts as
events (consumed, so nothing accumulates) one by one, frees the native rulesets afterwards (the Python
wrapper never does: memory grew ~3 MB per evaluation without it), catches ``MessageNotHandledException`` for facts no rule matches,
records firings only (actions never do work), re-raises any error an action hit (the engine would swallow it),
and stops the host's timer threads afterwards. A host is not shared between threads.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import Any

import durable_rules_engine
from durable.engine import Host, MessageNotHandledException

from engine.policy.compile import ALWAYS, ruleset
from engine.policy.conditions import Condition, facts_used

Facts = dict[str, dict[str, Any]]


def _message(i: int, subject: str, facts: Facts) -> dict:
    msg: dict[str, Any] = {"id": f"m{i}", "subject": subject, ALWAYS: 1}
    for entity, fields in facts.items():
        for name, value in fields.items():
            if value is not None:
                msg[f"{entity}__{name}"] = value
    return msg


def applies(cond: Condition, facts: Facts) -> bool:
    """A rule applies to a subject only if the subject carries every fact its condition reads (a rule about
    vehicles and trips never fires for a charger, even under ``not``)."""
    return all(facts.get(f.entity, {}).get(f.field) is not None for f in facts_used(cond))


def fire(rules: dict[str, Condition], subjects: Iterable[tuple[str, Facts]]) -> set[tuple[str, str]]:
    """The (rule id, subject) pairs whose condition holds, computed by durable-rules."""
    fired: set[tuple[str, str]] = set()
    errors: list[BaseException] = []

    def recorder(rule_id: str):
        def action(c) -> None:
            try:
                fired.add((rule_id, c.m["subject"]))
            except BaseException as exc:  # the engine swallows errors raised in actions: keep them
                errors.append(exc)

        return action

    host = Host()
    try:
        host.set_rulesets({f"r_{i}": ruleset(rid, cond, recorder(rid)) for i, (rid, cond) in enumerate(rules.items())})
        subjects = list(subjects)
        messages = [_message(k, subject, facts) for k, (subject, facts) in enumerate(subjects)]
        for i, cond in enumerate(rules.values()):
            for message, (_subject, facts) in zip(messages, subjects, strict=True):
                if applies(cond, facts):
                    # one post per fact: a batch stops at the first fact no rule matches (measured here)
                    with contextlib.suppress(MessageNotHandledException):
                        host.post(f"r_{i}", dict(message))
    finally:
        for timer in ("_d_timer", "_t_timer"):
            t = getattr(host, timer, None)
            if t is not None:
                t.cancel()
        for rs in getattr(host, "_ruleset_list", []):  # the Python wrapper never frees native rulesets
            durable_rules_engine.delete_ruleset(rs._handle)
    if errors:
        raise RuntimeError(f"a policy action failed: {errors[0]!r}")
    return fired


def fire_reference(rules: dict[str, Condition], subjects: Iterable[tuple[str, Facts]]) -> set[tuple[str, str]]:
    """The same pairs computed by the plain-Python reference evaluator."""
    from engine.policy.conditions import evaluate

    return {
        (rid, subject)
        for subject, facts in subjects
        for rid, cond in rules.items()
        if applies(cond, facts) and evaluate(cond, facts)
    }


__all__ = ["applies", "fire", "fire_reference"]
