"""The operations KPIs of a depot over a period, from the store (:mod:`engine.kpis` defines them)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from engine.control.profiles import ChargerSchedule
from engine.cost_allocation import allocate
from engine.domain import PlanningProblem, Trip
from engine.kpis import (
    DepartureFacts,
    SessionFacts,
    cost_per_trip,
    departure_kpis,
    load_kpis,
    operations_kpis,
    queue_times,
    ready_time,
    recovery_kpis,
)
from engine.results import Decision
from engine.telemetry.geofence import depot_at
from service.alerts.store import AlertStore
from service.named_files import shipped_tariff
from service.ocpp.reconciliation import planned_segments
from service.ocpp.registry import ChargerRegistry
from service.ocpp.session_slots import session_slots
from service.ocpp.sessions import ChargerSessions, Session
from service.shadow import soc_before
from service.store import Store
from service.telemetry_log import TelemetryLog
from service.telemetry_store import TelemetryStore


def depot_kpis(store: Store, tenant: str, depot: str, start: datetime, end: datetime) -> dict[str, Any]:
    """The KPIs of ``depot``'s registered chargers from ``start`` to ``end``, and the cost split of its latest plan."""
    chargers = {c.charger_id: c.electrics for c in ChargerRegistry(store.engine).list(tenant) if c.depot_id == depot}
    sessions = ChargerSessions(store.engine)
    mine = [s for s in sessions.of_tenant(tenant, start - timedelta(days=2)) if s.charger_id in chargers]
    facts = [SessionFacts(s.charger_id, s.started, s.stopped, s.energy_wh / 1000, s.stop_reason) for s in mine]
    sent = [
        r for r in sessions.schedules(tenant) if ChargerSchedule.model_validate(r["schedule"]).charger_id in chargers
    ]
    planned = sum(
        kw * max((min(b, end) - max(a, start)).total_seconds(), 0.0) / 3600
        for segments in planned_segments(sent, chargers, {}).values()
        for a, b, kw, _price in segments
    )
    latest = _latest_plan(store, tenant, depot)
    split = _cost_split(latest, depot)
    out = operations_kpis(facts, planned, len(chargers), start, end, split)
    departures = _departures(store, tenant, depot, start, end)
    out |= departure_kpis(departures)
    limit, tariff = _limit_and_tariff(latest, depot)
    out |= load_kpis(_charging_kw(store, tenant, mine, start, end), limit, tariff)
    km, cost = out["distance_km"], out["charging_cost_usd"]
    out["cost_per_km_usd"] = round(cost / km, 4) if cost is not None and km else None
    out["cost_per_trip_usd"] = cost_per_trip(split, ((d.trip_id, d.vehicle_id, d.energy_kwh) for d in departures))
    alerts = AlertStore(store.engine).list(tenant, depot=depot, limit=100_000)
    raised = [(datetime.fromisoformat(a["first_raised"]), a.get("resolved_at")) for a in alerts]
    waits = _queue_times(store, tenant, depot, latest, mine, start, end)
    out["queue_time_min"] = sum(waits) / len(waits) if waits else None
    out |= recovery_kpis([(a, None if b is None else datetime.fromisoformat(b)) for a, b in raised if start <= a < end])
    return {"depot": depot, "from": start.isoformat(), "to": end.isoformat(), **out}


def _latest_plan(store: Store, tenant: str, depot: str) -> tuple[PlanningProblem, Decision] | None:
    """The depot's latest decision with its problem, or None."""
    rows, _n = store.list_decisions(tenant, depot=depot, limit=1)
    if not rows:
        return None
    return PlanningProblem.model_validate(rows[0].problem), Decision.model_validate(rows[0].decision)


def _queue_times(
    store: Store,
    tenant: str,
    depot: str,
    latest: tuple[PlanningProblem, Decision] | None,
    sessions: list[Session],
    start: datetime,
    end: datetime,
) -> list[float]:
    """Minutes from each arrival in ``[start, end)`` of the depot's vehicles (in its latest plan) to their first
    charge (:func:`engine.kpis.queue_times`); a position is inside when it names the depot or lies in its fence."""
    if latest is None:
        return []
    problem = latest[0]
    telemetry = TelemetryLog(store)
    out = []
    for v in (v for v in problem.vehicles if v.depot_id == depot):
        events = telemetry.events_of(tenant, v.id, limit=100_000, start=start - timedelta(days=1), end=end)
        positions = [
            (e["event_time"], _inside(e["values"], depot, problem.depots)) for e in events if e["type"] == "position"
        ]
        starts = [s.started for s in sessions if s.vehicle_id == v.id]
        out += [minutes for arrived, minutes in queue_times(positions, starts) if start <= arrived < end]
    return out


def _inside(values: dict[str, Any], depot: str, depots: list) -> bool:
    """Whether a position names ``depot`` or lies inside its fence."""
    if values.get("depot_id") is not None:
        return values["depot_id"] == depot
    lat, lon = values.get("lat"), values.get("lon")
    return lat is not None and lon is not None and depot_at(depots, lat, lon) == depot


def _charging_kw(store: Store, tenant: str, sessions: list[Session], start: datetime, end: datetime) -> pd.Series:
    """The chargers' metered load per quarter hour of ``[start, end)`` [kW], each session's meter read slot by
    slot (:func:`service.ocpp.session_slots.session_slots`)."""
    first = start.replace(minute=start.minute - start.minute % 15, second=0, microsecond=0)
    kwh = pd.Series(0.0, index=pd.date_range(first, end, freq="15min", inclusive="left"))
    telemetry = TelemetryStore(store)
    for s in sessions:
        if s.started >= end or (s.stopped is not None and s.stopped <= start):
            continue
        found = session_slots(store, telemetry, tenant, s.charger_id, s.transaction_id, now=end)
        for row in [] if found is None else found[1]:
            at = pd.Timestamp(row["slot_start"])
            if at in kwh.index:
                kwh[at] += row["actual_kwh"]
    return kwh / 0.25


def _limit_and_tariff(latest: tuple[PlanningProblem, Decision] | None, depot: str) -> tuple[float | None, Any]:
    """The depot's grid limit [kW] and tariff, from its latest plan's problem (None, None without a plan)."""
    if latest is None:
        return None, None
    problem = latest[0]
    site = next(d for d in problem.depots if d.id == depot)
    return site.grid_limit_kw, shipped_tariff(site.tariff or problem.tariff)


def _departures(store: Store, tenant: str, depot: str, start: datetime, end: datetime) -> list[DepartureFacts]:
    """The depot's planned departures in ``[start, end)``: per trip the latest decision planned before it that
    aimed for it, and the SOC telematics last read before it (departures without a reading are left out)."""
    rows = store.decisions_planning(tenant, depot, start, end)
    best: dict[str, tuple] = {}
    batteries: dict[str, float] = {}
    for r in rows:
        problem = PlanningProblem.model_validate(r.problem)
        trips = [t for t in problem.trips if t.vehicle_id and start <= t.departure < end and problem.now <= t.departure]
        if not trips:
            continue
        decision = Decision.model_validate(r.decision)
        plans = {vp.vehicle_id: vp for vp in decision.plan.vehicles}
        batteries |= {v.id: v.battery_kwh for v in problem.vehicles}
        for t in trips:
            target = decision.trace.departure_targets.get(t.vehicle_id or "", {}).get(t.id)
            planned = plans[t.vehicle_id].soc_at_departure.get(t.id) if t.vehicle_id in plans else None
            if target is None or planned is None:
                continue
            if t.id not in best or problem.now > best[t.id][0]:
                best[t.id] = (problem.now, t, target, planned, _planned_ready(decision, t, target))
    telemetry = TelemetryStore(store)
    out = []
    for now, trip, target, planned, planned_ready in best.values():
        soc = soc_before(telemetry, tenant, trip.vehicle_id or "", trip.departure)
        if soc is not None:
            events = telemetry.events_of(tenant, trip.vehicle_id or "", 100_000, now, trip.departure)
            read = [(e["event_time"], e["values"]["soc_pct"] / 100) for e in events if e["type"] == "soc"]
            needed = trip.energy_kwh_p50 / battery if (battery := batteries.get(trip.vehicle_id or "")) else 0.0
            out.append(
                DepartureFacts(
                    trip.id,
                    trip.vehicle_id or "",
                    trip.departure,
                    target,
                    planned,
                    soc,
                    needed,
                    trip.distance_km,
                    trip.energy_kwh_p50,
                    planned_ready,
                    ready_time(read, target),
                )
            )
    return out


def _planned_ready(decision: Decision, trip: Trip, target: float) -> datetime | None:
    """When the plan has the trip's vehicle reach ``target`` before the departure (:func:`engine.kpis.ready_time`
    over its SOC at the slot boundaries up to the departure)."""
    plan = decision.plan
    vp = next((v for v in plan.vehicles if v.vehicle_id == trip.vehicle_id), None)
    if vp is None or not vp.soc or not plan.slot_starts:
        return None
    step = timedelta(minutes=plan.slot_minutes)
    bounds = [(plan.slot_starts[0] + k * step, soc) for k, soc in enumerate(vp.soc)]
    return ready_time([(t, soc) for t, soc in bounds if t <= trip.departure], target)


def _cost_split(latest: tuple[PlanningProblem, Decision] | None, depot: str) -> dict[str, float]:
    """Each party's share of the depot's bill for its latest plan [$] (:func:`engine.cost_allocation.allocate`)."""
    if latest is None:
        return {}
    problem, plan = latest[0], latest[1].plan
    tariffs = {d.id: shipped_tariff(d.tariff or problem.tariff) for d in problem.depots}
    split = allocate(plan, problem, tariffs)
    mine = split[split["depot"] == depot]
    return {str(party): float(total) for party, total in zip(mine["party"], mine["total_usd"], strict=True)}
