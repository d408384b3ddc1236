"""From a policy and a planning problem to typed directives, via durable-rules.

Subjects: each (vehicle, trip) pair of the problem, each vehicle without a trip, each charger. Facts use local
"HH:MM" for times. A rule fires for a subject when its condition holds (computed by :func:`engine.policy.evaluate.
fire`); every firing becomes a directive that names its rule, so the Decision can say which rule shaped what.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from engine.domain import PlanningProblem
from engine.policy.conditions import parse_condition
from engine.policy.evaluate import Facts, fire
from engine.policy.schema import Policy
from engine.weights import ObjectiveWeights


@dataclass(frozen=True)
class MinSoc:
    """Energy a vehicle must hold ``minutes_before`` its trip departs."""

    rule: str
    vehicle_id: str
    trip_id: str
    min_soc: float | None
    min_energy_kwh: float | None
    minutes_before: float
    hard: bool


@dataclass(frozen=True)
class MaxSoc:
    """A battery-health ceiling."""

    rule: str
    vehicle_id: str
    max_soc: float
    unless_trip_needs_more: bool


@dataclass(frozen=True)
class Forbid:
    """A vehicle may not use chargers matching ``kind`` / ``charger`` / ``depot`` inside ``window`` (local)."""

    rule: str
    vehicle_id: str
    kind: str | None
    charger: str | None
    depot: str | None
    window: tuple[str, str] | None


@dataclass(frozen=True)
class Prefer:
    """A preference, recorded in the trace (not yet a cost)."""

    rule: str
    vehicle_id: str
    kind: str | None
    charger: str | None


@dataclass(frozen=True)
class Defer:
    """No charging for this vehicle's trip while energy costs more than the threshold."""

    rule: str
    vehicle_id: str
    trip_id: str
    above_usd_per_kwh: float


Directive = MinSoc | MaxSoc | Forbid | Prefer | Defer


@dataclass(frozen=True)
class Penalty:
    """The policy's price of a kWh short of target and of a minute late, for one trip priority."""

    priority: int
    shortfall_usd_per_kwh: float
    late_usd_per_min: float


@dataclass(frozen=True)
class Fallback:
    """The ordered actions for one event."""

    event: str
    actions: tuple[str, ...]


@dataclass(frozen=True)
class Mode:
    """How a depot's decisions are executed: shadow, assisted or automated."""

    depot_id: str
    mode: str


PolicyDirective = Penalty | Fallback | Mode


def policy_directives(policy: Policy, problem: PlanningProblem) -> list[PolicyDirective]:
    """The policy-wide directives for one problem: penalties per priority, fallback chains, mode per depot."""
    o = policy.objective
    out: list[PolicyDirective] = [
        Penalty(p, o.shortfall_usd_per_kwh.get(p, 0.0), o.late_usd_per_min.get(p, 0.0))
        for p in sorted(set(o.shortfall_usd_per_kwh) | set(o.late_usd_per_min))
    ]
    out += [Fallback(event, tuple(chain)) for event, chain in sorted(policy.fallbacks.items())]
    out += [Mode(d.id, policy.mode.depots.get(d.id, policy.mode.default)) for d in problem.depots]
    return out


def _hhmm(when: datetime, tz: str) -> str:
    return when.astimezone(ZoneInfo(tz)).strftime("%H:%M")


def subjects_of(problem: PlanningProblem) -> list[tuple[str, Facts]]:
    """Facts per subject: 'vehicle/trip' pairs, lone vehicles, chargers (deterministic order)."""
    tz = {d.id: d.timezone for d in problem.depots}
    now = problem.now.astimezone(UTC)
    out: list[tuple[str, Facts]] = []
    states, trips_of = problem.states_by_vehicle(), problem.trips_by_vehicle()
    for v in sorted(problem.vehicles, key=lambda v: v.id):
        s = states.get(v.id)
        vf = {
            "id": v.id,
            "class": v.vehicle_class,
            "depot": v.depot_id,
            "battery_kwh": v.battery_kwh,
            "max_dc_kw": v.max_dc_kw,
            "soc": s.soc if s else None,
            "soc_confidence": s.soc_confidence if s else None,
            "soc_age_min": (now - s.last_seen.astimezone(UTC)).total_seconds() / 60 if s else None,
        }
        trips = trips_of.get(v.id, [])
        for t in trips:
            tf = {
                "id": t.id,
                "departure": _hhmm(t.departure, tz[t.depot_id]),
                "priority": t.priority,
                "energy_kwh_p50": t.energy_kwh_p50,
                "energy_kwh_p90": t.energy_kwh_p90,
                "distance_km": t.distance_km,
                "depot": t.depot_id,
            }
            out.append((f"{v.id}/{t.id}", {"vehicle": vf, "trip": tf}))
        if not trips:
            out.append((v.id, {"vehicle": vf}))
    for c in sorted(problem.chargers, key=lambda c: c.id):
        out.append(
            (
                f"charger:{c.id}",
                {
                    "charger": {
                        "id": c.id,
                        "kind": c.kind.value,
                        "max_kw": c.max_kw,
                        "depot": c.depot_id,
                        "status": c.status.value,
                        "reliability": c.reliability,
                    }
                },
            )
        )
    return out


def policy_weights(policy: Policy, base: ObjectiveWeights | None = None) -> ObjectiveWeights:
    """Objective weights from the policy's price-vs-uptime trade-off."""
    w = base or ObjectiveWeights()
    o = policy.objective
    short = {p: o.shortfall_usd_per_kwh.get(p, w.shortfall_usd_per_kwh.get(p, 0.0)) for p in range(1, 6)}
    return w.model_copy(
        update={
            "shortfall_usd_per_kwh": short,
            "demand_weight": o.demand_weight,
            "wear_usd_per_kwh": w.wear_usd_per_kwh * o.wear_weight,
            "dc_wear_extra_usd_per_kwh": w.dc_wear_extra_usd_per_kwh * o.wear_weight,
            "plan_change_usd_per_kwh": o.plan_change_usd_per_kwh,
            "use_p90": o.trip_energy == "p90",
            "hard_use_p90": o.hard_trip_energy == "p90",
        }
    )


def evaluate_policy(policy: Policy, problem: PlanningProblem) -> tuple[list[Directive], list[dict]]:
    """Directives and the rules-fired list ({rule, entity, directive}) for one problem."""
    conditions = {
        r.id: parse_condition(r.when) for r in [*policy.soc_rules, *policy.charger_rules, *policy.price_rules]
    }
    subjects = subjects_of(problem)
    fired = sorted(fire(conditions, subjects))
    soc = {r.id: r for r in policy.soc_rules}
    chg = {r.id: r for r in policy.charger_rules}
    price = {r.id: r for r in policy.price_rules}
    directives: list[Directive] = []
    for rule_id, subject in fired:
        if subject.startswith("charger:"):
            continue  # charger-only subjects scope charger rules through their targets
        vehicle_id, _, trip_id = subject.partition("/")
        if rule_id in soc:
            r = soc[rule_id]
            if (r.min_soc is not None or r.min_energy_kwh is not None) and trip_id:
                directives.append(
                    MinSoc(
                        rule_id, vehicle_id, trip_id, r.min_soc, r.min_energy_kwh, r.minutes_before_departure, r.hard
                    )
                )
            if r.max_soc is not None:
                directives.append(MaxSoc(rule_id, vehicle_id, r.max_soc, r.unless_trip_needs_more))
        elif rule_id in chg:
            r = chg[rule_id]
            if r.forbid is not None:
                directives.append(
                    Forbid(rule_id, vehicle_id, r.forbid.kind, r.forbid.charger, r.forbid.depot, r.window)
                )
            else:
                directives.append(Prefer(rule_id, vehicle_id, r.prefer.kind, r.prefer.charger))
        elif rule_id in price and trip_id:
            directives.append(Defer(rule_id, vehicle_id, trip_id, price[rule_id].defer_above_usd_per_kwh))
    unique = list(dict.fromkeys(directives))
    fired_list = [
        {
            "rule": d.rule,
            "entity": d.vehicle_id + (f"/{d.trip_id}" if hasattr(d, "trip_id") else ""),
            "directive": {"type": type(d).__name__, **{k: v for k, v in asdict(d).items() if k != "rule"}},
        }
        for d in unique
    ]
    return unique, fired_list
