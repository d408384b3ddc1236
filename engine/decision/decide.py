"""From a problem to a Decision: run a strategy, assign chargers, cost the plan with the tariff's bill."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from pyomo.common.gc_manager import PauseGC

from engine import __version__
from engine.decision.depots import DepotJob, Submitter, decide_by_depot, depot_groups, solve_job
from engine.decision.directives import apply_directives
from engine.decision.explain import constraint_costs, constraint_status, explain_vehicles
from engine.decision.fallbacks import Attempt, ChainResult, Relaxations, is_infeasible, walk_chain
from engine.decision.identity import content_hash, decision_key, policy_directives_json, problem_hash
from engine.decision.stale_telemetry import apply_stale_telemetry
from engine.domain import (
    ChargeSession,
    CostSplit,
    Decision,
    Plan,
    PlanningProblem,
    SolverInfo,
    VehiclePlan,
    Violation,
)
from engine.optim.solve import SafetyNetFired, SolverFailed
from engine.optim.warm import WarmStart
from engine.policy.directives import Forbid, Prefer, evaluate_policy, policy_weights
from engine.policy.schema import Policy
from engine.schedule.assign import Session
from engine.schedule.baselines import simulate
from engine.schedule.extract import Solution
from engine.schedule.inputs import ScheduleInputs, build_inputs
from engine.schedule.optimal import SESSION_TIME_LIMIT, plan_optimal
from engine.schedule.stability import previous_power
from engine.schedule.weights import ObjectiveWeights
from engine.tariffs import Tariff, bill

STRATEGIES = ("optimal", "uncontrolled", "edf", "llf")


def plan_cost(x: ScheduleInputs, sol: Solution) -> tuple[CostSplit, dict[str, dict]]:
    """Cost split [$]: energy and demand from ``bill`` on each depot's site load (demand above the month-to-date
    peak only, unweighted: ``demand_weight`` is a preference of the objective, not money), wear and penalties
    from the plan. Also returns per-depot bill summaries for the trace."""
    w = x.weights
    energy = demand = 0.0
    bills = {}
    for d, di in sorted(x.depots.items()):
        load = pd.Series(np.maximum(sol.site_kw[d], 0.0), index=x.slot_starts)
        b = bill(load, di.tariff, step_minutes=x.dt_h * 60)
        mtd = {name: base for name, _r, _m, _mo, base in di.demand}
        inc = sum(
            line.rate * max(0.0, line.quantity - mtd.get(line.name, 0.0)) for line in b.lines if line.kind == "demand"
        )
        energy += b.energy_usd
        demand += inc  # money: the weight steers the optimiser, it does not change the bill
        bills[d] = {
            "energy_usd": b.energy_usd,
            "demand_usd_full": b.demand_usd,
            "demand_usd_above_mtd": inc,
            "peak_kw": float(load.max()),
        }
    dc = {p.id for p in x.pools if p.kind == "DC"}
    wear = sum(
        (w.wear_usd_per_kwh + (w.dc_wear_extra_usd_per_kwh if g in dc else 0.0)) * float(kw.sum()) * x.dt_h
        for pools in sol.power.values()
        for g, kw in pools.items()
    )
    pen = {(vi.vehicle.id, k): dep.penalty_usd_per_kwh for vi in x.vehicles for k, dep in enumerate(vi.departures)}
    penalty = sum(pen[k] * s for k, s in sol.short.items())
    penalty += w.over_limit_usd_per_kwh * x.dt_h * sum(float(o.sum()) for o in sol.over_kw.values())
    total = energy + demand + wear + penalty
    return CostSplit(energy_usd=energy, demand_usd=demand, wear_usd=wear, penalty_usd=penalty, total_usd=total), bills


def _violations(x: ScheduleInputs, sol: Solution, conflicts: list[Session]) -> list[Violation]:
    out = []
    for vi in x.vehicles:
        for k, dep in enumerate(vi.departures):
            lack = sol.short.get((vi.vehicle.id, k), 0.0)
            if lack > 1e-3:
                out.append(
                    Violation(
                        vehicle_id=vi.vehicle.id,
                        target=f"departure_target:{vi.vehicle.id}:{dep.trip.id}",
                        shortfall_kwh=lack,
                        reason=_why_short(x, vi, dep),
                    )
                )
    for s in conflicts:
        out.append(
            Violation(
                vehicle_id=s.vehicle_id,
                target=f"charger:{s.vehicle_id}:{s.pool}",
                shortfall_kwh=0.0,
                reason="no physical charger free for this session after repair",
            )
        )
    for d, over in sol.over_kw.items():
        if over.max() > 1e-6:
            out.append(
                Violation(
                    vehicle_id="*",
                    target=f"site_limit:{d}",
                    shortfall_kwh=float(over.sum() * x.dt_h),
                    reason=f"import above the {x.depots[d].grid_limit_kw:g} kW grid limit",
                )
            )
    return out


def _why_short(x: ScheduleInputs, vi, dep) -> str:
    if dep.use_kwh > vi.e_max_kwh + 1e-6:
        return (
            f"the trip needs {dep.use_kwh:.1f} kWh but the battery holds at most {vi.e_max_kwh:.1f} kWh: "
            "no charging plan can serve it"
        )
    slots_before = [t for t in vi.charge_slots if t < dep.slot]
    best = max(vi.pool_kw.values(), default=0.0) * vi.vehicle.charge_efficiency * x.dt_h * len(slots_before)
    need = dep.target_kwh - vi.e0_kwh
    if best + 1e-6 < need:
        return (
            f"needs {need:.1f} kWh but at most {best:.1f} kWh can be charged in the "
            f"{len(slots_before) * x.dt_h:.2f} h it is at the depot before departure"
        )
    return "site limit or charger capacity shared with other vehicles leaves too little energy before departure"


def build_plan(x: ScheduleInputs, sol: Solution, assigned: dict[Session, str], strategy: str) -> Plan:
    """The Plan of a solution."""
    starts = [t.to_pydatetime() for t in x.slot_starts]
    dt = timedelta(hours=x.dt_h)
    end_of = (starts[-1].astimezone(UTC) + dt).astimezone(starts[-1].tzinfo) if starts else x.problem.now
    by_vehicle: dict[str, list[tuple[Session, str]]] = {}
    for s, charger in sorted(assigned.items(), key=lambda kv: (kv[0].start, kv[0].pool, kv[0].vehicle_id)):
        by_vehicle.setdefault(s.vehicle_id, []).append((s, charger))
    vehicles = []
    for vi in x.vehicles:
        v = vi.vehicle.id
        kw = np.zeros(x.n_slots)
        for series in sol.power[v].values():
            kw += series
        sessions = []
        for s, charger in by_vehicle.get(v, []):
            drawn = sol.power[v].get(s.pool)  # a plugged vehicle may draw nothing (site limit)
            e = 0.0 if drawn is None else float(drawn[s.start : s.end].sum() * x.dt_h)
            sessions.append(
                ChargeSession(
                    charger_id=charger,
                    plug_in=starts[s.start],
                    plug_out=starts[s.end] if s.end < x.n_slots else end_of,
                    energy_kwh=e,
                )
            )
        soc = (sol.energy[v] / vi.vehicle.battery_kwh).tolist()
        at_dep = {d.trip.id: float(sol.energy[v][d.slot] / vi.vehicle.battery_kwh) for d in vi.departures}
        vehicles.append(
            VehiclePlan(
                vehicle_id=v,
                charger_id=sessions[0].charger_id if sessions else None,
                sessions=sessions,
                power_kw=kw.tolist(),
                soc=soc,
                soc_at_departure=at_dep,
                trip_ids=[d.trip.id for d in vi.departures],
            )
        )
    return Plan(
        strategy=strategy,
        slot_starts=starts,
        slot_minutes=round(x.dt_h * 60),
        vehicles=vehicles,
        site_load_kw=np.sum(list(sol.site_kw.values()), axis=0).tolist(),
        depot_load_kw={d: s.tolist() for d, s in sol.site_kw.items()},
        grid_limit_kw={d: di.grid_limit_kw for d, di in x.depots.items()},
        storage_kw={d: s.tolist() for d, s in sol.storage_kw.items()},
    )


def _attempt(
    problem: PlanningProblem,
    strategy: str,
    weights: ObjectiveWeights | None,
    tariff: Tariff | None,
    base: Path | None,
    previous: Plan | None,
    time_limit: float | None,
    policy: Policy | None,
    relax: Relaxations,
    warm: WarmStart | None = None,
    contention: str = "rounding",
) -> Attempt:
    """Evaluate the policy on ``problem``, apply its (relaxed) directives and run the strategy once. When HiGHS
    returns no plan (:class:`engine.optim.solve.SolverFailed`: infeasible, unbounded, the safety net fired) the EDF
    baseline stands in, recorded in the attempt's steps; an error while building the model is not a solver
    outcome and is raised (the API answers 500 with an error id, the CLI exits 1)."""
    directives, fired = ([], []) if policy is None else evaluate_policy(policy, problem)
    directives = relax.apply(directives)
    named = frozenset(d.charger for d in directives if isinstance(d, Forbid | Prefer) and d.charger)
    x = build_inputs(problem, weights, tariff, base, named)
    constraints = apply_directives(x, directives) if directives else {}
    if previous is not None:
        x.previous = previous_power(previous, x.slot_starts)
    steps: list[dict] = []
    if strategy == "optimal":
        try:
            sol, assigned, conflicts, solver, steps = plan_optimal(x, time_limit, warm, contention)
        except SolverFailed as err:  # HiGHS gave no plan; any other exception is a bug and propagates
            sol, assigned, conflicts = simulate(x, "edf")
            solver = SolverInfo(status="time_limit" if isinstance(err, SafetyNetFired) else "error", seconds=0.0)
            steps = [{"step": "solver_failed", "error": str(err), "fallback_strategy": "edf"}]
    else:
        sol, assigned, conflicts = simulate(x, strategy)
        solver = SolverInfo(status="not_applicable", seconds=0.0)
    return Attempt(problem, directives, fired, constraints, x, sol, assigned, conflicts, solver, steps)


def _not_replayable(solver: SolverInfo, time_limit: float | None) -> str | None:
    """Why the plan may differ on another machine: the wall-clock safety net stopped the solver (None if not)."""
    if solver.status != "time_limit":
        return None
    limit = time_limit or SESSION_TIME_LIMIT  # without the caller's net, only the session MIP reference has one
    return (
        f"the wall-clock safety net ({limit:g} s) stopped the solver: the plan is the best found by then and may "
        "differ on a faster or slower machine"
    )


def departure_targets(x: ScheduleInputs) -> dict[str, dict[str, float]]:
    """Vehicle id -> trip id -> SOC the plan aims for at departure [0-1], after policy directives."""
    return {
        vi.vehicle.id: {d.trip.id: round(d.target_kwh / vi.vehicle.battery_kwh, 6) for d in vi.departures}
        for vi in x.vehicles
        if vi.departures
    }


def lateness_usd(problem: PlanningProblem, delays_min: dict[str, float], policy: Policy | None) -> float:
    """Cost of delayed departures [$]: minutes late times the policy's ``late_usd_per_min`` for the priority."""
    if policy is None or not delays_min:
        return 0.0
    rate = policy.objective.late_usd_per_min
    priority = {t.id: t.priority for t in problem.trips}
    return sum(minutes * rate.get(priority[tid], 0.0) for tid, minutes in delays_min.items())


def decide(
    problem: PlanningProblem,
    strategy: str = "optimal",
    weights: ObjectiveWeights | None = None,
    tariff: Tariff | None = None,
    time_limit: float | None = None,
    base: Path | None = None,
    created: datetime | None = None,
    previous: Plan | None = None,
    policy: Policy | None = None,
    warm: WarmStart | None = None,
    contention: str = "rounding",
    executor: Submitter | None = None,
) -> Decision:
    """Plan ``problem`` with ``strategy`` and return the Decision (plan, cost, violations, solver, trace).

    With a policy: stale SOC readings are replaced as its ``stale_telemetry`` rule says, its rules become
    directives, and when hard targets cannot all hold its ``infeasible`` fallback chain is walked
    (:mod:`engine.decision.fallbacks`); every step is in ``trace.fallbacks``.

    The decision id is the content hash of problem, strategy, weights, previous plan and policy, so the same input
    gives the same decision. ``created`` defaults to now (UTC) and is the only field that differs between replays.
    ``warm`` (optional, caller-owned) keeps the LP between re-plans of one depot (:mod:`engine.optim.warm`).
    ``contention`` chooses how sessions are chosen where vehicles outnumber chargers
    (:func:`engine.schedule.optimal.plan_optimal`). ``time_limit`` [s] is a wall-clock safety net only: no
    plan depends on it unless it fires, and then ``solver.status`` is ``time_limit`` and ``trace.replayable``
    is false with the reason.

    Depots that share nothing are planned one group at a time (:mod:`engine.decision.depots`) and merged; the
    groups run on ``executor`` when given (a ``concurrent.futures`` process pool or a ``dask.distributed.Client``
    whose workers have one thread each: durable-rules must not evaluate two policies at once in one process),
    else one after the other here. The merged Decision is the same either way. With ``warm`` the problem is
    planned whole (the warm LP belongs to one depot).
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")
    job = DepotJob(problem, strategy, weights, tariff, time_limit, base, created, previous, policy, contention)
    groups = depot_groups(problem) if warm is None else [tuple(d.id for d in problem.depots)]
    if len(groups) > 1:
        return decide_by_depot(job, groups, executor)
    if executor is not None:
        return executor.submit(solve_job, job).result()
    with PauseGC():  # a model and a plan of many small objects, none garbage until the end: collect once after
        return _decide(
            problem, strategy, weights, tariff, time_limit, base, created, previous, policy, warm, contention
        )


def _decide(
    problem: PlanningProblem,
    strategy: str,
    weights: ObjectiveWeights | None,
    tariff: Tariff | None,
    time_limit: float | None,
    base: Path | None,
    created: datetime | None,
    previous: Plan | None,
    policy: Policy | None,
    warm: WarmStart | None,
    contention: str,
) -> Decision:
    """:func:`decide` after its argument check."""
    fallbacks: list[dict] = []
    review = False
    planned = problem
    if policy is not None:
        weights = policy_weights(policy, weights)
        planned, fallbacks, review = apply_stale_telemetry(problem, policy.stale_telemetry)

    def attempt(p: PlanningProblem, relax: Relaxations) -> Attempt:
        return _attempt(p, strategy, weights, tariff, base, previous, time_limit, policy, relax, None, contention)

    first = _attempt(
        planned, strategy, weights, tariff, base, previous, time_limit, policy, Relaxations(), warm, contention
    )
    chain = ChainResult(first, [], {}, False)
    if policy is not None and is_infeasible(first):
        chain = walk_chain(policy.fallbacks.get("infeasible", []), first, attempt)
        fallbacks += chain.steps
    review = review or chain.manual_review
    a = chain.attempt
    x, sol = a.x, a.sol
    cost, bills = plan_cost(x, sol)
    late = lateness_usd(a.problem, chain.delays_min, policy)
    if late:
        cost = cost.model_copy(update={"penalty_usd": cost.penalty_usd + late, "total_usd": cost.total_usd + late})
    violations = _violations(x, sol, a.conflicts)
    solver = a.solver
    solver_failed = any(step.get("step") == "solver_failed" for step in a.steps)  # an EDF plan stands in
    if solver_failed or a is not first or review:
        status = "fallback"
    else:
        status = "optimal" if solver.status == "optimal" else "feasible"
    plan = build_plan(x, sol, a.assigned, strategy)
    status_of = constraint_status(x, sol, a.constraints)
    phash = problem_hash(problem)
    prev_hash = content_hash(previous) if previous is not None else ""
    pol = "" if policy is None else content_hash(policy)
    trace = {
        "engine_version": __version__,
        "problem_hash": phash,
        "strategy": strategy,
        "weights": json.loads(x.weights.model_dump_json()),
        "objective_terms": sol.terms,
        "bills": bills,
        "repair_steps": a.steps,
        "previous_plan_hash": prev_hash or None,
        "notes": {vi.vehicle.id: vi.notes for vi in x.vehicles if vi.notes},
        "policy": None
        if policy is None
        else {
            "name": policy.metadata.name,
            "version": policy.metadata.version,
            "mode": policy.mode.default,
            "hash": pol,
        },
        "rules_fired": a.rules_fired,
        "policy_directives": policy_directives_json(policy, problem),
        "constraints": a.constraints,
        "constraint_status": status_of,
        "constraint_cost_usd": constraint_costs(x, sol, a.constraints),
        "explanations": explain_vehicles(x, plan, status_of, a.rules_fired, violations),
        "fallbacks": fallbacks,
        "departure_targets": departure_targets(x),
        "departure_delays_min": chain.delays_min,
        "trip_vehicles": {t.id: t.vehicle_id for t in a.problem.trips} if a.problem is not planned else {},
        "manual_review": review,
        "replayable": solver.status != "time_limit",
        "replayable_reason": _not_replayable(solver, time_limit),
    }
    return Decision(
        decision_id=decision_key(phash, strategy, content_hash(x.weights), prev_hash, pol),
        created=created or datetime.now(UTC),
        status=status,
        problem_id=problem.id,
        plan=plan,
        cost=cost,
        violations=violations,
        solver=solver,
        trace=trace,
    )
