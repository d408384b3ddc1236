"""Two Decisions on the same problem side by side: what changed per vehicle, and why (policy lab, reviews)."""

from __future__ import annotations

import pandas as pd

from engine.domain import PlanningProblem
from engine.frames import cost_frame
from engine.results import Decision, VehiclePlan

ENERGY_TOL_KWH = 0.05  # below this a difference in delivered energy is solver noise [kWh]


def _energy(v: VehiclePlan | None) -> float:
    return sum(s.energy_kwh for s in v.sessions) if v is not None else 0.0


def _rules_by_vehicle(decision: Decision) -> dict[str, set[str]]:
    """Vehicle id -> rule ids that fired for it (entities ``vehicle`` or ``vehicle/trip``)."""
    out: dict[str, set[str]] = {}
    for r in decision.trace.rules_fired:
        out.setdefault(r.entity.split("/")[0], set()).add(r.rule)
    return out


def _sessions(v: VehiclePlan | None) -> list[tuple]:
    return [] if v is None else [(s.charger_id, s.plug_in, s.plug_out) for s in v.sessions]


def _why(rb: set[str], ra: set[str], changes: list[str]) -> str:
    """Plain words: the changes, and the rules that started or stopped applying (``rb`` before, ``ra`` after)."""
    parts = list(changes)
    if ra - rb:
        parts.append("now under " + ", ".join(sorted(ra - rb)))
    if rb - ra:
        parts.append("no longer under " + ", ".join(sorted(rb - ra)))
    if not ra ^ rb and changes:
        parts.append("same rules: the change follows from other vehicles or the shared site limit and prices")
    return "; ".join(parts)


def compare_decisions(before: Decision, after: Decision) -> pd.DataFrame:
    """One row per vehicle of either plan: charger and energy [kWh] before and after, lowest SOC at departure
    before and after [0-1], rules fired before and after, ``changed`` (sessions, charger or energy beyond
    ``ENERGY_TOL_KWH``) and ``why`` in plain words. Changed vehicles first."""
    b = {v.vehicle_id: v for v in before.plan.vehicles}
    a = {v.vehicle_id: v for v in after.plan.vehicles}
    rules_b, rules_a = _rules_by_vehicle(before), _rules_by_vehicle(after)
    rows = []
    for vid in sorted(set(b) | set(a)):
        vb, va = b.get(vid), a.get(vid)
        eb, ea = _energy(vb), _energy(va)
        changes = []
        if (vb.charger_id if vb else None) != (va.charger_id if va else None):
            changes.append(f"charger {vb.charger_id if vb else None} -> {va.charger_id if va else None}")
        if abs(ea - eb) > ENERGY_TOL_KWH:
            changes.append(f"energy {eb:.1f} -> {ea:.1f} kWh")
        if not changes and _sessions(vb) != _sessions(va):
            changes.append("plug times moved")
        rb, ra = rules_b.get(vid, set()), rules_a.get(vid, set())
        sb = min(vb.soc_at_departure.values(), default=None) if vb else None
        sa = min(va.soc_at_departure.values(), default=None) if va else None
        rows.append(
            {
                "vehicle_id": vid,
                "changed": bool(changes),
                "charger_before": vb.charger_id if vb else None,
                "charger_after": va.charger_id if va else None,
                "energy_before_kwh": eb,
                "energy_after_kwh": ea,
                "departure_soc_before": sb,
                "departure_soc_after": sa,
                "rules_before": ", ".join(sorted(rb)),
                "rules_after": ", ".join(sorted(ra)),
                "why": _why(rb, ra, changes),
            }
        )
    frame = pd.DataFrame(rows)
    return frame.sort_values(["changed", "vehicle_id"], ascending=[False, True], ignore_index=True)


def summary_diff(before: Decision, after: Decision, problem: PlanningProblem) -> pd.DataFrame:
    """Cost split [$], peak [kW], departures ready and violations: rows before / after / change."""
    frame = cost_frame({"before": before, "after": after}, problem).drop(columns="status").astype(float)
    frame.loc["change"] = frame.loc["after"] - frame.loc["before"]
    return frame
