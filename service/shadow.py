"""The shadow report from the store (:mod:`engine.shadow`): a depot's shadow decisions against what really
happened, as the chargers reported it (sessions) and telematics saw it (the SOC at each planned departure: the
latest reading at or before it), or against a dispatch log given as CSV files."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from engine.domain import PlanningProblem
from engine.results import Decision
from engine.shadow import ActualDeparture, ActualSession, shadow_report
from service.named_files import shipped_tariff
from service.ocpp.registry import ChargerRegistry
from service.ocpp.sessions import ChargerSessions
from service.store import Store
from service.telemetry_store import TelemetryStore

LOOKBACK = timedelta(days=2)  # shadow decisions made this long before the period still plan into it


def soc_before(telemetry: TelemetryStore, tenant: str, vehicle_id: str, when: datetime) -> float | None:
    """The vehicle's SOC [0-1] by telematics' latest reading in the ``LOOKBACK`` before ``when``; None without one."""
    events = telemetry.events_of(tenant, vehicle_id, 100_000, when - LOOKBACK, when)
    socs = [e for e in events if e["type"] == "soc" and "soc_pct" in e["values"]]
    return min(1.0, max(0.0, float(socs[-1]["values"]["soc_pct"]) / 100)) if socs else None


def shadow_decisions(store: Store, tenant: str, depot: str, start: datetime, end: datetime) -> list[tuple]:
    """The depot's shadow-mode decisions planned (their problem's ``now``) from ``start - LOOKBACK`` to ``end``,
    with their problems, oldest first."""
    rows, _n = store.list_decisions(tenant, depot=depot, limit=10_000)
    out = []
    for r in rows:
        if r.mode != "shadow":
            continue
        problem = PlanningProblem.model_validate(r.problem)
        if start - LOOKBACK <= problem.now < end:
            out.append((Decision.model_validate(r.decision), problem))
    return sorted(out, key=lambda dp: dp[1].now)


def store_outcome(store: Store, tenant: str, depot: str, decisions: list[tuple], start: datetime, end: datetime):
    """What happened: the depot's chargers' sessions, and per planned departure the SOC telematics last saw."""
    chargers = {c.charger_id for c in ChargerRegistry(store.engine).list(tenant) if c.depot_id == depot}
    sessions = [
        ActualSession(
            vehicle_id=s.vehicle_id,
            charger_id=s.charger_id,
            plug_in=s.started,
            plug_out=s.stopped or end,
            energy_kwh=s.energy_wh / 1000,
        )
        for s in ChargerSessions(store.engine).of_tenant(tenant, start - LOOKBACK)
        if s.charger_id in chargers and s.vehicle_id and s.started < end
    ]
    telemetry = TelemetryStore(store)
    trips = {t.id: t for _d, p in decisions for t in p.trips if t.vehicle_id and start <= t.departure < end}
    departures = []
    for trip in trips.values():
        soc = soc_before(telemetry, tenant, trip.vehicle_id or "", trip.departure)
        if soc is not None:
            departures.append(
                ActualDeparture(
                    vehicle_id=trip.vehicle_id or "",
                    trip_id=trip.id,
                    departure=trip.departure,
                    soc=soc,
                )
            )
    return sessions, departures


def depot_shadow_report(
    store: Store,
    tenant: str,
    depot: str,
    start: datetime,
    end: datetime,
    log: tuple[list[ActualSession], list[ActualDeparture]] | None = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The report of :func:`engine.shadow.shadow_report` for ``depot``; against ``log`` when given, else against
    what the store holds."""
    decisions = shadow_decisions(store, tenant, depot, start, end)
    if not decisions:
        return pd.DataFrame(), {"depot": depot, "from": start.isoformat(), "to": end.isoformat(), "shadow_decisions": 0}
    problem = decisions[-1][1]
    depot_model = next((d for d in problem.depots if d.id == depot), problem.depots[0])
    tariff = shipped_tariff(depot_model.tariff or problem.tariff)
    sessions, departures = log if log is not None else store_outcome(store, tenant, depot, decisions, start, end)
    table, summary = shadow_report(decisions, sessions, departures, tariff, start, end)
    return table, {"depot": depot, "shadow_decisions": len(decisions), **summary}
