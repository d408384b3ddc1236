"""Alerts by business impact: raised from a decision only when a departure or the plan's cost is actually at risk.

A decision puts a departure at risk when it leaves the trip's departure target short (a violation
``departure_target:<vehicle>:<trip>`` of more than ``SHORTFALL_KWH``). Each such departure is one alert whose
kind says why, in this order:

- ``charger_offline``: a charger the vehicle depended on (a session on it in the previous plan) is faulted or
  offline now;
- ``session_failed``: a session of the vehicle stopped early (the decision's trigger names it);
- ``stale_telemetry``: the vehicle's SOC was assumed from a stale reading (the trace's ``stale_telemetry`` step);
- ``soc_below_target``: the departure is inside its critical window (``CRITICAL_WINDOW_H`` ahead of ``now``);
- ``plan_infeasible``: otherwise (the plan cannot reach the target in time).

A price spike (a market price above ``SPIKE_USD_PER_KWH`` on top of the tariff) that the plan still buys energy
in is a ``tariff_anomaly`` alert: its cost is at risk. Priority: ``P1`` for a departure inside its critical window
or a trip of priority 4-5, ``P2`` for other departures and tariff anomalies. Each alert carries the vehicles and
departures affected and the playbook action the policy took (the fallback steps that resolved or improved the
plan) or proposes (extend the buffer by delaying the departure, reassign a charger, or switch the depot to
assisted mode when a decision needs a person and the depot is automated).

One condition, one alert: the key is ``kind:vehicle:trip`` (``tariff_anomaly:depot:start``), the same whichever
decision raises it again.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

import numpy as np
from pydantic import AwareDatetime, Field

from engine.decision.price_spike import SPIKE_USD_PER_KWH
from engine.domain import ChargerStatus, PlanningProblem, _Model
from engine.results import Decision, Plan
from engine.tariffs import Tariff
from engine.tariffs.bill import market_prices

CRITICAL_WINDOW_H = 2.0  # a departure this close is in its critical window [h]
SHORTFALL_KWH = 0.5  # a departure short by less than this is not at risk [kWh]

AlertKind = Literal[
    "soc_below_target", "session_failed", "charger_offline", "tariff_anomaly", "plan_infeasible", "stale_telemetry"
]


class AtRisk(_Model):
    """A departure at risk."""

    vehicle_id: str
    trip_id: str
    departure: AwareDatetime
    shortfall_kwh: float = Field(ge=0)
    reason: str


class Alert(_Model):
    """One condition that needs attention."""

    key: str
    kind: AlertKind
    priority: Literal["P1", "P2"]
    depot_id: str
    raised_at: AwareDatetime
    decision_id: str
    reason: str
    vehicles: list[str]
    departures: list[AtRisk] = Field(default_factory=list)
    cost_at_risk_usd: float = 0.0
    action: str


def _taken(decision: Decision) -> list[str]:
    """The fallback actions that resolved or improved the plan."""
    return [
        str(s["action"])
        for s in decision.trace.fallbacks
        if s.get("result") in ("resolved", "improved") and "action" in s
    ]


def _action(decision: Decision, kind: str, mode: str) -> str:
    taken = _taken(decision)
    if decision.trace.manual_review:
        did = f"took {', '.join(taken)}; " if taken else ""
        return did + ("switch the depot to assisted mode" if mode == "automated" else "a dispatcher reviews the plan")
    if taken:
        return f"re-planned with {', '.join(taken)}; the shortfall remains: extend the buffer (delay the departure)"
    return {
        "charger_offline": "reassign the vehicle to a working charger or fix the charger",
        "session_failed": "restart the session remotely or replug the vehicle",
        "stale_telemetry": "confirm the vehicle's SOC (telematics or the driver)",
    }.get(kind, "extend the buffer: delay the departure or swap the vehicle")


def decision_alerts(
    decision: Decision,
    problem: PlanningProblem,
    now: datetime,
    triggers: list[str] = (),
    previous: Plan | None = None,
    mode: str = "automated",
    tariff: Tariff | None = None,
) -> list[Alert]:
    """The alerts of the module doc for a decision made at ``now`` for ``triggers`` (trigger keys as
    :mod:`engine.telemetry.triggers` and the simulator make them)."""
    trips = {t.id: t for t in problem.trips}
    stale = {
        s["vehicle_id"] for s in decision.trace.fallbacks if s.get("event") == "stale_telemetry" and "vehicle_id" in s
    }
    down = {c.id for c in problem.chargers if c.status in (ChargerStatus.FAULTED, ChargerStatus.OFFLINE)}
    used: dict[str, set[str]] = {}
    for vp in previous.vehicles if previous is not None else []:
        used[vp.vehicle_id] = {s.charger_id for s in vp.sessions if s.charger_id and s.plug_out > now}
    stopped = {t.split(":")[1] for t in triggers if t.startswith("stopped_early:")}
    stopped_vehicles = (
        {vp.vehicle_id for vp in previous.vehicles if used.get(vp.vehicle_id, set()) & stopped}
        if previous is not None
        else set()
    )
    depot = problem.depots[0].id
    out: list[Alert] = []
    for v in decision.violations:
        parts = v.target.split(":")
        if parts[0] != "departure_target" or v.shortfall_kwh < SHORTFALL_KWH or parts[2] not in trips:
            continue
        trip = trips[parts[2]]
        soon = trip.departure - now <= timedelta(hours=CRITICAL_WINDOW_H)
        if used.get(v.vehicle_id, set()) & down:
            kind = "charger_offline"
        elif v.vehicle_id in stopped_vehicles:
            kind = "session_failed"
        elif v.vehicle_id in stale:
            kind = "stale_telemetry"
        else:
            kind = "soc_below_target" if soon else "plan_infeasible"
        risk = AtRisk(
            vehicle_id=v.vehicle_id,
            trip_id=trip.id,
            departure=trip.departure,
            shortfall_kwh=round(v.shortfall_kwh, 3),
            reason=v.reason,
        )
        out.append(
            Alert(
                key=f"{kind}:{v.vehicle_id}:{trip.id}",
                kind=kind,
                priority="P1" if soon or trip.priority >= 4 else "P2",
                depot_id=depot,
                raised_at=now,
                decision_id=decision.decision_id,
                reason=f"{v.vehicle_id} short {v.shortfall_kwh:.1f} kWh for {trip.id}: {v.reason}",
                vehicles=[v.vehicle_id],
                departures=[risk],
                action=_action(decision, kind, mode),
            )
        )
    out += _spike_alerts(decision, tariff, depot, now)
    return out


def _spike_alerts(decision: Decision, tariff: Tariff | None, depot: str, now: datetime) -> list[Alert]:
    """A price spike the plan still buys energy in."""
    if tariff is None or tariff.price_series is None or not decision.plan.slot_starts:
        return []
    import pandas as pd

    plan = decision.plan
    index = pd.DatetimeIndex(plan.slot_starts)
    price = market_prices(tariff.price_series, index)
    spike = price > SPIKE_USD_PER_KWH
    if not spike.any():
        return []
    dt_h = plan.slot_minutes / 60
    power = np.array([vp.power_kw for vp in plan.vehicles]) if plan.vehicles else np.zeros((0, len(index)))
    bought = power[:, spike].sum(axis=0) * dt_h if power.size else np.zeros(int(spike.sum()))
    cost = float((bought * price[spike]).sum())
    if cost <= 0.005:
        return []
    who = sorted(vp.vehicle_id for vp, row in zip(plan.vehicles, power, strict=True) if row[spike].sum() > 1e-6)
    start = index[np.flatnonzero(spike)[0]]
    return [
        Alert(
            key=f"tariff_anomaly:{depot}:{start.isoformat()}",
            kind="tariff_anomaly",
            priority="P2",
            depot_id=depot,
            raised_at=now,
            decision_id=decision.decision_id,
            reason=f"a price spike up to {price.max():.2f} $/kWh from {start:%H:%M}; the plan still buys "
            f"{bought.sum():.1f} kWh in it for departures that need it",
            vehicles=who,
            cost_at_risk_usd=round(cost, 2),
            action="re-planned around the spike; the rest is needed for departures (relax targets to avoid it)",
        )
    ]
