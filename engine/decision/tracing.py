"""The typed trace of a decision (:class:`engine.results.Trace`), built from what each step of :func:`decide`
produced."""

from __future__ import annotations

from datetime import timedelta

from engine import __version__
from engine.decision.explain import constraint_costs, constraint_status, explain_vehicles
from engine.decision.fallbacks import Attempt
from engine.decision.identity import policy_directives_json
from engine.domain import PlanningProblem
from engine.policy.schema import Policy
from engine.results import BindingLimit, Plan, PolicyRef, SolverInfo, Trace, TripChoice, Violation
from engine.schedule.extract import Solution
from engine.schedule.inputs import ScheduleInputs
from engine.schedule.limits import Limit
from engine.schedule.optimal import SESSION_TIME_LIMIT


def build_trace(
    *,
    strategy: str,
    problem: PlanningProblem,
    phash: str,
    previous_hash: str,
    policy: Policy | None,
    policy_hash: str,
    attempt: Attempt,
    reassigned: bool,
    plan: Plan,
    violations: list[Violation],
    bills: dict[str, dict],
    fallbacks: list[dict],
    delays_min: dict[str, float],
    review: bool,
    time_limit: float | None,
    trip_assignment: dict[str, TripChoice] | None = None,
) -> Trace:
    """The trace of the attempt a decision keeps. ``reassigned``: a fallback gave trips to other vehicles."""
    x, sol, solver = attempt.x, attempt.sol, attempt.solver
    status_of = constraint_status(x, sol, attempt.constraints)
    limits = [binding_limit(x, lim) for lim in sol.limits]
    return Trace(
        engine_version=__version__,
        problem_hash=phash,
        strategy=strategy,
        weights=x.weights,
        objective_terms=sol.terms,
        bills=bills,
        repair_steps=attempt.steps,
        previous_plan_hash=previous_hash or None,
        notes={vi.vehicle.id: vi.notes for vi in x.vehicles if vi.notes},
        policy=None
        if policy is None
        else PolicyRef(
            name=policy.metadata.name, version=policy.metadata.version, mode=policy.mode.default, hash=policy_hash
        ),
        rules_fired=attempt.rules_fired,
        policy_directives=policy_directives_json(policy, problem),
        constraints=attempt.constraints,
        constraint_status=status_of,
        constraint_cost_usd=constraint_costs(x, sol, attempt.constraints),
        explanations=with_limits(explain_vehicles(x, plan, status_of, attempt.rules_fired, violations), x, sol, limits),
        binding_limits=limits,
        fallbacks=fallbacks,
        departure_targets=departure_targets(x),
        departure_delays_min=delays_min,
        trip_vehicles={t.id: t.vehicle_id for t in attempt.problem.trips} if reassigned else {},
        trip_assignment=trip_assignment or {},
        manual_review=review,
        replayable=solver.status != "time_limit",
        replayable_reason=not_replayable(solver, time_limit),
    )


def not_replayable(solver: SolverInfo, time_limit: float | None) -> str | None:
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


def _clock(x: ScheduleInputs, slot: int) -> str:
    """Local time of slot boundary ``slot``, HH:MM."""
    if slot < x.n_slots:
        return x.slot_starts[slot].strftime("%H:%M")
    return (x.slot_starts[-1] + timedelta(hours=x.dt_h)).strftime("%H:%M")


def binding_limit(x: ScheduleInputs, lim: Limit) -> BindingLimit:
    """A binding limit in the domain's words, e.g. "the 600 kW site limit of depot lax-1 at 18:00-19:00 is
    binding: 1 kW more would save $0.21"."""
    when = f"{_clock(x, lim.start)}-{_clock(x, lim.end)}"
    if lim.family == "site_limit":
        text = (
            f"the {lim.level:g} kW site limit of depot {lim.entity} at {when} is binding: "
            f"1 kW more would save ${lim.saving_usd:,.2f}"
        )
        unit = "kW over the window"
    else:
        text = (
            f"charger pool {lim.entity} ({lim.level:g} chargers) at {when} is full: "
            f"one more charger would save ${lim.saving_usd:,.2f}"
        )
        unit = "charger over the window"
    return BindingLimit(constraint=lim.name, value_usd_per_unit=lim.saving_usd, unit=unit, text=text)


def with_limits(explanations: dict[str, str], x: ScheduleInputs, sol: Solution, limits: list) -> dict[str, str]:
    """Each vehicle's explanation, followed by the most valuable limit it charges against (its depot's site limit
    or a pool it draws from, in a window where it draws power)."""
    if not sol.limits:
        return explanations
    out = dict(explanations)
    for vi in x.vehicles:
        v = vi.vehicle.id
        for lim, told in zip(sol.limits, limits, strict=True):  # worth most first
            pools = [g for g in sol.power[v] if lim.family == "site_limit" or g == lim.entity]
            here = lim.family == "pool_capacity" or lim.entity == vi.vehicle.depot_id
            if here and any(sol.power[v][g][lim.start : lim.end].max(initial=0.0) > 1e-6 for g in pools):
                out[v] = (out.get(v, "") + " " + told.text[0].upper() + told.text[1:] + ".").strip()
                break
    return out
