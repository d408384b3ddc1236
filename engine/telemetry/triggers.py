"""Triggers: telemetry that makes the current plan wrong, so a new decision is needed.

Compared with the latest decision of the vehicle's depot, at ``now``:

- ``soc_below_target``: the vehicle's next departure is inside ``window_h`` and its projected SOC at departure
  falls below the plan's target, where projected = planned SOC at departure - (planned SOC now - measured SOC).
  Fires on the crossing: the state before the new telemetry projected at or above the target (or had no SOC).
- ``charger_fault``: a new fault event naming a charger.
- ``late_arrival``: a planned plug-in is more than ``late_min`` minutes past and the vehicle's latest position
  is away from the depot.

Each trigger has a ``key`` (kind, vehicle, and what it refers to), so the same condition fires one decision, not
one per telemetry batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from engine.domain import ChargerStatus, PlanningProblem
from engine.results import Decision
from engine.telemetry.state import StateView

WINDOW_H = 2.0  # how far ahead a departure counts [h]
LATE_MIN = 30.0  # how late a planned arrival may be before a re-plan [min]
SOC_MARGIN = 0.02  # measurement noise tolerated below target [0-1]


@dataclass(frozen=True)
class Trigger:
    """Why a new decision is needed."""

    kind: str
    vehicle_id: str
    key: str
    detail: dict = field(default_factory=dict)


def planned_soc_at(decision: Decision, vehicle_id: str, when: datetime) -> float | None:
    """The plan's SOC for a vehicle at ``when`` [0-1], linear between slot boundaries (None outside the plan)."""
    plan = decision.plan
    v = next((x for x in plan.vehicles if x.vehicle_id == vehicle_id), None)
    if v is None or not v.soc or not plan.slot_starts:
        return None
    t0 = pd.Timestamp(plan.slot_starts[0])
    hours = (pd.Timestamp(when) - t0).total_seconds() / 3600
    step_h = plan.slot_minutes / 60
    grid = np.arange(len(v.soc)) * step_h
    if hours < 0 or hours > grid[-1]:
        return None
    return float(np.interp(hours, grid, v.soc))


def _projection(
    decision: Decision, problem: PlanningProblem, vehicle_id: str, soc: float, read_at: datetime, now: datetime
) -> list[tuple]:
    """(trip id, departure, target, projected SOC at departure) for departures inside the window, from a SOC
    reading compared with the plan's SOC at the time it was read."""
    targets = decision.trace.departure_targets.get(vehicle_id, {})
    v = next((x for x in decision.plan.vehicles if x.vehicle_id == vehicle_id), None)
    planned_then = planned_soc_at(decision, vehicle_id, read_at)
    if v is None or planned_then is None:
        return []
    out = []
    for trip in problem.trips:
        if trip.id not in targets or trip.id not in v.soc_at_departure:
            continue
        if not now <= trip.departure <= now + timedelta(hours=WINDOW_H):
            continue
        projected = v.soc_at_departure[trip.id] - (planned_then - soc)
        out.append((trip.id, trip.departure, targets[trip.id], projected))
    return out


def _projections(decision: Decision, problem: PlanningProblem, view: StateView | None, now: datetime) -> dict:
    if view is None or view.soc_pct is None or view.soc_time is None:
        return {}
    rows = _projection(decision, problem, view.vehicle_id, view.soc_pct / 100, view.soc_time, now)
    return {trip_id: (departure, target, projected) for trip_id, departure, target, projected in rows}


def detect(
    vehicle_id: str,
    before: StateView | None,
    after: StateView,
    decision: Decision | None,
    problem: PlanningProblem | None,
    now: datetime,
) -> list[Trigger]:
    """Triggers raised by the change from ``before`` to ``after`` against the latest decision."""
    out: list[Trigger] = []
    if decision is not None and problem is not None:
        earlier = _projections(decision, problem, before, now)
        for trip_id, (departure, target, projected) in _projections(decision, problem, after, now).items():
            if projected >= target - SOC_MARGIN:
                continue
            was = earlier.get(trip_id, (None, None, None))[2]
            if was is not None and was < target - SOC_MARGIN:
                continue  # already below: fired when it crossed
            out.append(
                Trigger(
                    "soc_below_target",
                    vehicle_id,
                    f"soc_below_target:{vehicle_id}:{trip_id}:{decision.decision_id}",
                    {
                        "trip_id": trip_id,
                        "departure": departure.isoformat(),
                        "target_soc": target,
                        "projected_soc": round(projected, 4),
                        "soc_pct": after.soc_pct,
                    },
                )
            )
    fault = after.last_fault
    if fault and fault.get("charger_id") and (before is None or before.last_fault != fault):
        out.append(
            Trigger("charger_fault", vehicle_id, f"charger_fault:{fault['charger_id']}:{fault['time']}", dict(fault))
        )
    if decision is not None and after.at_depot is False:
        v = next((x for x in decision.plan.vehicles if x.vehicle_id == vehicle_id), None)
        for s in v.sessions if v else []:
            if s.plug_in <= now - timedelta(minutes=LATE_MIN) < s.plug_out:
                late = (now - s.plug_in).total_seconds() / 60
                out.append(
                    Trigger(
                        "late_arrival",
                        vehicle_id,
                        f"late_arrival:{vehicle_id}:{s.plug_in.isoformat()}:{decision.decision_id}",
                        {
                            "planned_plug_in": s.plug_in.isoformat(),
                            "minutes_late": round(late, 1),
                            "charger_id": s.charger_id,
                        },
                    )
                )
                break
    return out


def updated_problem(
    problem: PlanningProblem, views: dict[str, StateView], now: datetime, faulted_chargers: frozenset[str] = frozenset()
) -> PlanningProblem:
    """The problem re-based at the first slot boundary at or after ``now`` with vehicle states from telemetry: SOC and
    its confidence, when it was read, at depot, plugged, charger, position (vehicles without telemetry keep
    theirs), and the chargers in ``faulted_chargers`` marked faulted (the scheduler does not use them)."""
    step = timedelta(minutes=problem.slot_minutes)
    start = problem.now - ((problem.now - now) // step) * step  # the first slot boundary at or after now
    states = []
    for s in problem.states:
        v = views.get(s.vehicle_id)
        if v is None:
            states.append(s)
            continue
        update: dict = {}
        if v.soc_pct is not None:
            update |= {
                "soc": min(1.0, max(0.0, v.soc_pct / 100)),
                "soc_confidence": v.soc_confidence,
                "soc_p10": None,
                "last_seen": v.soc_time or s.last_seen,
            }
        if v.at_depot is not None:
            late = s.available_from is not None and s.available_from <= start
            update |= {"at_depot": v.at_depot, "available_from": None if v.at_depot or late else s.available_from}
        if v.plugged is not None:
            update |= {"plugged": v.plugged, "charger_id": v.charger_id}
        if v.lat is not None and v.lon is not None:
            update |= {"lat": v.lat, "lon": v.lon}
        states.append(s.model_copy(update=update))
    faulted = ChargerStatus.FAULTED
    chargers = [c.model_copy(update={"status": faulted}) if c.id in faulted_chargers else c for c in problem.chargers]
    return problem.model_copy(update={"now": start, "states": states, "chargers": chargers})
