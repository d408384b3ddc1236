"""The optimal strategy: solve the LP; if its plug sessions overlap beyond a pool's size, choose sessions.

The LP counts pool occupancy fractionally; its cost is the bound every plan is measured against. When the
interval colouring of its sessions finds a conflict, sessions are chosen by rounding and local search priced by
the same LP (:mod:`engine.schedule.contention`, the default: deterministic work limits, no clock), or by the
session-choice MIP of :mod:`engine.schedule.sessions` (a reference under a time limit). Either way the chosen
sessions colour onto physical chargers without conflict.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable

import pyomo.environ as pyo

from engine.optim.handover import HighsLP
from engine.optim.solve import SafetyNetFired, SolverFailed, solve
from engine.optim.warm import WarmStart
from engine.results import SolverInfo
from engine.schedule.assign import Session, assign_chargers
from engine.schedule.contention import Contention
from engine.schedule.extract import EPS_KW, Solution, read_solution, sessions_of
from engine.schedule.inputs import ScheduleInputs
from engine.schedule.limits import binding_limits
from engine.schedule.model import create_model
from engine.schedule.repair import around, kept_windows, repair_needs, short_departures
from engine.schedule.session_start import session_start, start_arrays
from engine.schedule.sessions import SESSION_GAP, Fixed, Need, add_session_choice, needs_from, occupied
from engine.schedule.warm_model import warm_model
from engine.schedule.windows import SessionSpace, Window, Windows

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


def double_plugged(sessions: list[Session], x: ScheduleInputs) -> list[Session]:
    """Sessions of one vehicle beyond its first in one dwell (on other pools, overlapping or not): a vehicle has
    one plug session per dwell, and the LP may time-share a slot between pools or switch pools within a dwell,
    so the session choice must pick one."""
    starts = {vi.vehicle.id: [a for a, _b in vi.dwells()] for vi in x.vehicles}
    seen: set[tuple[str, int]] = set()
    out = []
    for s in sorted(sessions, key=lambda s: (s.vehicle_id, s.start, s.end, s.pool)):
        dwell = (s.vehicle_id, bisect.bisect_right(starts[s.vehicle_id], s.start))
        if dwell in seen:
            out.append(s)
        seen.add(dwell)
    return out


CONTENTION_METHODS = ("rounding", "session_mip")


SHORT_TOLERANCE_KWH = 1e-3  # a departure this short or less counts as served [kWh]
MIP_NODES = 5_000  # node limit of the session MIP when it improves a rounding (its work limit) [-]


def _short_count(sol: Solution) -> int:
    """Departures short of their target by more than ``SHORT_TOLERANCE_KWH``."""
    return sum(v > SHORT_TOLERANCE_KWH for v in sol.short.values())


def _gap(objective: float | None, bound: float | None) -> float | None:
    """Relative gap of an objective to a lower bound [-] (None without both)."""
    if objective is None or bound is None:
        return None
    return max(0.0, objective - bound) / max(1.0, abs(objective))


def _min_power(
    m: pyo.ConcreteModel,
    lp: HighsLP,
    x: ScheduleInputs,
    time_limit: float | None,
    steps: list[dict],
    hold: Callable[[], None] | None = None,
) -> SolverInfo | None:
    """Chargers with a minimum power (``x.min_kw``): when the plan draws less than the minimum but more than nothing
    anywhere, their power columns become semi-continuous (0, or between the minimum and the maximum) and HiGHS
    re-solves the same model, node-limited (``MIP_NODES``), values loaded. None when nothing was below a minimum
    (only the chargers that need it are ever made semi-continuous). ``hold``, called first when a re-solve is due,
    confines power to session windows (:func:`_hold_own_sessions`): the columns alone know no sessions."""
    low = x.min_kw
    if not low:
        return None
    cols = [(var, low[v, g]) for (v, g, _t), var in m.p.items() if (v, g) in low and not var.fixed]
    below = sum(EPS_KW < (var.value or 0.0) < lo - 1e-6 for var, lo in cols)
    if not below:
        return None
    if hold is not None:
        hold()
    lp.make_semicontinuous([var for var, _lo in cols], [lo for _var, lo in cols])
    lp.highs.setOptionValue("mip_max_nodes", MIP_NODES)
    info = solve(m, time_limit, lp=lp)
    steps.append(
        {
            "step": "min_power",
            "columns": len(cols),
            "below_minimum": int(below),
            "status": info.status,
            "objective": info.objective,
            "seconds": info.seconds,
        }
    )
    if info.status not in ("optimal", "feasible"):
        raise SolverFailed(f"solver returned {info.status} with the chargers' minimum power")
    return info


def _hold_own_sessions(
    m: pyo.ConcreteModel, lp: HighsLP, x: ScheduleInputs, sol: Solution, sessions: list[Session]
) -> Callable[[], None]:
    """For the minimum-power step of a plan whose LP sessions colour cleanly: hold power to one window per dwell,
    the LP's own session's pool, so that moving power to slots where a charger can give its minimum never opens a
    second session (a vehicle on two pools in one dwell) or one with no charger left. On a pool no more vehicles
    can use than it has chargers the window is the whole dwell (a trickle may move anywhere in it); on a contended
    pool it is the LP's session grown round robin into chargers nobody holds (windows never exceed a pool's
    size, so they colour onto chargers). A dwell the LP does not charge stays without power."""

    def hold() -> None:
        space = SessionSpace(m, x, sol)
        windows: Windows = {}
        for k, need in enumerate(space.needs):
            a, b = need.dwell
            own = next((s for s in sessions if s.vehicle_id == need.vehicle and a <= s.start < b), None)
            if own is not None:
                whole = own.pool not in space.contended
                windows[k] = Window(own.pool, a if whole else own.start, b if whole else own.end)
        windows = space.grow(windows, space.occupancy(windows), sorted(windows))
        Contention(space, lp, None).hold(windows)

    return hold


def plan_optimal(
    x: ScheduleInputs,
    time_limit: float | None = None,
    warm: WarmStart | None = None,
    contention: str = "rounding",
) -> tuple[Solution, dict[Session, str], list[Session], SolverInfo, list[dict]]:
    """Solve, assign chargers and, if the LP's sessions conflict, choose sessions. Returns solution, assignment,
    conflicts left, solver info (seconds summed, ``bound`` the LP relaxation's cost, ``gap`` to it) and steps
    for the trace. ``warm`` keeps the LP between calls (:mod:`engine.optim.warm`).

    ``contention``: ``rounding`` (default; :mod:`engine.schedule.contention`, deterministic work limits) or
    ``session_mip`` (:mod:`engine.schedule.sessions`, the MIP over session options run to its gap under
    ``time_limit`` or ``SESSION_TIME_LIMIT``: a reference, decided by the clock when the limit fires).
    ``time_limit`` [s] is a safety net on every HiGHS run: when it fires, ``status`` is ``time_limit``."""
    if contention not in CONTENTION_METHODS:
        raise ValueError(f"unknown contention method {contention!r}; choose one of {', '.join(CONTENTION_METHODS)}")
    if warm is not None:
        m, lp = warm_model(warm, x)
    else:
        m = create_model(x)
        lp = HighsLP(m)
    info = solve(m, time_limit, lp=lp)
    if info.status not in ("optimal", "feasible"):
        if lp.stopped_by_clock:
            raise SafetyNetFired(f"the {time_limit:g} s safety net stopped the LP before it had a plan")
        raise SolverFailed(f"solver returned {info.status}")
    bound = info.objective if info.status == "optimal" else None
    clock = lp.stopped_by_clock
    sol = read_solution(m, x)
    sessions = sessions_of(sol, x)
    assigned, conflicts = assign_chargers(sessions, x.pools)
    steps: list[dict] = []
    doubles = double_plugged(sessions, x)
    if not conflicts and not doubles:
        status = "time_limit" if clock else info.status
        sol.limits = binding_limits(m, lp, x)
        gap = 0.0
        floor = _min_power(m, lp, x, time_limit, steps, _hold_own_sessions(m, lp, x, sol, sessions))
        if floor is not None:  # the LP's duals priced a plan below the chargers' minimum: none are kept
            if warm is not None:
                warm.forget()
            sol = read_solution(m, x)
            assigned, conflicts = assign_chargers(sessions_of(sol, x), x.pools)
            gap = _gap(floor.objective, bound)
            clock = clock or lp.stopped_by_clock
            status = "time_limit" if clock else ("optimal" if gap is not None and gap <= 1e-9 else "feasible")
            info = info.model_copy(update={"seconds": info.seconds + floor.seconds, "objective": floor.objective})
        return sol, assigned, conflicts, info.model_copy(update={"status": status, "bound": bound, "gap": gap}), steps
    if warm is not None:
        warm.forget()  # the session choice below changes the model's bounds or adds binaries
    if contention == "session_mip":
        return _session_mip(
            m, x, sol, info, bound, time_limit or SESSION_TIME_LIMIT, len(conflicts), len(doubles), steps
        )
    t0 = time.perf_counter()
    search = Contention(SessionSpace(m, x, sol), lp, bound, time_limit)
    found = search.solve()
    if found is None:
        steps.append({"step": "session_rounding", "fallback": "no window set priced: conflicting sessions dropped"})
        return _drop_conflicts(x, time_limit, info.seconds + time.perf_counter() - t0, steps)
    prices = search.prices  # the search's own; the re-solve below only restores its best plan in HiGHS
    if search.last_priced != found.windows:
        search.price_again(found.windows)  # from the optimal basis kept for it: no iterations
    lp.load_values()
    clock = clock or search.clock_stopped
    seconds = time.perf_counter() - t0
    rounded = read_solution(m, x)
    rounded.limits = binding_limits(m, lp, x)  # the LP with the chosen sessions fixed: its duals price the limits
    short = short_departures(rounded, sol)
    if short:
        # departures the relaxation serves are left short: the session MIP over the dwells around them, every
        # other window kept (engine.schedule.repair), from the rounding itself and with a node limit, as the
        # improvement step, on a model of its own (it fixes power and adds binaries); no clock unless the
        # caller set a safety net. The cheaper of the two plans stands.
        chosen = around(search.space, found.windows, short)
        lp_info = info.model_copy(update={"seconds": 0.0})
        mip_sol, mip_assigned, mip_left, mip_info, steps = _session_mip(
            create_model(x),
            x,
            sol,
            lp_info,
            bound,
            time_limit,
            len(conflicts),
            len(doubles),
            steps,
            repair_needs(search.space, found.windows, chosen, sol),
            kept_windows(search.space, found.windows, chosen),
        )
        if mip_info.objective is not None and mip_info.objective < found.objective - 1e-9 and not mip_left:
            steps[-1]["rounding_objective"] = found.objective
            steps[-1]["rounding_source"] = found.source
            mip_info = mip_info.model_copy(update={"seconds": info.seconds + time.perf_counter() - t0})
            return mip_sol, mip_assigned, mip_left, mip_info, steps
        steps.pop()
        seconds = time.perf_counter() - t0  # the improvement step's time counts though its plan lost
    steps.append(
        {
            "step": "session_rounding",
            "lp_conflicts": len(conflicts),
            "lp_double_plugged": len(doubles),
            "sessions": len(search.space.needs),
            "lp_objective": bound,
            "source": found.source,
            "objective": found.objective,
            "lp_prices": prices,
            "lp_prices_from_scratch": search.from_scratch,
            "seconds": seconds,
            "history": search.history,
            "relaxation_short_departures": _short_count(sol),
            "short_departures": _short_count(rounded),
        }
    )
    objective = found.objective
    floor = _min_power(m, lp, x, time_limit, steps)
    if floor is not None:  # inside the chosen windows, each slot 0 or at least the charger's minimum
        rounded = read_solution(m, x)
        objective, seconds = floor.objective, seconds + floor.seconds
        clock = clock or lp.stopped_by_clock
    assigned, conflicts = assign_chargers(sessions_of(rounded, x), x.pools)
    gap = _gap(objective, bound)
    status = "time_limit" if clock else ("optimal" if gap is not None and gap <= 1e-9 else "feasible")
    info = SolverInfo(status=status, gap=gap, seconds=info.seconds + seconds, objective=objective, bound=bound)
    return rounded, assigned, conflicts, info, steps


def _session_mip(
    m: pyo.ConcreteModel,
    x: ScheduleInputs,
    sol: Solution,
    info: SolverInfo,
    bound: float | None,
    time_limit: float | None,
    n_conflicts: int,
    n_doubles: int,
    steps: list[dict],
    needs: list[Need] | None = None,
    fixed: Fixed | None = None,
) -> tuple[Solution, dict[Session, str], list[Session], SolverInfo, list[dict]]:
    """The session-choice MIP (:mod:`engine.schedule.sessions`) from its heuristic start, node-limited
    (``MIP_NODES``), under the wall clock ``time_limit`` [s] if one is given. ``needs``: the dwells that get
    binaries (default: every dwell the LP charges); ``fixed``: windows the others keep."""
    needs = needs_from(x, sol) if needs is None else needs
    add_session_choice(m, x, needs, fixed)
    start = session_start(m, x, needs, sol, SESSION_GAP, occupied(fixed or {}))
    mip_lp = HighsLP(m)
    mip_lp.highs.setOptionValue("mip_max_nodes", MIP_NODES)
    low = [(var, x.min_kw[v, g]) for (v, g, _t), var in m.p.items() if (v, g) in x.min_kw and not var.fixed]
    if low:  # a MIP already: the chargers' minimum power joins it as semi-continuous columns
        mip_lp.make_semicontinuous([var for var, _lo in low], [lo for _var, lo in low])
    mip = solve(
        m,
        time_limit,
        mip_gap=SESSION_GAP,
        lp=mip_lp,
        start=None if start is None else start_arrays(m, start),
    )
    steps.append(
        {
            "step": "session_choice",
            "lp_conflicts": n_conflicts,
            "lp_double_plugged": n_doubles,
            "sessions": len(needs),
            "sessions_kept": len(fixed or {}),
            "lp_objective": info.objective,
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
    info = mip.model_copy(
        update={
            "status": "time_limit" if mip_lp.stopped_by_clock else mip.status,
            "seconds": info.seconds + mip.seconds,
            "bound": bound,
            "gap": _gap(mip.objective, bound),
        }
    )
    sol = read_solution(m, x)
    assigned, conflicts = assign_chargers(sessions_of(sol, x), x.pools)
    return sol, assigned, conflicts, info, steps
