"""The optimal strategy: solve the LP, assign chargers, and repair conflicts by restricted re-solves.

The LP counts pool occupancy fractionally, so its sessions can overlap more than a pool has chargers. Each
round assigns chargers by interval colouring; every assigned session is then held to its interval, and every
conflicting one is restricted to the longest gap a charger of its pool has free inside its dwell. The LP is
solved again until no conflict remains (at most ``MAX_ROUNDS``); what still conflicts is reported.
"""

from __future__ import annotations

import pyomo.environ as pyo

from engine.domain import SolverInfo
from engine.schedule.assign import Session, assign_chargers
from engine.schedule.extract import Solution, read_solution, sessions_of
from engine.schedule.inputs import ScheduleInputs
from engine.schedule.model import create_model
from engine.schedule.solve import solve

MAX_ROUNDS = 4


def _dwell_of(x: ScheduleInputs, vehicle_id: str, t: int) -> list[int]:
    slots = next(vi.charge_slots for vi in x.vehicles if vi.vehicle.id == vehicle_id)
    i = slots.index(t)
    lo = i
    while lo > 0 and slots[lo - 1] == slots[lo] - 1:
        lo -= 1
    hi = i
    while hi + 1 < len(slots) and slots[hi + 1] == slots[hi] + 1:
        hi += 1
    return slots[lo : hi + 1]


def _free_gap(x: ScheduleInputs, s: Session, assigned: dict[Session, str]) -> tuple[int, int] | None:
    pool = next(p for p in x.pools if p.id == s.pool)
    dwell = _dwell_of(x, s.vehicle_id, s.start)
    best = None
    for c in pool.chargers:
        busy = sorted((a.start, a.end) for a, cid in assigned.items() if cid == c)
        cursor = dwell[0]
        for b0, b1 in [*busy, (dwell[-1] + 1, dwell[-1] + 1)]:
            lo, hi = max(cursor, dwell[0]), min(b0, dwell[-1] + 1)
            if hi > lo and (best is None or hi - lo > best[1] - best[0]):
                best = (lo, hi)
            cursor = max(cursor, b1)
    return best


def _restrict(m: pyo.ConcreteModel, vehicle_id: str, pool: str, dwell: list[int], keep: tuple[int, int] | None) -> None:
    for t in dwell:
        if (vehicle_id, pool, t) in m.p and (keep is None or not keep[0] <= t < keep[1]):
            m.p[vehicle_id, pool, t].fix(0.0)


def plan_optimal(
    x: ScheduleInputs, time_limit: float | None = None
) -> tuple[Solution, dict[Session, str], list[Session], SolverInfo, list[dict]]:
    """Solve, assign and repair. Returns solution, assignment, unresolved conflicts, solver info, repair steps."""
    m = create_model(x)
    info = solve(m, time_limit)
    steps: list[dict] = []
    if info.status not in ("optimal", "feasible"):
        raise RuntimeError(f"solver returned {info.status}")
    total_seconds = info.seconds
    for round_ in range(MAX_ROUNDS + 1):
        sol = read_solution(m, x)
        assigned, conflicts = assign_chargers(sessions_of(sol, x), x.pools)
        if not conflicts or round_ == MAX_ROUNDS:
            break
        steps.append(
            {"round": round_ + 1, "conflicts": [f"{s.vehicle_id}@{s.pool}[{s.start},{s.end})" for s in conflicts]}
        )
        for s in assigned:
            _restrict(m, s.vehicle_id, s.pool, _dwell_of(x, s.vehicle_id, s.start), (s.start, s.end))
        for s in conflicts:
            _restrict(m, s.vehicle_id, s.pool, _dwell_of(x, s.vehicle_id, s.start), _free_gap(x, s, assigned))
        info = solve(m, time_limit)
        total_seconds += info.seconds
        if info.status not in ("optimal", "feasible"):
            raise RuntimeError(f"solver returned {info.status} in repair round {round_ + 1}")
    info = info.model_copy(update={"seconds": total_seconds})
    return sol, assigned, conflicts, info, steps
