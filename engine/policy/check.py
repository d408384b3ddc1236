"""Validate policy files: every mistake as ``PATH:LINE:COL: message``, with a did-you-mean for unknown keys.

Beyond the schema: conditions must parse (with the column of the mistake inside the file), rules whose
condition can never be true are reported, and hard SOC rules that contradict each other (a hard minimum above a
hard maximum for the same vehicles) are reported.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from engine.errors import InputError, Location, PathKey, Problem, from_validation_error
from engine.io.yaml_lines import parse_yaml_with_lines
from engine.policy.conditions import Compare, Condition, ConditionError, Fact, parse_condition
from engine.policy.schema import Policy


def _known_keys(model: type[BaseModel], path: tuple) -> list[str]:
    """Field names allowed at ``path`` (model fields, descending through nested models and lists)."""
    current: Any = model
    for part in path:
        if isinstance(part, int):
            continue
        field = getattr(current, "model_fields", {}).get(part)
        if field is None:
            return []
        ann = field.annotation
        args = getattr(ann, "__args__", ()) or ()
        nested = [a for a in (ann, *args) if isinstance(a, type) and issubclass(a, BaseModel)]
        if not nested:
            for a in args:
                nested += [b for b in getattr(a, "__args__", ()) if isinstance(b, type) and issubclass(b, BaseModel)]
        if not nested:
            return []
        current = nested[0]
    return list(getattr(current, "model_fields", {}))


def _with_hints(problems: list[Problem], exc: ValidationError) -> list[Problem]:
    out = []
    for problem, err in zip(problems, exc.errors(), strict=False):
        if err.get("type") == "extra_forbidden":
            key = str(err["loc"][-1])
            near = difflib.get_close_matches(key, _known_keys(Policy, tuple(err["loc"][:-1])), n=1)
            if near:
                problem = Problem(
                    f"unknown key {key!r}; did you mean {near[0]!r}?",
                    problem.field,
                    problem.source,
                    problem.line,
                    problem.column,
                )
        out.append(problem)
    return out


def _never_true(cond: Condition) -> bool:
    """Conditions that compare two constants unequally, or fact == a and fact == b with a != b under 'and'."""
    if isinstance(cond, Compare):
        if not isinstance(cond.left, Fact) and not isinstance(cond.right, Fact):
            from engine.policy.conditions import evaluate

            return not evaluate(cond, {})
        return False
    if cond.op == "and":
        equal: dict[Fact, set] = {}
        for c in cond.items:
            if _never_true(c):
                return True
            if isinstance(c, Compare) and c.op == "==" and isinstance(c.left, Fact) and not isinstance(c.right, Fact):
                equal.setdefault(c.left, set()).add(c.right)
        return any(len(v) > 1 for v in equal.values())
    if cond.op == "or":
        return all(_never_true(c) for c in cond.items)
    return False


def _semantic(policy: Policy, locations: dict[PathKey, Location], source: str) -> list[Problem]:
    problems = []

    def at(path: PathKey, message: str, offset: int = 0) -> None:
        line, col = locations.get(path, locations.get(path[:-1], (None, None)))
        value_line, value_col = locations.get((*path, "<value>"), (line, col))
        problems.append(Problem(message, "", source, value_line, (value_col or 1) + offset if offset else value_col))

    parsed: dict[tuple, Condition] = {}
    for group in ("soc_rules", "charger_rules", "price_rules"):
        for i, rule in enumerate(getattr(policy, group)):
            try:
                cond = parse_condition(rule.when)
            except ConditionError as exc:
                at((group, i, "when"), f"{group}[{i}].when: {exc}", exc.offset)
                continue
            parsed[group, i] = cond
            if _never_true(cond):
                at((group, i, "when"), f"rule {rule.id!r} can never fire: its condition is never true")
    hard = [(i, r) for i, r in enumerate(policy.soc_rules) if r.hard]
    for i, a in hard:
        for j, b in hard:
            if i < j and a.when.strip() == b.when.strip():
                lo = [x.min_soc for x in (a, b) if x.min_soc is not None]
                hi = [x.max_soc for x in (a, b) if x.max_soc is not None]
                if lo and hi and max(lo) > min(hi):
                    at(
                        ("soc_rules", j),
                        f"hard rules {a.id!r} and {b.id!r} contradict: min_soc {max(lo)} above "
                        f"max_soc {min(hi)} for the same vehicles",
                    )
    return problems


def check_policy_text(text: str, source: str) -> tuple[Policy | None, list[Problem]]:
    """Validate policy YAML text; return the policy (if valid) and every problem found."""
    try:
        data, locations = parse_yaml_with_lines(text, source)
    except InputError as exc:
        return None, exc.problems
    if not isinstance(data, dict):
        return None, [Problem("a policy file must hold a mapping", "", source, 1, 1)]
    _value_positions(text, locations)
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        return None, _with_hints(from_validation_error(exc, source, locations).problems, exc)
    problems = _semantic(policy, locations, source)
    return (policy if not problems else None), problems


def _value_positions(text: str, locations: dict[PathKey, Location]) -> None:
    """Record where each scalar value (not its key) starts, for column-precise condition errors."""
    import yaml

    def walk(node, path):
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                walk(v, (*path, k.value))
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                walk(v, (*path, i))
        else:
            quote = 1 if node.style in ("'", '"') else 0
            locations[(*path, "<value>")] = (node.start_mark.line + 1, node.start_mark.column + 1 + quote)

    walk(yaml.compose(text), ())


def check_policy_file(path: str | Path) -> tuple[Policy | None, list[Problem]]:
    """Validate one policy file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        return None, [Problem(f"cannot read file: {exc.strerror}", "", str(path))]
    return check_policy_text(text, str(path))


def load_policy(path: str | Path) -> Policy:
    """Load a valid policy or raise InputError with every problem."""
    policy, problems = check_policy_file(path)
    if problems or policy is None:
        raise InputError(problems)
    return policy


def explain(policy: Policy) -> str:
    """The policy in plain words."""
    from engine.policy.conditions import describe

    m = policy.metadata
    out = [
        f"{m.name} v{m.version} (owner {m.owner}, effective {m.effective}): {m.description}".rstrip(": "),
        f"Mode: {policy.mode.default}" + "".join(f"; depot {d}: {x}" for d, x in policy.mode.depots.items()),
    ]
    o = policy.objective
    out.append(
        "Shortfall costs "
        + ", ".join(f"${v:g}/kWh at priority {k}" for k, v in sorted(o.shortfall_usd_per_kwh.items()))
        + "."
    )
    if o.late_usd_per_min:
        out.append(
            "Lateness costs "
            + ", ".join(f"${v:g}/min at priority {k}" for k, v in sorted(o.late_usd_per_min.items()))
            + "."
        )
    out.append(
        f"Demand charges weigh x{o.demand_weight:g}, wear x{o.wear_weight:g}; moving a planned kWh costs "
        f"${o.plan_change_usd_per_kwh:g}."
    )

    def cond(text: str) -> str:
        return "every vehicle" if text.strip() == "true" else f"when {describe(parse_condition(text))}"

    for r in policy.soc_rules:
        parts = []
        if r.min_soc is not None:
            parts.append(f"at least {r.min_soc:.0%} SOC")
        if r.min_energy_kwh is not None:
            parts.append(f"at least {r.min_energy_kwh:g} kWh")
        if r.max_soc is not None:
            parts.append(
                f"at most {r.max_soc:.0%} SOC" + (" unless the trip needs more" if r.unless_trip_needs_more else "")
            )
        deadline = f" {r.minutes_before_departure:g} min before departure" if r.minutes_before_departure else ""
        out.append(f"[{r.id}] {cond(r.when)}: {' and '.join(parts)}{deadline} ({'hard' if r.hard else 'soft'}).")
    for r in policy.charger_rules:
        verb, target = ("prefer", r.prefer) if r.prefer else ("never use", r.forbid)
        what = ", ".join(f"{k} {v}" for k, v in target.model_dump(exclude_none=True).items())
        window = f" between {r.window[0]} and {r.window[1]}" if r.window else ""
        out.append(f"[{r.id}] {cond(r.when)}: {verb} chargers with {what}{window}.")
    for r in policy.price_rules:
        out.append(
            f"[{r.id}] {cond(r.when)}: defer charging while energy costs more than ${r.defer_above_usd_per_kwh:g}/kWh."
        )
    s = policy.stale_telemetry
    out.append(f"SOC older than {s.after_minutes:g} min: {s.action.replace('_', ' ')}.")
    for event, chain in policy.fallbacks.items():
        out.append(f"If {event.replace('_', ' ')}: " + " -> ".join(chain) + ".")
    return "\n".join(out)


__all__ = ["check_policy_file", "check_policy_text", "explain", "load_policy"]
