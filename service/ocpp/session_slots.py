"""One charger session slot by slot: what the schedules we sent asked and what the charger's meter delivered.

Planned power [kW] per slot is the average over the slot of the accepted schedules for the session's charger and
vehicle (a later schedule holding from its start, :func:`service.ocpp.reconciliation.planned_segments`); actual
energy [kWh] is the rise of the meter's register across the slot, the register read linearly between readings
(the start and stop readings included) and clamped to the session.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

from engine.control.reconcile import MeterPoint
from service.ocpp.reconciliation import meter_points, planned_segments
from service.ocpp.registry import ChargerRegistry
from service.ocpp.sessions import ChargerSessions, Session
from service.store import Store
from service.telemetry_store import TelemetryStore


def register_at(points: list[MeterPoint], t: datetime) -> float:
    """The register at ``t`` [kWh]: linear between readings, flat outside them."""
    if t <= points[0].time:
        return points[0].register_kwh
    for a, b in pairwise(points):
        if a.time <= t <= b.time:
            span = (b.time - a.time).total_seconds()
            share = 0.0 if span == 0 else (t - a.time).total_seconds() / span
            return a.register_kwh + share * (b.register_kwh - a.register_kwh)
    return points[-1].register_kwh


def session_slots(
    store: Store,
    telemetry: TelemetryStore,
    tenant: str,
    charger_id: str,
    transaction_id: str,
    slot_minutes: int = 15,
    now: datetime | None = None,
) -> tuple[Session, list[dict[str, Any]]] | None:
    """The session and its slots (module doc); None if the tenant has no such session."""
    charger = ChargerRegistry(store.engine).get(charger_id)
    sessions = ChargerSessions(store.engine)
    session = sessions.get(charger_id, transaction_id)
    if charger is None or charger.tenant != tenant or session is None:
        return None
    end = session.stopped or now or datetime.now(UTC)
    sent = sessions.schedules(tenant, charger_id)
    segments = planned_segments(sent, {charger_id: charger.electrics}, {}).get(
        (charger_id, session.vehicle_id or ""), []
    )
    points = [MeterPoint(time=session.started, register_kwh=session.meter_start_wh / 1000)]
    points += meter_points(telemetry.events_of(tenant, session.vehicle_id or session.id_tag), session)
    if session.stopped is not None and session.meter_stop_wh is not None:
        points.append(MeterPoint(time=session.stopped, register_kwh=session.meter_stop_wh / 1000))
    points.sort(key=lambda p: p.time)
    step = timedelta(minutes=slot_minutes)
    slot = session.started.replace(
        minute=session.started.minute - session.started.minute % slot_minutes, second=0, microsecond=0
    )
    rows = []
    while slot < end:
        b = slot + step
        planned = sum(kw * _overlap_h(slot, b, s, e) for s, e, kw, _p in segments)
        actual = register_at(points, min(b, end)) - register_at(points, max(slot, session.started))
        rows.append(
            {
                "slot_start": slot.isoformat(),
                "planned_kw": planned / (slot_minutes / 60),
                "planned_kwh": planned,
                "actual_kwh": actual,
                "actual_kw": actual / (slot_minutes / 60),
                "difference_kwh": actual - planned,
            }
        )
        slot = b
    return session, rows


def _overlap_h(a: datetime, b: datetime, s: datetime, e: datetime) -> float:
    return max((min(b, e) - max(a, s)).total_seconds(), 0.0) / 3600
