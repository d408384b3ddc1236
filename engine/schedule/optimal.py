"""The optimal strategy: solve the LP; if its plug sessions overlap beyond a pool's size, choose sessions exactly.

The LP counts pool occupancy fractionally. When the interval colouring of its sessions finds a conflict, the
same model gets the session-choice binaries of :mod:`engine.schedule.sessions` and is solved as a MIP (with
the time limit; the best incumbent and its gap are reported). Its sessions always colour without conflict.
"""

from __future__ import annotations

from engine.domain import SolverInfo
from engine.schedule.assign import Session, assign_chargers
from engine.schedule.extract import Solution, read_solution, sessions_of
from engine.schedule.inputs import ScheduleInputs
from engine.schedule.model import create_model
from engine.schedule.session_start import session_start, start_arrays
from engine.schedule.sessions import SESSION_GAP, add_session_choice, needs_from
from engine.schedule.solve import solve
from engine.schedule.warm import WarmStart

SESSION_TIME_LIMIT = 60.0  # [s] default limit for the session MIP when the caller gives none


def _drop_conflicts(
    x: ScheduleInputs, time_limit: float | None, seconds: float, steps: list[dict]
) -> tuple[Solution, dict[Session, str], list[Session], SolverInfo, list[dict]]:
    """Physical fallback: close each conflicting session's pool for its dwell and re-solve the LP, until the
    colouring is clean. The energy those vehicles miss shows as shortfall; the closed sessions are returned."""
    m = create_model(x)
    dropped: list[Session] = []
    while True:
        info = solve(m, time_limit)
        seconds += info.seconds
        sol = read_solution(m, x)
        assigned, conflicts = assign_chargers(sessions_of(sol, x), x.pools)
        if not conflicts:
            break
        for s in conflicts:
            vi = next(v for v in x.vehicles if v.vehicle.id == s.vehicle_id)
            dwell = next((a, b) for a, b in vi.dwells() if a <= s.start < b)
            for t in range(*dwell):
                if (s.vehicle_id, s.pool, t) in m.p:
                    m.p[s.vehicle_id, s.pool, t].fix(0.0)
        dropped += conflicts
    steps.append({"step": "dropped_sessions", "sessions": [f"{s.vehicle_id}@{s.pool}" for s in dropped]})
    return sol, assigned, dropped, info.model_copy(update={"status": "feasible", "seconds": seconds}), steps


def double_plugged(sessions: list[Session]) -> list[Session]:
    """Sessions of one vehicle on different pools that overlap in time (the LP may time-share a slot between
    pools; a vehicle has one plug, so the session choice must pick one)."""
    by_vehicle: dict[str, list[Session]] = {}
    for s in sessions:
        by_vehicle.setdefault(s.vehicle_id, []).append(s)
    out = []
    for mine in by_vehicle.values():
        mine.sort(key=lambda s: (s.start, s.end, s.pool))
        reach = -1  # latest end so far
        for s in mine:
            if s.start < reach:
                out.append(s)
            reach = max(reach, s.end)
    return out


def plan_optimal(
    x: ScheduleInputs, time_limit: float | None = None, warm: WarmStart | None = None
) -> tuple[Solution, dict[Session, str], list[Session], SolverInfo, list[dict]]:
    """Solve, assign chargers and, if needed, choose sessions exactly. Returns solution, assignment, conflicts
    left (none unless the MIP found no incumbent in time: then the LP plan is kept and its conflicts
    reported), solver info (seconds summed) and steps for the trace. ``warm`` keeps the LP between calls
    (:mod:`engine.schedule.warm`)."""
    if warm is not None:
        m, solver = warm.model_for(x, create_model)
        info = solve(m, time_limit, lp=solver)
    else:
        m = create_model(x)
        info = solve(m, time_limit)
    if info.status not in ("optimal", "feasible"):
        raise RuntimeError(f"solver returned {info.status}")
    sol = read_solution(m, x)
    sessions = sessions_of(sol, x)
    assigned, conflicts = assign_chargers(sessions, x.pools)
    steps: list[dict] = []
    doubles = double_plugged(sessions)
    if conflicts or doubles:
        if warm is not None:
            warm.forget()  # the session binaries below change the model
        lp_objective = info.objective
        needs = needs_from(x, sol)
        add_session_choice(m, x, needs)
        start = session_start(m, x, needs, sol, SESSION_GAP)
        mip = solve(
            m,
            time_limit or SESSION_TIME_LIMIT,
            mip_gap=SESSION_GAP,
            start=None if start is None else start_arrays(m, start),
        )
        steps.append(
            {
                "step": "session_choice",
                "lp_conflicts": len(conflicts),
                "lp_double_plugged": len(doubles),
                "sessions": len(needs),
                "lp_objective": lp_objective,
                "start_source": None if start is None else start.source,
                "start_objective": None if start is None else start.objective,
                "start_seconds": None if start is None else start.seconds,
                "mip_objective": mip.objective,
                "mip_gap": mip.gap,
                "mip_status": mip.status,
                "mip_seconds": mip.seconds,
            }
        )
        if mip.status not in ("optimal", "feasible"):
            steps[-1]["fallback"] = "no session plan within the time limit: LP re-solved without conflicting sessions"
            return _drop_conflicts(x, time_limit, info.seconds + mip.seconds, steps)
        info = mip.model_copy(update={"seconds": info.seconds + mip.seconds})
        sol = read_solution(m, x)
        assigned, conflicts = assign_chargers(sessions_of(sol, x), x.pools)
    return sol, assigned, conflicts, info, steps
