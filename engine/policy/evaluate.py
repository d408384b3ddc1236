"""Evaluate compiled policy rules on a planning problem's facts with durable-rules.

Every evaluation uses a fresh ``durable.engine.Host`` (never the global host of ``durable.lang``), posts facts as
events (consumed, so nothing accumulates) one by one, once per distinct combination of the facts a rule reads
(subjects that agree on those facts share the verdict, so there are far fewer posts), frees the native rulesets
afterwards (the Python wrapper never does: memory grew ~3 MB per evaluation without it; even so the native
engine keeps ~80 kB per evaluated ruleset, see :mod:`engine.policy.isolated`), catches ``MessageNotHandledException`` for facts no rule matches,
records firings only (actions never do work), re-raises any error an action hit (the engine would swallow it),
and never starts the host's timer threads (see ``_QuietHost``). A host is not shared between threads.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import durable_rules_engine
from durable.engine import Host, MessageNotHandledException

from engine.policy.compile import ALWAYS, ruleset
from engine.policy.conditions import Condition, facts_used

Facts = dict[str, dict[str, Any]]
_NONE: dict[str, Any] = {}


class _QuietHost(Host):
    """A Host without its background dispatch threads. ``Host.__init__`` starts two self re-arming timers that
    poll every ruleset forever; cancelling them races with a callback in flight, which re-arms and then polls
    freed rulesets ("Could not start action, error code: 111", and a thread per evaluation left running). Our
    rules fire synchronously inside ``post`` and use no timers, so nothing needs the dispatch loop."""

    def _run(self) -> None:
        pass


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def applies(cond: Condition, facts: Facts) -> bool:
    """A rule applies to a subject only if the subject carries every fact its condition reads (a rule about
    vehicles and trips never fires for a charger, even under ``not``)."""
    return all(facts.get(f.entity, {}).get(f.field) is not None for f in facts_used(cond))


@dataclass(frozen=True)
class Groups:
    """Per rule: the facts it reads, the distinct value combinations among the subjects, and who has each."""

    used: dict[str, list[tuple[str, str]]]  # rule -> sorted (entity, field) pairs
    keys: dict[str, list[tuple]]  # rule -> distinct value tuples, in first-seen order
    members: dict[str, list[list[str]]]  # rule -> subjects per key (same order)


def group_subjects(rules: dict[str, Condition], subjects: Iterable[tuple[str, Facts]]) -> Groups:
    """Group subjects per rule by the values of the facts the rule reads: equal values, equal verdict. A subject
    missing one of those facts is left out (see :func:`applies`)."""
    subjects = list(subjects)
    used, keys, members = {}, {}, {}
    for rid, cond in rules.items():
        fields = sorted({(f.entity, f.field) for f in facts_used(cond)})
        groups: dict[tuple, list[str]] = {}
        for subject, facts in subjects:
            key = tuple([facts.get(e, _NONE).get(f) for e, f in fields])
            if None not in key:
                if any(isinstance(v, list) for v in key):
                    key = tuple(_hashable(v) for v in key)
                groups.setdefault(key, []).append(subject)
        used[rid], keys[rid], members[rid] = fields, list(groups), list(groups.values())
    return Groups(used, keys, members)


def judge(rules: dict[str, Condition], used: dict[str, list], keys: dict[str, list[tuple]]) -> set[tuple[str, int]]:
    """(rule, key index) pairs whose condition durable-rules finds true: one ruleset per rule on a fresh host, one
    post per distinct key."""
    hits: list[str] = []
    errors: list[BaseException] = []

    def action(c) -> None:
        try:
            hits.append(c.m["subject"])
        except BaseException as exc:  # the engine swallows errors raised in actions: keep them
            errors.append(exc)

    out: set[tuple[str, int]] = set()
    host = _QuietHost()
    try:
        host.set_rulesets({f"r_{i}": ruleset(rid, cond, action) for i, (rid, cond) in enumerate(rules.items())})
        for i, rid in enumerate(rules):
            for k, key in enumerate(keys[rid]):
                message = {"id": f"m{k}", "subject": str(k), ALWAYS: 1}
                message |= {f"{e}__{f}": v for (e, f), v in zip(used[rid], key, strict=True)}
                before = len(hits)
                # one post per message: a batch stops at the first message no rule matches (measured here)
                with contextlib.suppress(MessageNotHandledException):
                    host.post(f"r_{i}", message)
                if len(hits) > before:
                    out.add((rid, k))
    finally:
        for rs in getattr(host, "_ruleset_list", []):  # the Python wrapper never frees native rulesets
            durable_rules_engine.delete_ruleset(rs._handle)
    if errors:
        raise RuntimeError(f"a policy action failed: {errors[0]!r}")
    return out


def expand(groups: Groups, verdicts: set[tuple[str, int]]) -> set[tuple[str, str]]:
    """(rule, subject) pairs from (rule, key index) verdicts."""
    return {(rid, s) for rid, k in verdicts for s in groups.members[rid][k]}


def fire(rules: dict[str, Condition], subjects: Iterable[tuple[str, Facts]]) -> set[tuple[str, str]]:
    """The (rule id, subject) pairs whose condition holds, computed by durable-rules."""
    groups = group_subjects(rules, subjects)
    return expand(groups, judge(rules, groups.used, groups.keys))


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
