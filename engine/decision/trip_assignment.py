"""Vehicle-to-trip assignment: which vehicle covers each trip the input leaves unpinned, chosen jointly with charging.

With the policy's ``assignment.enabled``, the unpinned trips (``vehicle_id`` empty) become candidates of the
vehicles free for them (:mod:`engine.schedule.trip_cover`) in the same charging model the plan uses: depot limit,
tariff, chargers, each vehicle's energy carried from trip to trip. HiGHS chooses the assignment and the charging
together (a MIP over the candidate binaries, fixed seed, one thread, no clock: the same input gives the same
assignment). The chosen vehicles are then written into the trips and the problem is planned as if the input had
pinned them, so everything downstream (session choice, fallbacks, explanations) sees an ordinary problem.

Every trip gets a :class:`engine.results.TripChoice` in ``trace.trip_assignment``: pinned trips say so, chosen
ones name the candidates and why the others at the depot were not, uncovered ones say why. With assignment off,
unpinned trips are listed there as not planned (and as violations), never dropped silently.

Up to ``JOINT_MAX_BINARIES`` candidate pairs the joint model chooses (exact, slow beyond that: 85 pairs took 9 s);
above it the slot-free energy-chain model (:mod:`engine.schedule.trip_chain`), which knows each vehicle's charging
time and battery but not the site limit slot by slot or the tariff. ``step["method"]`` says which.

On the joint path, with the assignment pinned the first plan is the assignment model's own optimum, so the plan is
never worse than any pinned assignment of the same trips to the candidates (to HiGHS' gap ``ASSIGNMENT_GAP``),
where charging needs no session choice (plugs at least vehicles) and no per-trip SOC rule applies: the policy's
rules are evaluated on the pinned trips while choosing, and on all trips once they are assigned.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from engine.decision.directives import apply_directives
from engine.decision.routes import route_pairings
from engine.domain import PlanningProblem
from engine.optim.solve import SolverFailed, solve
from engine.policy.directives import Forbid, Prefer, evaluate_policy
from engine.policy.schema import Policy
from engine.results import TripChoice, Violation
from engine.schedule.extract import Solution
from engine.schedule.inputs import ScheduleInputs, SiteTariffs, build_inputs
from engine.schedule.model import create_model
from engine.schedule.trip_chain import chain_model
from engine.schedule.trip_cover import CoverRules, TripOptions, add_candidates, cover_sets
from engine.weights import ObjectiveWeights

ASSIGNMENT_GAP = 1e-6  # relative MIP gap the joint assignment is solved to [-]
JOINT_MAX_BINARIES = 60  # above this many candidate pairs the energy-chain model chooses (trip_chain.py) [-]
CHAIN_GAP = 1e-4  # relative MIP gap of the energy-chain model [-]


def _excluded(options: TripOptions) -> str:
    """'2 not free (on a pinned trip), 1 not allowed (class box_truck)' style summary of the non-candidates."""
    parts = [
        f"{len(ids)} {why} ({', '.join(ids[:3])}{', ...' if len(ids) > 3 else ''})"
        for why, ids in options.excluded.items()
    ]
    return "; ".join(parts)


def _unassigned(problem: PlanningProblem, reason: str) -> dict[str, TripChoice]:
    return {
        t.id: TripChoice(vehicle_id=None, pinned=False, reason=reason) for t in problem.trips if t.vehicle_id is None
    }


def assign_trips(
    problem: PlanningProblem,
    policy: Policy | None,
    weights: ObjectiveWeights | None,
    tariff: SiteTariffs,
    base: Path | None,
) -> tuple[PlanningProblem, dict[str, TripChoice], dict | None]:
    """The problem with every unpinned trip given the vehicle the assignment chose (trips nobody can take stay
    unpinned), the choice per trip and the assignment step for the trace (solver info, ``objective`` [$] including
    ``uncovered_usd`` [$], what the uncovered trips cost there; None when nothing was to be chosen)."""
    unpinned = [t for t in problem.trips if t.vehicle_id is None]
    if not unpinned:
        return problem, {}, None
    if policy is None or not policy.assignment.enabled:
        why = "no vehicle named and assignment is off (policy assignment.enabled): the trip is not planned"
        return problem, _unassigned(problem, why), None
    rules = policy.assignment
    pinned = problem.model_copy(update={"trips": [t for t in problem.trips if t.vehicle_id is not None]})
    directives, _fired = evaluate_policy(policy, pinned)
    named = frozenset(d.charger for d in directives if isinstance(d, Forbid | Prefer) and d.charger)
    x = build_inputs(pinned, weights, tariff, base, named)
    if directives:
        apply_directives(x, directives)
    together = {s.id: tuple(s.trip_ids) for s in problem.shifts} if rules.keep_shifts else {}
    routed = route_pairings(problem, unpinned, policy.routing)
    cover = CoverRules(
        timedelta(minutes=rules.turnaround_minutes),
        rules.max_candidates,
        together,
        routed.drives,
        routed.refused,
        routed.stops_usd,
    )
    options = add_candidates(x, unpinned, cover)
    binaries = sum(len(vi.candidates) for vi in x.vehicles)
    joint = binaries <= JOINT_MAX_BINARIES
    sets = cover_sets(x)
    if joint:
        m = create_model(x)
        y, gap = m.y, ASSIGNMENT_GAP
    else:
        m = chain_model(x, sets)
        y, gap = m.x, CHAIN_GAP
    info = solve(m, mip_gap=gap)
    if info.status not in ("optimal", "feasible"):
        raise SolverFailed(f"the assignment model returned {info.status}")
    step = {
        "step": "trip_assignment",
        "method": "joint" if joint else "energy_chain",
        **info.model_dump(),
        "uncovered_usd": sum(sets.whole_usd(k) * (u.value or 0.0) for k, u in m.unserved.items()),
        "candidates": binaries,
        "trips": len(unpinned),
    }
    chosen = {k: v for (v, k), var in y.items() if (var.value or 0.0) > 0.5}
    out: dict[str, TripChoice] = {
        t.id: TripChoice(vehicle_id=t.vehicle_id, pinned=True, reason="named in the input") for t in pinned.trips
    }
    for o in options:
        k = o.trip.id
        others = _excluded(o)
        if o.note:
            out[k] = TripChoice(vehicle_id=None, pinned=False, reason=o.note)
        elif k in chosen:
            reason = f"{chosen[k]} of {len(o.candidates)} candidate(s), chosen with the charging plan at least cost"
            out[k] = TripChoice(
                vehicle_id=chosen[k],
                pinned=False,
                candidates=o.candidates,
                reason=reason + (f"; not: {others}" if others else ""),
            )
        else:
            lead = (
                "no vehicle free for it"
                if not o.candidates
                else "left uncovered: every candidate is worth more elsewhere"
            )
            out[k] = TripChoice(
                vehicle_id=None, pinned=False, candidates=o.candidates, reason=lead + (f"; {others}" if others else "")
            )
    trips = [
        t if t.vehicle_id is not None or t.id not in chosen else t.model_copy(update={"vehicle_id": chosen[t.id]})
        for t in problem.trips
    ]
    return problem.model_copy(update={"trips": trips}), out, step


def uncovered_trips(problem: PlanningProblem, choices: dict[str, TripChoice]) -> list[Violation]:
    """A violation per trip no vehicle covers (``trip_cover:<trip>``), short by the energy it needs (P50)."""
    trips = {t.id: t for t in problem.trips}
    return [
        Violation(vehicle_id="*", target=f"trip_cover:{k}", shortfall_kwh=trips[k].energy_kwh_p50, reason=c.reason)
        for k, c in sorted(choices.items())
        if c.vehicle_id is None and k in trips and not c.reason.startswith(("departed", "leaves after"))
    ]


def with_planned_energy(choices: dict[str, TripChoice], x: ScheduleInputs, sol: Solution) -> dict[str, TripChoice]:
    """The choices with the energy each covered trip leaves with in the final plan, and its target [kWh]."""
    if not choices:
        return choices
    at: dict[str, tuple[float, float]] = {}
    for vi in x.vehicles:
        for dep in vi.departures:
            if dep.use_kwh > 0 or dep.slot < x.n_slots:  # a beyond-horizon target is not the trip's departure
                at[dep.trip.id] = (float(sol.energy[vi.vehicle.id][dep.slot]), dep.target_kwh)
    out = {}
    for k, c in choices.items():
        if c.vehicle_id is not None and k in at:
            energy, target = at[k]
            c = c.model_copy(update={"energy_at_departure_kwh": round(energy, 3), "target_kwh": round(target, 3)})
        out[k] = c
    return out
