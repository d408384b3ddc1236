"""Independent depots: split a problem into one problem per group of depots that share nothing, and merge the
Decisions planned for them into one.

Two depots are coupled, and planned together, when a trip leaves from one with a vehicle homed at the other, a
trip ends at one (``to_site``: a terminal layover) with a vehicle homed at the other, a vehicle's state places it
at or names a charger at another depot, or a shift covers trips of both. Everything else in the model is per
depot: a vehicle charges only at the sites where it dwells, each depot has its own grid limit,
tariff bill and demand peaks, policy rules judge one vehicle, trip or charger at a time, and fallback actions
(delay a departure, give a trip to an idle vehicle of its depot) stay inside the depot. So the objective is a sum
over groups and each group can be solved on its own: in this process, in a process pool or on a Dask cluster.

:func:`decide_by_depot` runs the groups (each a :class:`DepotJob`, :func:`solve_job` on a worker) and merges
them. The merged Decision is built from the groups' Decisions only (in group order, groups in the order of their
first depot in the problem), so it is the same whichever executor solved them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from engine.decision.identity import content_hash, decision_key, policy_directives_json, problem_hash
from engine.domain import PlanningProblem
from engine.errors import InputError, Problem
from engine.policy.schema import Policy
from engine.results import CostSplit, Decision, DepotGroup, Plan, SolverInfo, Trace
from engine.schedule.inputs import SiteTariffs
from engine.weights import ObjectiveWeights

STATUS_ORDER = ("optimal", "feasible", "fallback", "infeasible", "error")  # best first


class Submitter(Protocol):
    """What runs the groups: ``concurrent.futures.Executor`` or ``dask.distributed.Client`` (both ``submit``
    a function with its arguments and return a future with ``result()``)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Any: ...


def depot_groups(problem: PlanningProblem) -> list[tuple[str, ...]]:
    """Groups of depot ids that must be planned together (see module doc), each in problem order, the groups
    ordered by their first depot."""
    order = {d.id: i for i, d in enumerate(problem.depots)}
    parent = {d: d for d in order}

    def root(d: str) -> str:
        while parent[d] != d:
            parent[d] = parent[parent[d]]
            d = parent[d]
        return d

    def join(a: str, b: str) -> None:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb, key=order.get)] = min(ra, rb, key=order.get)

    home = {v.id: v.depot_id for v in problem.vehicles}
    charger_depot = {c.id: c.depot_id for c in problem.chargers}
    trip_depot = {t.id: t.depot_id for t in problem.trips}
    for t in problem.trips:
        if t.vehicle_id is not None:
            join(t.depot_id, home[t.vehicle_id])
            if t.to_site is not None:  # it dwells and charges there: the sites share the vehicle
                join(t.to_site, home[t.vehicle_id])
    for s in problem.states:
        if s.charger_id is not None:
            join(home[s.vehicle_id], charger_depot[s.charger_id])
        if s.at_depot and s.depot_id:
            join(home[s.vehicle_id], s.depot_id)
    for sh in problem.shifts:
        for tid in sh.trip_ids:
            if tid in trip_depot:
                join(sh.depot_id, trip_depot[tid])
    groups: dict[str, list[str]] = {}
    for d in order:
        groups.setdefault(root(d), []).append(d)
    return [tuple(g) for g in sorted(groups.values(), key=lambda g: order[g[0]])]


def depot_problem(problem: PlanningProblem, depots: tuple[str, ...]) -> PlanningProblem:
    """The part of ``problem`` at ``depots``: their depots, vehicles, chargers, trips, shifts and the vehicles'
    states (same id, time, horizon and tariff)."""
    keep = set(depots)
    vehicles = [v for v in problem.vehicles if v.depot_id in keep]
    ids = {v.id for v in vehicles}
    return problem.model_copy(
        update={
            "depots": [d for d in problem.depots if d.id in keep],
            "vehicles": vehicles,
            "chargers": [c for c in problem.chargers if c.depot_id in keep],
            "trips": [t for t in problem.trips if t.depot_id in keep],
            "shifts": [s for s in problem.shifts if s.depot_id in keep],
            "states": [s for s in problem.states if s.vehicle_id in ids],
            "pins": [p for p in problem.pins if p.vehicle_id in ids],
        }
    )


def depot_plan(plan: Plan, problem: PlanningProblem) -> Plan:
    """The part of a (previous) plan for the vehicles and depots of ``problem``."""
    ids = {v.id for v in problem.vehicles}
    depots = {d.id for d in problem.depots}
    loads = {d: s for d, s in plan.depot_load_kw.items() if d in depots}
    site = np.sum(list(loads.values()), axis=0).tolist() if loads else [0.0] * len(plan.slot_starts)
    return plan.model_copy(
        update={
            "vehicles": [vp for vp in plan.vehicles if vp.vehicle_id in ids],
            "depot_load_kw": loads,
            "site_load_kw": site,
            "grid_limit_kw": {d: kw for d, kw in plan.grid_limit_kw.items() if d in depots},
            "storage_kw": {d: s for d, s in plan.storage_kw.items() if d in depots},
        }
    )


def merged_solver(parts: list[SolverInfo], seconds: float) -> SolverInfo:
    """One SolverInfo for the groups: objectives and bounds add up (a sum of lower bounds bounds the sum),
    the gap is the sum's; the status is the weakest (``time_limit`` or ``error`` in any group wins, optimal
    only if every group is). ``seconds`` [s]: wall time of the whole split solve."""
    statuses = {p.status for p in parts}
    status = next(
        (s for s in ("error", "time_limit") if s in statuses),
        "optimal" if statuses == {"optimal"} else ("not_applicable" if statuses == {"not_applicable"} else ""),
    )
    status = status or "feasible"
    objective = None if any(p.objective is None for p in parts) else sum(p.objective for p in parts)
    bound = None if any(p.bound is None for p in parts) else sum(p.bound for p in parts)
    gap = None if objective is None or bound is None else max(0.0, objective - bound) / max(1.0, abs(objective))
    return SolverInfo(status=status, gap=gap, seconds=seconds, objective=objective, bound=bound)


def _merged_plan(problem: PlanningProblem, plans: list[Plan]) -> Plan:
    by_vehicle = {vp.vehicle_id: vp for p in plans for vp in p.vehicles}
    first = plans[0]
    loads = {d: s for p in plans for d, s in p.depot_load_kw.items()}
    return first.model_copy(
        update={
            "vehicles": [by_vehicle[v.id] for v in sorted(problem.vehicles, key=lambda v: v.id)],
            "site_load_kw": np.sum([p.site_load_kw for p in plans], axis=0).tolist(),
            "depot_load_kw": {d.id: loads[d.id] for d in problem.depots},
            "grid_limit_kw": {d: kw for p in plans for d, kw in p.grid_limit_kw.items()},
            "storage_kw": {d: s for p in plans for d, s in p.storage_kw.items()},
        }
    )


def _merged_cost(costs: list[CostSplit]) -> CostSplit:
    money = {f: sum(getattr(c, f) for c in costs) for f in CostSplit.model_fields if f != "currency"}
    currencies = {c.currency for c in costs}
    if len(currencies) > 1:
        raise InputError(
            [Problem(f"depots are billed in different currencies ({', '.join(sorted(currencies))})", "tariff")]
        )
    return CostSplit(**money, currency=currencies.pop())


def _merged_trace(groups: list[tuple[str, ...]], parts: list[Decision]) -> Trace:
    """The groups' traces as one: per-vehicle and per-depot tables joined, lists tagged with their depots,
    objective terms added up; what describes the whole problem is left to the caller."""
    traces = [d.trace for d in parts]

    def joined(key: str) -> dict:
        return {k: v for t in traces for k, v in getattr(t, key).items()}

    def tagged(key: str) -> list:
        return [{**item, "depots": list(g)} for g, t in zip(groups, traces, strict=True) for item in getattr(t, key)]

    terms: dict[str, float] = {}
    for t in traces:
        for k, v in t.objective_terms.items():
            terms[k] = terms.get(k, 0.0) + v
    reasons = [
        f"depots {', '.join(g)}: {t.replayable_reason}"
        for g, t in zip(groups, traces, strict=True)
        if t.replayable_reason
    ]
    return traces[0].model_copy(
        update={
            "objective_terms": terms,
            "bills": joined("bills"),
            "repair_steps": tagged("repair_steps"),
            "notes": joined("notes"),
            "rules_fired": sorted((r for t in traces for r in t.rules_fired), key=lambda r: (r.rule, r.entity)),
            "constraints": joined("constraints"),
            "constraint_status": joined("constraint_status"),
            "constraint_cost_usd": joined("constraint_cost_usd"),
            "explanations": joined("explanations"),
            "binding_limits": sorted(
                (b for t in traces for b in t.binding_limits), key=lambda b: (-abs(b.value_usd_per_unit), b.constraint)
            ),
            "fallbacks": tagged("fallbacks"),
            "departure_targets": joined("departure_targets"),
            "departure_delays_min": joined("departure_delays_min"),
            "trip_vehicles": joined("trip_vehicles"),
            "trip_assignment": joined("trip_assignment"),
            "trip_routes": joined("trip_routes"),
            "manual_review": any(t.manual_review for t in traces),
            "replayable": all(t.replayable for t in traces),
            "replayable_reason": "; ".join(reasons) or None,
            "depot_groups": [
                DepotGroup(
                    depots=list(g),
                    status=d.status,
                    solver=d.solver,
                    bill_usd=d.cost.bill_usd,
                    objective_usd=d.cost.objective_usd,
                )
                for g, d in zip(groups, parts, strict=True)
            ],
        }
    )


def merge_decisions(
    problem: PlanningProblem, groups: list[tuple[str, ...]], parts: list[Decision], seconds: float
) -> Decision:
    """One Decision for ``problem`` from the Decisions of its depot groups (same order as ``groups``). The
    caller sets the decision id and the trace fields that describe the whole problem (hash, directives)."""
    status = max((d.status for d in parts), key=STATUS_ORDER.index)
    return Decision(
        decision_id="",
        created=parts[0].created,
        status=status,
        problem_id=problem.id,
        plan=_merged_plan(problem, [d.plan for d in parts]),
        cost=_merged_cost([d.cost for d in parts]),
        violations=[v for d in parts for v in d.violations],
        solver=merged_solver([d.solver for d in parts], seconds),
        trace=_merged_trace(groups, parts),
    )


@dataclass(frozen=True)
class DepotJob:
    """The arguments of :func:`decide` for one problem, as one picklable object for an executor."""

    problem: PlanningProblem
    strategy: str
    weights: ObjectiveWeights | None
    tariff: SiteTariffs
    time_limit: float | None
    base: Path | None
    created: datetime | None
    previous: Plan | None
    policy: Policy | None
    contention: str


def solve_job(job: DepotJob) -> Decision:
    """:func:`~engine.decision.decide.decide` on a job's problem, in this process (what an executor's worker
    runs)."""
    from engine.decision.decide import decide  # decide imports this module: resolved when a job runs

    return decide(
        job.problem,
        job.strategy,
        job.weights,
        job.tariff,
        job.time_limit,
        job.base,
        job.created,
        job.previous,
        job.policy,
        contention=job.contention,
    )


def decide_by_depot(job: DepotJob, groups: list[tuple[str, ...]], executor: Submitter | None) -> Decision:
    """Plan each depot group of ``job.problem`` (on ``executor`` if given) and merge the Decisions."""
    started = time.perf_counter()
    created = job.created or datetime.now(UTC)  # one creation time for every group
    jobs = []
    for g in groups:
        part = depot_problem(job.problem, g)
        previous = None if job.previous is None else depot_plan(job.previous, part)
        jobs.append(replace(job, problem=part, previous=previous, created=created))
    if executor is None:
        parts = [solve_job(j) for j in jobs]
    else:
        futures = [executor.submit(solve_job, j) for j in jobs]
        parts = [f.result() for f in futures]
    merged = merge_decisions(job.problem, groups, parts, time.perf_counter() - started)
    policy, problem = job.policy, job.problem
    weights = merged.trace.weights
    phash = problem_hash(problem)
    prev_hash = "" if job.previous is None else content_hash(job.previous)
    pol = "" if policy is None else content_hash(policy)
    trace = merged.trace.model_copy(
        update={
            "problem_hash": phash,
            "previous_plan_hash": prev_hash or None,
            "policy_directives": policy_directives_json(policy, problem),
        }
    )
    return merged.model_copy(
        update={"decision_id": decision_key(phash, job.strategy, content_hash(weights), prev_hash, pol), "trace": trace}
    )
