"""Reading an assumptions file: YAML with ``FILE:LINE:COL`` on every mistake, units checked and converted to the
ones the model computes in, yearly lists checked against the analysis period, scenarios applied as overrides of
the base file.

Quantities are addressed by dotted paths with list items by id: ``analysis.discount_rate``,
``depots.north.energy.price``, ``vehicle_classes.van.ev.consumption``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ValidationError

from engine.errors import InputError, Location, PathKey, Problem, did_you_mean, field_path, from_validation_error
from engine.io.yaml_lines import load_yaml_with_lines, parse_yaml_with_lines
from engine.tco.assumptions import TcoAssumptions
from engine.tco.units import FRACTION, YEARS, Quantity, Unit

MAY_BE_NEGATIVE = {"engine_base"}  # NREL T3CO's engine base cost is -0.45 USD in its test cases
WHOLE_UNITS = {YEARS.canonical, "count"}


def _unit_of(model: type[BaseModel], name: str) -> Unit | None:
    for meta in model.model_fields[name].metadata:
        if isinstance(meta, Unit):
            return meta
    return None


def _children(model: BaseModel) -> Iterator[tuple[str | int, str, Any, Unit | None]]:
    """(key in the data, dotted name, value, unit) of each field of ``model`` holding a value."""
    for name in type(model).model_fields:
        if name == "scenarios":
            continue
        value = getattr(model, name)
        if value is None:
            continue
        unit = _unit_of(type(model), name)
        if unit is None and (ann := type(model).model_fields[name].annotation) is not None:
            for arg in getattr(ann, "__args__", ()):  # Optional[Annotated[Quantity, Unit]]
                unit = next((m for m in getattr(arg, "__metadata__", ()) if isinstance(m, Unit)), unit)
        yield name, name, value, unit


def walk(model: BaseModel, path: PathKey = (), dotted: str = "") -> Iterator[tuple[PathKey, str, Quantity, Unit]]:
    """Every quantity below ``model``: (data path, dotted path, quantity, its field's unit)."""
    for key, name, value, unit in _children(model):
        here, where = (*path, key), f"{dotted}.{name}" if dotted else name
        if isinstance(value, Quantity) and unit is not None:
            yield here, where, value, unit
        elif isinstance(value, BaseModel):
            yield from walk(value, here, where)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, BaseModel):
                    yield from walk(item, (*here, i), f"{where}.{getattr(item, 'id', i)}")


def quantities(a: TcoAssumptions) -> dict[str, Quantity]:
    """Dotted path -> quantity, every number of the file (scenarios aside)."""
    return {dotted: qty for _p, dotted, qty, _u in walk(a)}


def _checked(a: TcoAssumptions, source: str, locations: Mapping[PathKey, Location]) -> TcoAssumptions:
    """Units converted to the model's; problems with units, yearly lists, whole numbers and bounds raised."""
    problems: list[Problem] = []
    period = a.analysis.period.value
    converted: dict[PathKey, Quantity] = {}

    def bad(path: PathKey, message: str) -> None:
        probe = path
        while probe and probe not in locations:
            probe = probe[:-1]
        line, col = locations.get(probe, (None, None))
        problems.append(Problem(message, field_path(path), source, line, col))

    for path, _dotted, qty, unit in walk(a):
        factor = unit.factor(qty.unit)
        if factor is None:
            bad((*path, "unit"), f"unit {qty.unit!r} not accepted here; use {' or '.join(map(repr, unit.accepted()))}")
            continue
        values = qty.value if isinstance(qty.value, list) else [qty.value]
        if isinstance(qty.value, list):
            if not unit.yearly:
                bad((*path, "value"), "one value expected (this is not a yearly figure)")
            elif isinstance(period, float) and len(values) != period:
                bad((*path, "value"), f"{len(values)} values for an analysis period of {period:g} years")
        if unit.canonical in WHOLE_UNITS and any(v != int(v) for v in values):
            bad((*path, "value"), f"a whole number of {unit.canonical} expected, got {qty.value}")
        if path[-1] not in MAY_BE_NEGATIVE and any(v < 0 for v in values):
            bad((*path, "value"), f"must be >= 0, got {qty.value}")
        if unit.canonical == FRACTION.canonical and any(v * factor > 1 for v in values):
            bad((*path, "value"), f"a fraction must be <= 1 (100 %), got {qty.value} {qty.unit}")
        if unit.canonical == YEARS.canonical and any(v < 1 for v in values):
            bad((*path, "value"), f"at least 1 year expected, got {qty.value}")
        converted[path] = qty.scaled(factor, unit.canonical) if factor != 1.0 or qty.unit != unit.canonical else qty
    if problems:
        raise InputError(problems)
    out = _replace(a, converted)
    for i, c in enumerate(out.vehicle_classes):
        ev = c.ev
        shares = [s for s in (ev.public_share, ev.emergency_share) if s is not None]
        for k in range(int(out.analysis.period.value)):  # type: ignore[arg-type]
            total = sum(s.at(k) for s in shares)
            if total > 1 + 1e-12:
                bad(("vehicle_classes", i, "ev"), f"public and emergency shares add up to {total:g} > 1 in year {k}")
                break
        b = ev.battery
        if b.degradation.value > 0 and (1 - b.replace_below.value) < b.degradation.value:  # type: ignore[operator]
            bad(("vehicle_classes", i, "ev", "battery"), "one year's degradation already crosses replace_below")
    if problems:
        raise InputError(problems)
    return out


def _replace(model: BaseModel, new: Mapping[PathKey, Quantity], path: PathKey = (), under: set | None = None) -> Any:
    """``model`` with the quantity at each path of ``new`` replaced (``under``: every proper prefix of those
    paths, so untouched branches are kept as they are)."""
    if under is None:
        under = {p[:i] for p in new for i in range(1, len(p))}
    update: dict[str, Any] = {}
    for name in type(model).model_fields:
        here = (*path, name)
        if here in new:
            update[name] = new[here]
        elif here in under:
            value = getattr(model, name)
            if isinstance(value, list):
                update[name] = [
                    _replace(item, new, (*here, i), under) if isinstance(item, BaseModel) else item
                    for i, item in enumerate(value)
                ]
            else:
                update[name] = _replace(value, new, here, under)
    return model.model_copy(update=update) if update else model


Index = Mapping[str, tuple[PathKey, Quantity]]


def quantity_index(a: TcoAssumptions) -> Index:
    """Dotted path -> (data path, quantity), for :func:`with_values` called many times on the same ``a``."""
    return {dotted: (path, qty) for path, dotted, qty, _u in walk(a)}


def with_values(
    a: TcoAssumptions, values: Mapping[str, float | np.ndarray], index: Index | None = None
) -> TcoAssumptions:
    """``a`` with the quantities at these dotted paths set to new values (in the model's units), or to one value
    per draw (an array: the batch :func:`engine.tco.model.headline` evaluates at once); a path that names no
    quantity raises KeyError. Used by sensitivity and Monte Carlo runs on checked assumptions (``index``:
    :func:`quantity_index` of ``a``, computed once for many runs)."""
    by_dotted = quantity_index(a) if index is None else index
    new = {}
    for dotted, value in values.items():
        if dotted not in by_dotted:
            raise KeyError(f"{dotted}: no such quantity; {did_you_mean(dotted, by_dotted)}".rstrip("; "))
        path, qty = by_dotted[dotted]
        batch = isinstance(value, np.ndarray)  # a Monte Carlo batch: one value per draw, as a column
        new[path] = qty.model_copy(update={"value": value.reshape(-1, 1) if batch else float(value)})
    return _replace(a, new)


def _overridden(quantity: dict[str, Any], value: Any, scenario: str) -> Any:
    """A quantity's raw mapping after a scenario sets it: a mapping replaces it; a number replaces its value,
    keeps its range and distribution only when the number lies inside the range (a scenario outside the base
    range is its own point, not a variation of it)."""
    if isinstance(value, dict):
        return value
    out = {**quantity, "value": value, "source": f"scenario {scenario} (base: {quantity.get('source', '')})"}
    rng = quantity.get("range")
    inside = isinstance(rng, list) and len(rng) == 2 and isinstance(value, int | float) and rng[0] <= value <= rng[1]
    if not inside:
        out.pop("range", None)
        out.pop("distribution", None)
    return out


def _apply_scenario(data: dict[str, Any], name: str, source: str, locations: Mapping[PathKey, Location]) -> dict:
    """The raw file data with scenario ``name``'s ``set`` applied: a number replaces a quantity's value (in the
    unit the base file wrote it in), a mapping replaces the whole quantity."""
    scenarios = data.get("scenarios") or {}
    if name not in scenarios:
        hint = did_you_mean(name, scenarios) or f"scenarios: {', '.join(sorted(scenarios)) or 'none'}"
        raise InputError(
            [
                Problem(
                    f"no scenario {name!r}; {hint}", "scenarios", source, *locations.get(("scenarios",), (None, None))
                )
            ]
        )
    out = copy.deepcopy(data)
    problems = []
    for dotted, value in (scenarios[name].get("set") or {}).items():
        node: Any = out
        parts = dotted.split(".")
        try:
            for part in parts[:-1]:
                node = next(x for x in node if x.get("id") == part) if isinstance(node, list) else node[part]
            if not isinstance(node, dict) or not isinstance(node.get(parts[-1]), dict):
                raise KeyError(dotted)
            node[parts[-1]] = _overridden(node[parts[-1]], value, name)
        except (KeyError, StopIteration, TypeError, AttributeError):
            line, col = locations.get(("scenarios", name, "set", dotted), (None, None))
            problems.append(
                Problem(f"{dotted!r} names no quantity of the file", f"scenarios.{name}.set", source, line, col)
            )
    if problems:
        raise InputError(problems)
    return out


def assumptions_from_data(
    data: Any, source: str = "<data>", locations: Mapping[PathKey, Location] | None = None, scenario: str | None = None
) -> TcoAssumptions:
    """Validated, unit-converted assumptions (with ``scenario`` applied) from parsed data; InputError names
    every problem with its place."""
    locations = locations or {}
    if not isinstance(data, dict):
        raise InputError([Problem("an assumptions file must hold a mapping", "", source, 1, 1)])
    try:
        base = TcoAssumptions.model_validate(data)
    except ValidationError as exc:
        raise from_validation_error(exc, source, locations, model=TcoAssumptions) from None
    checked = _checked(base, source, locations)
    if scenario is None:
        return checked
    varied = _apply_scenario(data, scenario, source, locations)
    try:
        return _checked(TcoAssumptions.model_validate(varied), f"{source} (scenario {scenario})", locations)
    except ValidationError as exc:
        raise from_validation_error(exc, f"{source} (scenario {scenario})", locations, model=TcoAssumptions) from None


def load_assumptions(path: str | Path, scenario: str | None = None) -> TcoAssumptions:
    """Read an assumptions file (YAML or JSON)."""
    data, locations = load_yaml_with_lines(path)
    return assumptions_from_data(data, str(path), locations, scenario)


def parse_assumptions(text: str, source: str = "<string>", scenario: str | None = None) -> TcoAssumptions:
    """Assumptions from YAML text."""
    data, locations = parse_yaml_with_lines(text, source)
    return assumptions_from_data(data, source, locations, scenario)
