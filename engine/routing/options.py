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
it fits (the best found). Every arrival keeps the policy's least SOC (``min_arrival_soc``). A route nothing makes feasible comes back with the reason and the nearest feasible
alternative: the least energy to leave with.
"""

from __future__ import annotations

import math

from pydantic import Field

from engine.domain import _Model
from engine.policy.schema import Routing
from engine.routing.fixed_route import ChargeStop, FixedRoute, RoutePlan
from engine.routing.labels import Weights, least_start_energy, solve_by_labels

TIE = 1e-6  # weight of the tie-breaking term


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


def _measure(p: FixedRoute, plan: RoutePlan, label: str, routing: Routing) -> RouteOption:
    by_node = {s.node: s for s in p.stations}
    money = sum(by_node[s.station].price_per_unit * (s.depart - s.arrive) for s in plan.stops)
    fail = [1.0 - by_node[s.station].availability * by_node[s.station].reliability for s in plan.stops]
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


def _why(option: RouteOption, fastest: RouteOption) -> str:
    if option.label == "fastest":
        return "least time on the road and charging"
    if option.stops == fastest.stops:
        return "the same stops as the fastest"
    parts = [f"{option.duration_h - fastest.duration_h:+.2f} h", f"{option.charging_usd - fastest.charging_usd:+.2f} $"]
    parts.append(f"failure risk {option.failure_risk:.1%} against {fastest.failure_risk:.1%}")
    return "against the fastest: " + ", ".join(parts)


def route_options(p: FixedRoute, routing: Routing | None = None, candidates: int | None = None) -> RouteOptions:
    """The four options of the module doc; ``candidates`` (large batches) limits each gap to that many stations
    of least detour, one at a time: fast, no longer exact."""
    routing = routing or Routing()
    p = p.model_copy(update={"q_min": max(p.q_min, routing.min_arrival_soc * p.q_max)})  # the policy's reserve
    weights = {
        "fastest": Weights(time=1.0, price=TIE),
        "cheapest": Weights(time=TIE, price=1.0),
        "lowest_risk": Weights(time=TIE, risk=1.0),
        "balanced": Weights(time=routing.value_of_time_usd_per_h, price=1.0, risk=routing.failed_stop_usd),
    }
    plans = {label: _within_t_max(p, w, candidates) for label, w in weights.items()}
    if not plans["fastest"].feasible:
        alternative = _alternative(p, candidates)
        return RouteOptions(feasible=False, reason=plans["fastest"].reason, alternative=alternative)
    options = [_measure(p, plan, label, routing) for label, plan in plans.items() if plan.feasible]
    fastest = options[0]
    return RouteOptions(feasible=True, options=[o.model_copy(update={"why": _why(o, fastest)}) for o in options])


def _within_t_max(p: FixedRoute, w: Weights, candidates: int | None = None) -> RoutePlan:
    """The best plan for ``w``; when it runs past ``t_max``, time is weighted a hundred times more until the route fits
    (a Lagrangian step: exact when ``t_max`` does not bind, the best found when it does)."""
    per_gap = 2 if candidates is None else 1

    def solve(weights: Weights) -> RoutePlan:
        return solve_by_labels(p, per_gap=per_gap, weights=weights, candidates=candidates)

    plan = solve(w)
    time_weight = w.time
    while not plan.feasible and p.t_max is not None and time_weight < 1e6 and "t_max" in (plan.reason or ""):
        time_weight = max(time_weight * 100.0, 1e-3)
        plan = solve(Weights(time=time_weight, price=w.price, risk=w.risk))
    return plan


def _alternative(p: FixedRoute, candidates: int | None = None) -> str | None:
    """The least energy to start with that makes the route feasible (:func:`least_start_energy`)."""
    need = least_start_energy(p, per_gap=2 if candidates is None else 1, candidates=candidates)
    if need is None:
        return None
    return f"feasible when leaving with at least {need:.1f} energy (not {p.q_init:.1f})"
