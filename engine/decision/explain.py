"""Plain words for a plan: which constraints held tight, and per vehicle "why this charger, why now".

Constraint status, per named directive constraint (``<family>:<entity>:<rule>``):

- ``min_soc``: *violated* when the departure is short by more than 1 Wh, *binding* when the battery holds no
  more than the target at departure (+1 Wh), else *slack*.
- ``max_soc``: *binding* when the battery reaches the ceiling at some boundary, else *slack*.
- ``prefer``: *followed* when the vehicle draws nothing from chargers off its preference, else *overridden* (a
  preference is a small cost, so a real saving or a target can outweigh it).
- ``forbid`` / ``defer``: *enforced* (the slots they close carry no power; whether the plan would differ without
  them takes another solve).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.results import Plan, VehiclePlan, Violation
from engine.schedule.extract import Solution
from engine.schedule.inputs import Departure, ScheduleInputs, VehicleInputs, dwell_prices, slot_runs

TOL_KWH = 1e-3


def _departure_of(vi: VehicleInputs, name: str) -> tuple[int, Departure]:
    """The departure (index, Departure) a ``min_soc:<vehicle>/<trip>:<rule>`` constraint is about."""
    trip_id = name.split(":")[1].split("/", 1)[1]
    return next((k, d) for k, d in enumerate(vi.departures) if d.trip.id == trip_id)


def _off_preference_kw(vi: VehicleInputs, sol: Solution) -> float:
    """Power a vehicle draws off its preferred chargers, summed over slots [kW]."""
    return sum(float(kw.sum()) for g, kw in sol.power[vi.vehicle.id].items() if g in vi.off_preference)


def constraint_status(x: ScheduleInputs, sol: Solution, named: dict[str, list[str]]) -> dict[str, dict[str, str]]:
    """Per vehicle: constraint name -> binding | slack | violated | enforced (see module doc)."""
    by_id = {vi.vehicle.id: vi for vi in x.vehicles}
    out: dict[str, dict[str, str]] = {}
    for v, names in named.items():
        vi = by_id[v]
        status = out.setdefault(v, {})
        for name in names:
            family = name.split(":", 1)[0]
            if family == "min_soc":
                k, dep = _departure_of(vi, name)
                if sol.short.get((v, k), 0.0) > TOL_KWH:
                    status[name] = "violated"
                else:
                    held = sol.energy[v][dep.slot]
                    status[name] = "binding" if held <= dep.target_kwh + TOL_KWH else "slack"
            elif family == "prefer":
                status[name] = "overridden" if _off_preference_kw(vi, sol) > 1e-6 else "followed"
            elif family == "max_soc":
                status[name] = "binding" if sol.energy[v].max() >= vi.e_max_kwh - TOL_KWH else "slack"
            else:
                status[name] = "enforced"
    return out


def constraint_costs(x: ScheduleInputs, sol: Solution, named: dict[str, list[str]]) -> dict[str, dict[str, float]]:
    """Per vehicle: money a directive constraint made the plan pay [$], where the plan itself says it: the
    shortfall penalty of a ``min_soc`` target, the off-preference cost of a ``prefer`` rule. (What a binding
    constraint costs beyond that takes a re-solve without it.)"""
    by_id = {vi.vehicle.id: vi for vi in x.vehicles}
    w = x.weights
    out: dict[str, dict[str, float]] = {}
    for v, names in named.items():
        vi = by_id[v]
        for name in names:
            family = name.split(":", 1)[0]
            if family == "min_soc":
                k, dep = _departure_of(vi, name)
                out.setdefault(v, {})[name] = dep.penalty_usd_per_kwh * sol.short.get((v, k), 0.0)
            elif family == "prefer":
                out.setdefault(v, {})[name] = w.off_preference_usd_per_kwh * _off_preference_kw(vi, sol) * x.dt_h
    return out


def _hours(x: ScheduleInputs, slots: list[int], starts: list) -> str:
    """Runs of slots as local ``HH:MM-HH:MM`` ranges (``starts``: the slot starts as datetimes)."""
    if not slots:
        return "never"
    parts = []
    for a, b in slot_runs(slots):
        end = starts[b] if b < x.n_slots else starts[-1] + pd.Timedelta(hours=x.dt_h)
        parts.append(f"{starts[a]:%a %H:%M}-{end:%H:%M}")
    return ", ".join(parts)


def _vehicle_text(
    x: ScheduleInputs,
    vi: VehicleInputs,
    vp: VehiclePlan,
    status: dict[str, str],
    mine: list[dict],
    violations: list[Violation],
    starts: list,
) -> str:
    v = vi.vehicle.id
    kw = np.asarray(vp.power_kw)
    price = dwell_prices(x, vi)
    charging = np.flatnonzero(kw > 1e-6).tolist()
    lines = [f"{v} ({vi.vehicle.vehicle_class}, {vi.vehicle.battery_kwh:g} kWh) starts at {vi.e0_kwh:.1f} kWh."]
    if not vp.sessions:
        lines.append(
            "It is not plugged in during this horizon: it needs no charge before its trips, or cannot get one."
        )
    for s in vp.sessions:
        lines.append(
            f"Charger {s.charger_id}: plugged {s.plug_in:%a %H:%M}-{s.plug_out:%H:%M}, {s.energy_kwh:.1f} kWh from the grid."
        )
    if charging:
        drawn = kw[charging]
        paid = float((price[charging] * drawn).sum() / drawn.sum())
        avail = sorted(set(vi.charge_slots))
        lines.append(
            f"It draws power {_hours(x, charging, starts)} at {paid:.3f} $/kWh on average; while it is parked the "
            f"price ranges {price[avail].min():.3f}-{price[avail].max():.3f} $/kWh, so it charges in the cheaper "
            "slots that the site limit, the charger count and its departures leave."
        )
    for dep in vi.departures:
        got = vp.soc_at_departure.get(dep.trip.id, 0.0) * vi.vehicle.battery_kwh
        lines.append(
            f"Trip {dep.trip.id} (priority {dep.trip.priority}) leaves {dep.trip.departure:%a %H:%M} needing "
            f"{dep.target_kwh:.1f} kWh; the plan has {got:.1f} kWh then."
        )
    for r in mine:
        tight = [f"{n} is {s}" for n, s in status.items() if n.endswith(":" + r["rule"])]
        lines.append(
            f"Rule {r['rule']} applies ({r['directive']['type']})" + (f": {'; '.join(tight)}." if tight else ".")
        )
    for viol in violations:
        lines.append(f"Violated {viol.target}: {viol.shortfall_kwh:.1f} kWh short, because {viol.reason}.")
    return " ".join(lines)


def explain_vehicles(
    x: ScheduleInputs,
    plan: Plan,
    status: dict[str, dict[str, str]],
    rules: list[dict],
    violations: list[Violation],
) -> dict[str, str]:
    """Per vehicle, the plain-words answer to "why this charger, why now"."""
    plans = {vp.vehicle_id: vp for vp in plan.vehicles}
    rules_of: dict[str, list[dict]] = {}
    for r in rules:
        rules_of.setdefault(r["entity"].split("/")[0], []).append(r)
    violations_of: dict[str | None, list[Violation]] = {}
    for viol in violations:
        violations_of.setdefault(viol.vehicle_id, []).append(viol)
    starts = list(x.slot_starts.to_pydatetime())
    return {
        (v := vi.vehicle.id): _vehicle_text(
            x, vi, plans[v], status.get(v, {}), rules_of.get(v, []), violations_of.get(v, []), starts
        )
        for vi in x.vehicles
    }
