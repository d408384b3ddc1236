"""Telemetry reads: the tenant's fleet vehicles, the incremental state, its rebuild from the event log, state views
with SOC estimates, and the event log in event-time order (tables in :mod:`service.tables`)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, text

from engine.domain import Depot
from engine.forecast import prior_kwh_per_km
from engine.telemetry import EVENT_TYPES, TelemetryEvent
from engine.telemetry.state import StateView, VehicleTelemetry, view
from engine.timezones import as_utc
from service.store import Store
from service.tables import telemetry_events as events
from service.tables import telemetry_latest as latest

CHUNK = 500  # ids per IN (...) query


def chunks(items: Sequence[Any], n: int = CHUNK) -> Iterable[Sequence[Any]]:
    """``items`` in slices of at most ``n`` (for IN (...) lists)."""
    for i in range(0, len(items), n):
        yield items[i : i + n]


class TelemetryLog:
    """Telemetry reads on the service's :class:`~service.store.Store` (same database)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine  # its tables were created with the store's (service.tables)

    def fleet_vehicles(self, tenant: str) -> dict[str, dict[str, Any]]:
        """Vehicle id -> record (as stored: ``class``, ``battery_kwh``, ``depot_id``, ...) over all the tenant's
        fleets, read once per call."""
        return {v["id"]: v for problem in self.store.fleets_of(tenant) for v in problem.get("vehicles", [])}

    def fleet_depots(self, tenant: str) -> list[Depot]:
        """The depots of all the tenant's fleets, in fleet order (their locations place positions at a depot)."""
        return [Depot.model_validate(d) for problem in self.store.fleets_of(tenant) for d in problem.get("depots", [])]

    def known_vehicles(self, tenant: str) -> set[str]:
        """Vehicle ids of all the tenant's fleets."""
        return set(self.fleet_vehicles(tenant))

    def fleet_vehicle(self, tenant: str, vehicle_id: str) -> dict[str, Any] | None:
        """The vehicle's record in the tenant's fleets."""
        return self.fleet_vehicles(tenant).get(vehicle_id)

    # state
    def state(self, tenant: str, vehicle_id: str) -> VehicleTelemetry | None:
        """The incremental state (``telemetry_latest``)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(latest.c.event_json).where(latest.c.tenant == tenant, latest.c.vehicle_id == vehicle_id)
            ).all()
        return self._state(vehicle_id, rows)

    @staticmethod
    def _state(vehicle_id: str, rows: Sequence[Any]) -> VehicleTelemetry | None:
        if not rows:
            return None
        s = VehicleTelemetry(vehicle_id=vehicle_id)
        for r in rows:
            s.apply(TelemetryEvent.model_validate_json(r.event_json))
        return s

    def _vehicles_in_log(self, conn: Any, tenant: str) -> list[str]:
        """Distinct vehicle ids of the tenant's log by index seeks (a recursive skip-scan), not a full scan."""
        q = text(
            "WITH RECURSIVE v(id) AS ("
            " SELECT MIN(vehicle_id) FROM telemetry_events WHERE tenant = :t"
            " UNION ALL SELECT (SELECT MIN(vehicle_id) FROM telemetry_events WHERE tenant = :t AND vehicle_id > v.id)"
            " FROM v WHERE v.id IS NOT NULL"
            ") SELECT id FROM v WHERE id IS NOT NULL"
        )
        return [r[0] for r in conn.execute(q, {"t": tenant})]

    def rebuild(self, tenant: str, vehicle_ids: Sequence[str] | None = None) -> dict[str, VehicleTelemetry]:
        """State from the event log alone: per vehicle and type the row with the latest (event_time, event_id),
        each found by one seek on the (tenant, vehicle, type, time, id) index, so the cost grows with vehicles x
        types, not with the length of the log."""
        e = events.c
        out: dict[str, VehicleTelemetry] = {}
        with self.engine.connect() as conn:
            vehicles = list(vehicle_ids) if vehicle_ids is not None else self._vehicles_in_log(conn, tenant)
            for chunk in chunks(vehicles, 200):
                ids = []
                for vid in chunk:
                    for typ in EVENT_TYPES:
                        ids.append(
                            select(e.id)
                            .where(e.tenant == tenant, e.vehicle_id == vid, e.type == typ)
                            .order_by(e.event_time.desc(), e.event_id.desc())
                            .limit(1)
                            .scalar_subquery()
                        )
                row = conn.execute(select(*ids)).one()
                winners = [x for x in row if x is not None]
                if not winners:
                    continue
                q = select(
                    e.vehicle_id,
                    e.event_id,
                    e.source,
                    e.event_time,
                    e.type,
                    e.values_json,
                    e.payload_version,
                    e.confidence,
                ).where(e.id.in_(winners))
                for r in conn.execute(q):
                    ev = TelemetryEvent(
                        event_id=r.event_id,
                        vehicle_id=r.vehicle_id,
                        source=r.source,
                        event_time=as_utc(r.event_time),
                        type=r.type,
                        values=json.loads(r.values_json),
                        payload_version=r.payload_version,
                        confidence=r.confidence,
                    )
                    out.setdefault(r.vehicle_id, VehicleTelemetry(vehicle_id=r.vehicle_id)).apply(ev)
        return out

    def views(
        self,
        tenant: str,
        vehicle_ids: Sequence[str],
        now: datetime,
        stale_after_min: float = 60.0,
        rebuild: bool = False,
        fleet: dict[str, dict[str, Any]] | None = None,
    ) -> dict[str, StateView]:
        """State views at ``now`` (SOC estimated from distance driven since the reading, by the class prior) of
        the vehicles that have telemetry; ``rebuild`` derives the states from the log instead. ``fleet``: the
        tenant's :meth:`fleet_vehicles` when the caller has them already."""
        if rebuild:
            states = self.rebuild(tenant, list(vehicle_ids))
        else:
            states = {v: s for v in vehicle_ids if (s := self.state(tenant, v)) is not None}
        fleet = self.fleet_vehicles(tenant) if fleet is None else fleet
        depots = self.fleet_depots(tenant)
        out = {}
        for vid, state in states.items():
            vehicle = fleet.get(vid)
            soc = state.latest.get("soc")
            odo = self.odometer_at(tenant, vid, soc.event_time) if soc is not None else None
            battery = vehicle["battery_kwh"] if vehicle else None
            rate = prior_kwh_per_km(vehicle["class"]) if vehicle else None
            out[vid] = view(state, now, battery, rate, odo, stale_after_min, depots)
        return out

    def odometer_at(self, tenant: str, vehicle_id: str, when: datetime) -> float | None:
        """The latest accepted odometer reading at or before ``when`` [km]."""
        q = (
            select(events.c.odometer_km)
            .where(
                events.c.tenant == tenant,
                events.c.vehicle_id == vehicle_id,
                events.c.type == "odometer",
                events.c.event_time <= when.astimezone(UTC),
            )
            .order_by(events.c.event_time.desc(), events.c.event_id.desc())
            .limit(1)
        )
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        return None if row is None else float(row[0])

    def events_of(
        self,
        tenant: str,
        vehicle_id: str,
        limit: int = 1000,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[dict[str, Any]]:
        """A vehicle's accepted events ordered by event time (late arrivals in their place), with received time;
        those with ``start <= event_time < end`` when given."""
        q = select(events).where(events.c.tenant == tenant, events.c.vehicle_id == vehicle_id)
        if start is not None:
            q = q.where(events.c.event_time >= start.astimezone(UTC))
        if end is not None:
            q = q.where(events.c.event_time < end.astimezone(UTC))
        q = q.order_by(events.c.event_time, events.c.event_id).limit(limit)
        with self.engine.connect() as conn:
            return [
                {
                    "event_id": r.event_id,
                    "vehicle_id": r.vehicle_id,
                    "source": r.source,
                    "event_time": as_utc(r.event_time),
                    "type": r.type,
                    "values": json.loads(r.values_json),
                    "payload_version": r.payload_version,
                    "confidence": r.confidence,
                    "received_time": as_utc(r.received_time),
                }
                for r in conn.execute(q).mappings()
            ]

    def count_events(self, tenant: str) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(events).where(events.c.tenant == tenant)).scalar_one()
