"""The operations KPIs of a depot over a period, from the store (:mod:`engine.kpis` defines them)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from engine.control.profiles import ChargerSchedule
from engine.cost_allocation import allocate
from engine.domain import PlanningProblem
from engine.kpis import DepartureFacts, SessionFacts, departure_kpis, operations_kpis
from engine.results import Decision
from service.named_files import shipped_tariff
from service.ocpp.reconciliation import planned_segments
from service.ocpp.registry import ChargerRegistry
from service.ocpp.sessions import ChargerSessions
from service.shadow import soc_before
from service.store import Store
from service.telemetry_store import TelemetryStore


def depot_kpis(store: Store, tenant: str, depot: str, start: datetime, end: datetime) -> dict[str, Any]:
    """The KPIs of ``depot``'s registered chargers from ``start`` to ``end``, and the cost split of its latest plan."""
    chargers = {c.charger_id: c.electrics for c in ChargerRegistry(store.engine).list(tenant) if c.depot_id == depot}
    sessions = ChargerSessions(store.engine)
    facts = [
        SessionFacts(s.charger_id, s.started, s.stopped, s.energy_wh / 1000, s.stop_reason)
        for s in sessions.of_tenant(tenant, start - timedelta(days=2))
        if s.charger_id in chargers
    ]
    sent = [
        r for r in sessions.schedules(tenant) if ChargerSchedule.model_validate(r["schedule"]).charger_id in chargers
    ]
    planned = sum(
        kw * max((min(b, end) - max(a, start)).total_seconds(), 0.0) / 3600
        for segments in planned_segments(sent, chargers, {}).values()
        for a, b, kw, _price in segments
    )
    out = operations_kpis(facts, planned, len(chargers), start, end, _cost_split(store, tenant, depot))
    out |= departure_kpis(_departures(store, tenant, depot, start, end))
    return {"depot": depot, "from": start.isoformat(), "to": end.isoformat(), **out}


def _departures(store: Store, tenant: str, depot: str, start: datetime, end: datetime) -> list[DepartureFacts]:
    """The depot's planned departures in ``[start, end)``: per trip the latest decision planned before it that
    aimed for it, and the SOC telematics last read before it (departures without a reading are left out)."""
    rows, _n = store.list_decisions(tenant, depot=depot, limit=10_000)
    best: dict[str, tuple] = {}
    for r in rows:
        problem = PlanningProblem.model_validate(r.problem)
        trips = [t for t in problem.trips if t.vehicle_id and start <= t.departure < end and problem.now <= t.departure]
        if not trips:
            continue
        decision = Decision.model_validate(r.decision)
        plans = {vp.vehicle_id: vp for vp in decision.plan.vehicles}
        for t in trips:
            target = decision.trace.departure_targets.get(t.vehicle_id or "", {}).get(t.id)
            planned = plans[t.vehicle_id].soc_at_departure.get(t.id) if t.vehicle_id in plans else None
            if target is None or planned is None:
                continue
            if t.id not in best or problem.now > best[t.id][0]:
                best[t.id] = (problem.now, t, target, planned)
    telemetry = TelemetryStore(store)
    out = []
    for _now, trip, target, planned in best.values():
        soc = soc_before(telemetry, tenant, trip.vehicle_id or "", trip.departure)
        if soc is not None:
            out.append(DepartureFacts(trip.id, trip.vehicle_id or "", trip.departure, target, planned, soc))
    return out


def _cost_split(store: Store, tenant: str, depot: str) -> dict[str, float]:
    rows, _n = store.list_decisions(tenant, depot=depot, limit=1)
    if not rows:
        return {}
    problem = PlanningProblem.model_validate(rows[0].problem)
    plan = Decision.model_validate(rows[0].decision).plan
    tariffs = {d.id: shipped_tariff(d.tariff or problem.tariff) for d in problem.depots}
    split = allocate(plan, problem, tariffs)
    mine = split[split["depot"] == depot]
    return {str(party): float(total) for party, total in zip(mine["party"], mine["total_usd"], strict=True)}
