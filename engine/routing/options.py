"""Route options for one trip: ``fastest``, ``cheapest``, ``lowest_risk`` and ``balanced``, each exact for its
objective (:func:`engine.routing.labels.solve_by_labels` with weights), each with its duration, the energy it
charges, what the charging costs, the probability a stop fails, its charging stops and why it differs.

The objectives (summed over the route; a stop's failure probability is ``1 - availability x reliability``):

- ``fastest``: hours (ties broken by money);
- ``cheapest``: money for charging, ``sum price x charge`` (ties broken by time);
- ``lowest_risk``: the stops' failure probabilities (ties broken by time);
- ``balanced``: the policy's composite (:class:`engine.policy.schema.Routing`):
  ``money + value_of_time x hours + failed_stop_usd x sum failure probabilities`` [$].

Each is exact for its objective; when an option's best runs past the route's ``t_max``, time is weighted up until
it fits (the best found). Every arrival keeps the policy's least SOC (``min_arrival_soc``), every leg planned
with the policy's ``energy_margin`` more energy than its matrix says (how little the forecast is trusted). A route nothing makes feasible comes back with the reason and the nearest feasible
alternative: the least energy to leave with.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from pydantic import Field

from engine.domain import _Model
from engine.policy.schema import Routing
from engine.routing.fixed_route import ChargeStop, FixedRoute, RoutePlan
from engine.routing.grid import least_start_energy_on_grid, solve_on_grid
from engine.routing.labels import Weights, least_start_energy, solve_by_labels

TIE = 1e-6  # weight of the tie-breaking term
BISECTIONS = 6  # steps of the time weight's bisection when t_max or a window binds [-]
GRID_BISECTIONS = 4  # the same for the batch heuristic: a factor 1.33 between the bounds at the end [-]


class RouteOption(_Model):
    """One way to drive the route."""

    label: str
    duration_h: float
    charged: float = Field(description="Energy charged on the way [energy unit].")
    charging_usd: float
    failure_risk: float = Field(description="Probability at least one stop fails [0-1].")
    score_usd: float = Field(description="The policy's composite of this option [$].")
    stops: list[ChargeStop]
    why: str = ""


class RouteOptions(_Model):
    """The options of a route, or why there are none."""

    feasible: bool
    options: list[RouteOption] = Field(default_factory=list)
    reason: str | None = None
    alternative: str | None = None


def _money_and_fails(p: FixedRoute, plan: RoutePlan) -> tuple[float, list[float]]:
    """What ``plan``'s charging costs [$] and each stop's probability of failing [0-1]."""
    by_node = {s.node: s for s in p.stations}
    money = sum(by_node[s.station].price_per_unit * (s.depart - s.arrive) for s in plan.stops)
    return money, [1.0 - by_node[s.station].availability * by_node[s.station].reliability for s in plan.stops]


def _measure(p: FixedRoute, plan: RoutePlan, label: str, routing: Routing) -> RouteOption:
    money, fail = _money_and_fails(p, plan)
    risk = 1.0 - math.prod(1.0 - f for f in fail)
    hours = plan.duration_h or 0.0
    score = money + routing.value_of_time_usd_per_h * hours + routing.failed_stop_usd * sum(fail)
    return RouteOption(
        label=label,
        duration_h=hours,
        charged=sum(s.depart - s.arrive for s in plan.stops),
        charging_usd=round(money, 4),
        failure_risk=risk,
        score_usd=round(score, 4),
        stops=plan.stops,
    )


BEST_AT = {
    "fastest": "least time on the road and charging",
    "cheapest": "least money for charging",
    "lowest_risk": "least probability that a stop fails",
    "balanced": "least of the policy's composite: money, hours at the value of time, risk at the failed-stop cost",
}


def _why(option: RouteOption, first: RouteOption) -> str:
    """What ``option`` is best at, and how it differs from the ``first`` option (the fastest, by default)."""
    if option.label == first.label:
        return BEST_AT[option.label]
    if option.stops == first.stops:
        return f"the same stops as the {first.label}"
    parts = [f"{option.duration_h - first.duration_h:+.2f} h", f"{option.charging_usd - first.charging_usd:+.2f} $"]
    parts.append(f"failure risk {option.failure_risk:.1%} against {first.failure_risk:.1%}")
    return f"against the {first.label}: " + ", ".join(parts)


LABELS = ("fastest", "cheapest", "lowest_risk", "balanced")


def route_options(
    p: FixedRoute, routing: Routing | None = None, candidates: int | None = None, labels: tuple[str, ...] = LABELS
) -> RouteOptions:
    """The options of the module doc named in ``labels`` (all four by default; the first decides feasibility
    and the others are compared with it); ``candidates`` (large batches): the grid heuristic of
    :mod:`engine.routing.grid` with that many stations of least detour per gap, fast, no longer exact."""
    routing = routing or Routing()
    p = p.model_copy(
        update={
            "q_min": max(p.q_min, routing.min_arrival_soc * p.q_max),  # the policy's reserve
            "energy": [[e * (1.0 + routing.energy_margin) for e in row] for row in p.energy],  # and its confidence
        }
    )
    every = {  # with time windows the fastest counts hours only: windows act on labels whose cost is hours
        "fastest": Weights(time=1.0, price=TIE if p.windows is None else 0.0),
        "cheapest": Weights(time=TIE, price=1.0),
        "lowest_risk": Weights(time=TIE, risk=1.0),
        "balanced": Weights(time=routing.value_of_time_usd_per_h, price=1.0, risk=routing.failed_stop_usd),
    }
    weights = {label: every[label] for label in labels}
    if candidates is None:
        plans = {label: _within_t_max(p, w) for label, w in weights.items()}
    else:
        plans = _on_grid_within_t_max(p, weights, candidates)
    plans = _late_ones_drive_the_fastest(p, plans, candidates)
    if not plans[labels[0]].feasible:
        alternative = _alternative(p, candidates)
        return RouteOptions(feasible=False, reason=plans[labels[0]].reason, alternative=alternative)
    options = [_measure(p, plan, label, routing) for label, plan in plans.items() if plan.feasible]
    return RouteOptions(feasible=True, options=[o.model_copy(update={"why": _why(o, options[0])}) for o in options])


def _ran_late(p: FixedRoute, plan: RoutePlan, time_weight: float) -> bool:
    """Whether ``plan`` failed on time (``t_max`` or a window) with time not yet weighted to the limit."""
    late = "t_max" in (plan.reason or "") or (plan.reason or "").startswith("window")
    return not plan.feasible and time_weight < 1e6 and late


def _heavier(w: Weights) -> Weights:
    """``w`` with time weighted a hundred times more."""
    return Weights(time=max(w.time * 100.0, 1e-3), price=w.price, risk=w.risk)


def _within_t_max(p: FixedRoute, w: Weights) -> RoutePlan:
    """The best plan for ``w`` by the exact labels (:func:`_fit_in_time`)."""
    return _fit_in_time(p, w, lambda weights: solve_by_labels(p, weights=weights))


def _fit_in_time(
    p: FixedRoute, w: Weights, solve: Callable[[Weights], RoutePlan], plan: RoutePlan | None = None
) -> RoutePlan:
    """The best plan for ``w`` (``plan`` when already solved); when it runs past ``t_max`` or a window, time is
    weighted a hundred times more until the route fits, then the weight is bisected (geometrically,
    ``BISECTIONS`` times) between the last that did not fit and the first that did, keeping the fitting plan of
    least cost by ``w`` (a Lagrangian search: exact when nothing binds, the best found when something does)."""
    plan = plan or solve(w)
    late, fits = w.time, w
    while _ran_late(p, plan, fits.time):
        late, fits = fits.time, _heavier(fits)
        plan = solve(fits)
    if fits == w or not plan.feasible:
        return plan
    best, lo, hi = plan, max(late, 1e-9), fits.time
    for _ in range(BISECTIONS):
        mid = math.sqrt(lo * hi)
        trial = solve(Weights(time=mid, price=w.price, risk=w.risk))
        if trial.feasible:
            hi = mid
            best = min(best, trial, key=lambda x: _cost(p, x, w))
        else:
            lo = mid
    return best


def _cost(p: FixedRoute, plan: RoutePlan, w: Weights) -> float:
    """What ``plan`` costs by ``w``: hours, money for charging and the stops' failure probabilities, weighted."""
    money, fails = _money_and_fails(p, plan)
    return w.time * (plan.duration_h or 0.0) + w.price * money + w.risk * sum(fails)


def _on_grid_within_t_max(p: FixedRoute, weights: dict[str, Weights], candidates: int) -> dict[str, RoutePlan]:
    """:func:`_fit_in_time` on the grid, every option's weights in one pass at each step: the first, the late ones
    weighted up together, then their bisections together."""

    def solve(ws: dict[str, Weights]) -> dict[str, RoutePlan]:
        return dict(zip(ws, solve_on_grid(p, list(ws.values()), candidates), strict=True)) if ws else {}

    plans = solve(weights)
    fits = {k: w for k, w in weights.items() if _ran_late(p, plans[k], w.time)}
    late = {k: w.time for k, w in fits.items()}
    pending = dict(fits)
    while pending:
        for k in pending:
            late[k], fits[k] = fits[k].time, _heavier(fits[k])
        found = solve({k: fits[k] for k in pending})
        plans |= found
        pending = {k: fits[k] for k in pending if _ran_late(p, found[k], fits[k].time)}
    bounds = {k: (max(late[k], 1e-9), fits[k].time) for k in fits if plans[k].feasible}
    for _ in range(GRID_BISECTIONS if bounds else 0):
        mids = {k: math.sqrt(lo * hi) for k, (lo, hi) in bounds.items()}
        trials = solve({k: Weights(time=mids[k], price=weights[k].price, risk=weights[k].risk) for k in mids})
        for k, trial in trials.items():
            lo, hi = bounds[k]
            bounds[k] = (lo, mids[k]) if trial.feasible else (mids[k], hi)
            if trial.feasible:
                plans[k] = min(plans[k], trial, key=lambda x, k=k: _cost(p, x, weights[k]))
    return plans


def _late_ones_drive_the_fastest(
    p: FixedRoute, plans: dict[str, RoutePlan], candidates: int | None
) -> dict[str, RoutePlan]:
    """An option that still breaks ``t_max`` or a window with time weighted to the limit takes the fastest plan
    (it holds them whenever anything does: the windows act inside its labels)."""
    late = [k for k, plan in plans.items() if _ran_late(p, plan, 0.0)]
    if not late:
        return plans
    fastest = plans.get("fastest")
    if fastest is None or not fastest.feasible:
        hours = Weights(time=1.0)
        fastest = solve_by_labels(p, weights=hours) if candidates is None else solve_on_grid(p, [hours], candidates)[0]
    return plans | dict.fromkeys(late, fastest) if fastest.feasible else plans


def _alternative(p: FixedRoute, candidates: int | None = None) -> str | None:
    """The least energy to start with that makes the route feasible (:func:`least_start_energy`; on the grid with
    ``candidates``, an energy at most a step per arc above it)."""
    need = least_start_energy(p) if candidates is None else least_start_energy_on_grid(p, candidates)
    if need is None:
        return None
    return f"feasible when leaving with at least {need:.1f} energy (not {p.q_init:.1f})"
