"""Fallback chains: what the engine does when a policy's hard targets cannot all hold.

The ``infeasible`` event fires when a plan leaves a hard departure target short (a departure shaped by a
``hard: true`` SOC rule) or a session without a physical charger. The engine then walks the policy's chain for
that event in order. When the problem has a charger out of service (faulted or offline, as the charger itself
reported), the ``charger_unavailable`` event comes first: its chain is walked, and the ``infeasible`` chain only
if that one leaves the plan infeasible, keeping what the first lifted. Each action changes the directives or the problem; the plan is re-solved and the step
(action, what changed, hard shortfall before and after) is written to ``trace.fallbacks``. An action that
changes nothing is recorded as skipped; one that does not reduce the hard shortfall is recorded and undone (a
needless departure delay or vehicle swap is a cost, not a fix). The walk ends at the first plan without a hard
violation, at ``manual_review`` (the decision is flagged for a person), or when the chain runs out.

Actions (their effect, cumulative along the chain):

- ``relax_to_penalty``: hard SOC rules become soft: their shortfall costs the priority's penalty, not 100x it.
  No hard target is left, so the chain ends; the shortfall stays listed as a violation.
- ``allow_dc_fast``: policy rules that forbid DC chargers are lifted for every vehicle.
- ``next_best_charger``: every charger rule that forbids a charger to a short vehicle is lifted for it, so it
  may use any compatible charger at its depot.
- ``delay_departure(N)``: each short trip leaves later by the time its charger needs for the shortfall,
  ``ceil(shortfall / (max kW * efficiency) / slot) * slot`` [min], at most N minutes and never into the
  vehicle's next trip; its return moves by the same delay. Lateness is priced by the policy's
  ``late_usd_per_min`` for the trip's priority.
- ``swap_vehicle``: each short trip goes to the idle vehicle at its depot (class allowed, no trip of its own
  overlapping) holding the most energy now, if it holds more than the short vehicle. The policy is evaluated
  again on the changed assignment.
- ``manual_review``: stop; the decision goes to a dispatcher.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta

from engine.domain import PlanningProblem
from engine.policy.directives import Directive, Forbid, MinSoc
from engine.policy.schema import parse_action
from engine.results import SolverInfo
from engine.schedule.assign import Session
from engine.schedule.extract import Solution
from engine.schedule.inputs import ScheduleInputs

HARD_TOLERANCE_KWH = 1e-3


@dataclass(frozen=True)
class Relaxations:
    """What the chain has lifted so far."""

    soft_hard_rules: bool = False
    allow_dc: bool = False
    any_charger_for: frozenset[str] = frozenset()  # vehicle ids

    def apply(self, directives: list[Directive]) -> list[Directive]:
        """The directives with the lifted ones removed or softened."""
        out: list[Directive] = []
        for d in directives:
            if isinstance(d, MinSoc) and d.hard and self.soft_hard_rules:
                d = replace(d, hard=False)
            if isinstance(d, Forbid) and ((self.allow_dc and d.kind == "DC") or d.vehicle_id in self.any_charger_for):
                continue
            out.append(d)
        return out


@dataclass
class Attempt:
    """One solve: the problem and directives it used and what came out."""

    problem: PlanningProblem
    directives: list[Directive]
    rules_fired: list[dict]
    constraints: dict[str, list[str]]
    x: ScheduleInputs
    sol: Solution
    assigned: dict[Session, str]
    conflicts: list[Session]
    solver: SolverInfo
    steps: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class Shortfall:
    """A hard departure target the plan misses."""

    vehicle_id: str
    trip_id: str
    kwh: float


def hard_shortfalls(a: Attempt) -> list[Shortfall]:
    """Hard departure targets missed by more than the tolerance, in vehicle order."""
    out = []
    for vi in a.x.vehicles:
        for k, dep in enumerate(vi.departures):
            lack = a.sol.short.get((vi.vehicle.id, k), 0.0)
            if dep.hard and lack > HARD_TOLERANCE_KWH:
                out.append(Shortfall(vi.vehicle.id, dep.trip.id, lack))
    return out


def is_infeasible(a: Attempt) -> bool:
    """Whether the ``infeasible`` event fires: a hard target short or a session without a charger."""
    return bool(hard_shortfalls(a) or a.conflicts)


def _total(a: Attempt) -> float:
    return sum(s.kwh for s in hard_shortfalls(a)) + 1e3 * len(a.conflicts)


def delayed_trips(a: Attempt, minutes: float) -> tuple[PlanningProblem, dict[str, float]]:
    """The problem with each short trip delayed (see module doc), and the delay per trip [min]."""
    x = a.x
    slot_min = x.dt_h * 60
    by_vehicle = {vi.vehicle.id: vi for vi in x.vehicles}
    trips = {t.id: t for t in a.problem.trips}
    delays: dict[str, float] = {}
    for s in hard_shortfalls(a):
        vi = by_vehicle[s.vehicle_id]
        kw = max(vi.pool_kw.values(), default=0.0) * vi.vehicle.charge_efficiency
        if kw <= 0:
            continue
        need = math.ceil(s.kwh / kw / x.dt_h - 1e-9) * slot_min
        trip = trips[s.trip_id]
        later = [t.departure for t in a.problem.trips if t.vehicle_id == s.vehicle_id and t.departure > trip.departure]
        room = min(later, default=None)
        cap = minutes if room is None else min(minutes, (room - trip.return_time).total_seconds() / 60)
        delay = min(need, math.floor(cap / slot_min) * slot_min)
        if delay > 0:
            shift = timedelta(minutes=delay)
            trips[s.trip_id] = trip.model_copy(
                update={"departure": trip.departure + shift, "return_time": trip.return_time + shift}
            )
            delays[s.trip_id] = delay
    new = [trips[t.id] for t in a.problem.trips]
    return a.problem.model_copy(update={"trips": new}), delays


def swapped_trips(a: Attempt) -> tuple[PlanningProblem, dict[str, tuple[str, str]]]:
    """The problem with each short trip given to a better idle vehicle (see module doc): trip -> (from, to)."""
    p = a.problem
    energy_now = {vi.vehicle.id: vi.e0_kwh for vi in a.x.vehicles}
    trips = {t.id: t for t in p.trips}
    shortfalls = hard_shortfalls(a)
    short = {s.vehicle_id for s in shortfalls}
    taken: set[str] = set()
    moves: dict[str, tuple[str, str]] = {}
    for s in shortfalls:
        trip = trips[s.trip_id]

        def busy(vid: str, trip=trip) -> bool:
            return any(
                t.vehicle_id == vid and t.departure < trip.return_time and trip.departure < t.return_time
                for t in trips.values()
            )

        candidates = [
            v
            for v in p.vehicles
            if v.depot_id == trip.depot_id
            and v.id not in short
            and v.id not in taken
            and (not trip.vehicle_classes or v.vehicle_class in trip.vehicle_classes)
            and not busy(v.id)
            and energy_now.get(v.id, 0.0) > energy_now.get(s.vehicle_id, 0.0)
        ]
        if not candidates:
            continue
        best = max(candidates, key=lambda v: (energy_now.get(v.id, 0.0), v.id))
        trips[s.trip_id] = trip.model_copy(update={"vehicle_id": best.id})
        taken.add(best.id)
        moves[s.trip_id] = (s.vehicle_id, best.id)
    new = [trips[t.id] for t in p.trips]
    return p.model_copy(update={"trips": new}), moves


Solve = Callable[[PlanningProblem, Relaxations], Attempt]


@dataclass
class ChainResult:
    """The attempt kept, the steps taken, the delays applied [min] and whether a person must review it."""

    attempt: Attempt
    steps: list[dict]
    delays_min: dict[str, float]
    manual_review: bool
    relaxations: Relaxations = field(default_factory=Relaxations)


def walk_chain(
    chain: list[str],
    first: Attempt,
    solve: Solve,
    event: str = "infeasible",
    relaxations: Relaxations | None = None,
    measure: Callable[[Attempt], float] = _total,
    metric: str = "hard_shortfall_kwh",
    tolerance: float = HARD_TOLERANCE_KWH,
) -> ChainResult:
    """Walk ``event``'s chain from ``first`` (see module doc), with ``relaxations`` already lifted (by a chain
    walked before). ``solve(problem, relaxations)`` evaluates the policy on ``problem``, applies the relaxations
    to its directives and solves. ``measure`` is what the walk lowers (``metric`` names it in the steps): the hard
    shortfall [kWh] by default; an action is kept when it lowers it by more than ``tolerance``, and the walk ends
    when it is zero."""
    best, relax = first, relaxations or Relaxations()
    steps: list[dict] = []
    delays: dict[str, float] = {}
    manual = False
    for raw in chain:
        if measure(best) <= 0.0:
            break
        name, arg = parse_action(raw)
        before = measure(best)
        step: dict = {"event": event, "action": raw, f"{metric}_before": before}
        if name == "manual_review":
            manual = True
            step["result"] = "manual_review: the decision needs a dispatcher"
            steps.append(step)
            break
        problem, new_relax, change = best.problem, relax, ""
        new_delays: dict[str, float] = {}
        if name == "relax_to_penalty":
            new_relax = replace(relax, soft_hard_rules=True)
            change = "hard SOC rules are now soft penalties"
        elif name == "allow_dc_fast":
            lifted = [d.rule for d in best.directives if isinstance(d, Forbid) and d.kind == "DC"]
            new_relax = replace(relax, allow_dc=True)
            change = f"lifted DC forbids of rules {sorted(set(lifted))}" if lifted else ""
        elif name == "next_best_charger":
            who = {s.vehicle_id for s in hard_shortfalls(best)} | {c.vehicle_id for c in best.conflicts}
            lifted = sorted({d.vehicle_id for d in best.directives if isinstance(d, Forbid) and d.vehicle_id in who})
            new_relax = replace(relax, any_charger_for=relax.any_charger_for | frozenset(lifted))
            change = f"any compatible charger for {lifted}" if lifted else ""
        elif name == "delay_departure":
            problem, new_delays = delayed_trips(best, float(arg or 0))
            change = f"delayed departures [min] {new_delays}" if new_delays else ""
        elif name == "swap_vehicle":
            problem, moves = swapped_trips(best)
            change = f"trips moved (from, to) {moves}" if moves else ""
        if not change:
            step["result"] = "skipped: nothing to change"
            steps.append(step)
            continue
        trial = solve(problem, new_relax)
        after = measure(trial)
        step |= {"change": change, f"{metric}_after": after}
        if after < before - tolerance:
            best, relax = trial, new_relax
            for trip_id, minutes in new_delays.items():
                delays[trip_id] = delays.get(trip_id, 0.0) + minutes
            step["result"] = "resolved" if measure(best) <= 0.0 else "improved"
        else:
            step["result"] = "no improvement: undone"
        steps.append(step)
    return ChainResult(best, steps, delays, manual, relax)


def then(first: ChainResult, more: ChainResult) -> ChainResult:
    """Two chains walked one after the other: the second's attempt, both's steps and delays."""
    delays = {
        t: first.delays_min.get(t, 0.0) + more.delays_min.get(t, 0.0) for t in {*first.delays_min, *more.delays_min}
    }
    return ChainResult(
        more.attempt, first.steps + more.steps, delays, first.manual_review or more.manual_review, more.relaxations
    )
