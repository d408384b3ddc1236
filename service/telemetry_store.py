"""Telemetry in the service's database: the append-only event log, the quarantine and its releases, and the
latest event per vehicle and type (the incremental state, rebuildable from the log).

- ``telemetry_events``: one row per accepted event, unique per (tenant, event_id): a duplicate is acknowledged and
  counted, never applied twice. Keeps the raw payload for replay and the store's ``received_time``. Append-only.
- ``telemetry_quarantine``: every event a check refused, with its reason, message and raw payload. Append-only.
- ``telemetry_releases``: each release of a quarantined event (corrected or re-checked) and its outcome.
- ``telemetry_latest``: per (tenant, vehicle, type) the winning event (latest event time, then event id); updated in
  the ingesting transaction, so an acknowledged event is in the log and in the state together.

A batch is one transaction: either all its accepted events and quarantine rows are stored, or none are (and none
were acknowledged).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    bindparam,
    func,
    insert,
    select,
    text,
    tuple_,
    update,
)

from engine.forecast import prior_kwh_per_km
from engine.telemetry import EVENT_TYPES, CheckContext, MappingError, TelemetryEvent, check_event, normalise
from engine.telemetry.state import StateView, VehicleTelemetry, view
from service.store import Store, _postgres_triggers, _sqlite_triggers, _utc, metadata

events = Table(
    "telemetry_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("event_id", String(200), nullable=False),
    Column("vehicle_id", String(100), nullable=False),
    Column("source", String(100), nullable=False),
    Column("event_time", DateTime(timezone=True), nullable=False),
    Column("type", String(20), nullable=False),
    Column("values_json", Text, nullable=False),
    Column("payload_version", String(40), nullable=False),
    Column("confidence", Float, nullable=True),
    Column("odometer_km", Float, nullable=True),  # copied out of values for the odometer check
    Column("received_time", DateTime(timezone=True), nullable=False),
    Column("raw_json", Text, nullable=False),
    UniqueConstraint("tenant", "event_id", name="one_event_per_tenant_and_id"),
    Index("telemetry_by_vehicle_type_time", "tenant", "vehicle_id", "type", "event_time", "event_id"),
)

quarantine = Table(
    "telemetry_quarantine",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("tenant", String(64), nullable=False, index=True),
    Column("event_id", String(200), nullable=True),
    Column("vehicle_id", String(100), nullable=True),
    Column("reason", String(40), nullable=False),
    Column("message", Text, nullable=False),
    Column("received_time", DateTime(timezone=True), nullable=False),
    Column("raw_json", Text, nullable=False),
)

releases = Table(
    "telemetry_releases",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("quarantine_id", Integer, nullable=False, index=True),
    Column("released_time", DateTime(timezone=True), nullable=False),
    Column("actor", String(16), nullable=False),
    Column("corrected", Integer, nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("event_id", String(200), nullable=True),
)

latest = Table(
    "telemetry_latest",
    metadata,
    Column("tenant", String(64), primary_key=True),
    Column("vehicle_id", String(100), primary_key=True),
    Column("type", String(20), primary_key=True),
    Column("event_time", DateTime(timezone=True), nullable=False),
    Column("event_id", String(200), nullable=False),
    Column("event_json", Text, nullable=False),
)

APPEND_ONLY_TELEMETRY = ("telemetry_events", "telemetry_quarantine", "telemetry_releases")
CHUNK = 500  # ids per IN (...) query


@dataclass(frozen=True)
class Outcome:
    """One payload's fate: accepted, duplicate or quarantined (with reason and message)."""

    index: int
    event_id: str | None
    status: str
    reason: str | None = None
    message: str | None = None
    vehicle_id: str | None = None  # of an accepted event (not in the answer)

    def as_json(self) -> dict[str, Any]:
        """``{event_id, status, reason?}`` exactly; the reason is ``code: message`` (the code first, for machines;
        the message names the field, for people)."""
        out: dict[str, Any] = {"event_id": self.event_id, "status": self.status}
        if self.reason:
            out["reason"] = f"{self.reason}: {self.message}"
        return out


def _event_from_row(row: Any) -> TelemetryEvent:
    return TelemetryEvent.model_validate_json(row.event_json)


def _chunks(items: Sequence[Any], n: int = CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), n):
        yield items[i : i + n]


class TelemetryStore:
    """Telemetry reads and writes on the service's :class:`~service.store.Store` (same database)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine
        metadata.create_all(self.engine, tables=[events, quarantine, releases, latest])
        dialect = self.engine.dialect.name
        with self.engine.begin() as conn:
            for table in APPEND_ONLY_TELEMETRY:
                statements = _sqlite_triggers(table) if dialect == "sqlite" else _postgres_triggers(table)
                for statement in statements if dialect in ("sqlite", "postgresql") else []:
                    conn.execute(text(statement))

    # context for the checks
    def known_vehicles(self, tenant: str) -> set[str]:
        """Vehicle ids of all the tenant's fleets."""
        return {v["id"] for problem in self.store.fleets_of(tenant) for v in problem.get("vehicles", [])}

    def fleet_vehicle(self, tenant: str, vehicle_id: str) -> dict[str, Any] | None:
        """The vehicle's record in the tenant's fleets (as stored: ``class``, ``battery_kwh``, ...)."""
        for problem in self.store.fleets_of(tenant):
            for v in problem.get("vehicles", []):
                if v["id"] == vehicle_id:
                    return v
        return None

    def _odometers(
        self, conn: Any, tenant: str, batch: list[TelemetryEvent]
    ) -> dict[str, list[tuple[datetime, float]]]:
        """The odometer readings the batch's odometer events must be judged against: per vehicle the latest one
        (``telemetry_latest``), and for each late event (older than that) its neighbours in the log. Odometers
        only rise, so the nearest readings before and after an event are all the check needs."""
        readings = [e for e in batch if e.type == "odometer"]
        vehicles = sorted({e.vehicle_id for e in readings})
        out: dict[str, list[tuple[datetime, float]]] = {}
        newest: dict[str, datetime] = {}
        for chunk in _chunks(vehicles):
            q = select(latest.c.vehicle_id, latest.c.event_time, latest.c.event_json).where(
                latest.c.tenant == tenant, latest.c.type == "odometer", latest.c.vehicle_id.in_(chunk)
            )
            for vid, t, body in conn.execute(q):
                newest[vid] = _utc(t)
                out[vid] = [(newest[vid], float(json.loads(body)["values"]["odometer_km"]))]
        e_ = events.c
        for ev in readings:
            if ev.vehicle_id not in newest or ev.event_time > newest[ev.vehicle_id]:
                continue
            base = select(e_.event_time, e_.odometer_km).where(
                e_.tenant == tenant, e_.vehicle_id == ev.vehicle_id, e_.type == "odometer"
            )
            at = ev.event_time.astimezone(UTC)
            before = conn.execute(base.where(e_.event_time <= at).order_by(e_.event_time.desc()).limit(1)).first()
            after = conn.execute(base.where(e_.event_time > at).order_by(e_.event_time).limit(1)).first()
            history = out.setdefault(ev.vehicle_id, [])
            for row in (before, after):
                if row is not None and (_utc(row[0]), float(row[1])) not in history:
                    history.append((_utc(row[0]), float(row[1])))
            history.sort()
        return out

    # ingest
    def ingest(
        self,
        tenant: str,
        payloads: Sequence[Any],
        received: datetime | None = None,
        known: set[str] | None = None,
        before_write: Callable[[set[str]], None] | None = None,
    ) -> list[Outcome]:
        """Map, deduplicate, check and store one batch in one transaction; one Outcome per payload, in order.
        ``before_write`` is called with the batch's vehicle ids before anything is written (trigger snapshots)."""
        received = received or datetime.now(UTC)
        known = self.known_vehicles(tenant) if known is None else known
        outcomes: list[Outcome | None] = [None] * len(payloads)
        parsed: list[tuple[int, TelemetryEvent, str]] = []
        rejected: list[dict[str, Any]] = []
        for i, p in enumerate(payloads):
            raw = json.dumps(p, default=str)  # as sent, for replay
            try:
                parsed.append((i, normalise(p), raw))
            except MappingError as exc:
                eid = None if exc.event_id is None else str(exc.event_id)
                outcomes[i] = Outcome(i, eid, "quarantined", "malformed", str(exc))
                rejected.append(self._quarantine_row(tenant, eid, p, "malformed", str(exc), received, raw))
        if before_write is not None:
            before_write({e.vehicle_id for _i, e, _r in parsed})
        with self.engine.begin() as conn:
            ids = sorted({e.event_id for _i, e, _r in parsed})
            stored: set[str] = set()
            for chunk in _chunks(ids):
                q = select(events.c.event_id).where(events.c.tenant == tenant, events.c.event_id.in_(chunk))
                stored.update(r[0] for r in conn.execute(q))
            fresh_events = [e for _i, e, _r in parsed if e.event_id not in stored]
            ctx = CheckContext(received, known, odometers=self._odometers(conn, tenant, fresh_events))
            seen: set[str] = set()
            accepted_rows: list[dict[str, Any]] = []
            accepted: list[TelemetryEvent] = []
            for i, e, raw in sorted(parsed, key=lambda t: (t[1].event_time, t[0])):
                if e.event_id in stored or e.event_id in seen:
                    outcomes[i] = Outcome(i, e.event_id, "duplicate")
                    continue
                verdict = check_event(e, ctx)
                if not verdict.ok:
                    outcomes[i] = Outcome(i, e.event_id, "quarantined", verdict.reason, verdict.message)
                    rejected.append(
                        self._quarantine_row(
                            tenant, e.event_id, payloads[i], verdict.reason or "", verdict.message, received, raw
                        )
                    )
                    continue
                seen.add(e.event_id)
                ctx.accept(e)
                accepted.append(e)
                accepted_rows.append(self._event_row(tenant, e, received, raw))
                outcomes[i] = Outcome(i, e.event_id, "accepted", vehicle_id=e.vehicle_id)
            if accepted_rows:
                conn.execute(insert(events), accepted_rows)
            if rejected:
                conn.execute(insert(quarantine), rejected)
            self._advance_latest(conn, tenant, accepted)
        return [o for o in outcomes if o is not None]

    @staticmethod
    def _event_row(tenant: str, e: TelemetryEvent, received: datetime, raw: str) -> dict[str, Any]:
        km = e.values.get("odometer_km") if e.type == "odometer" else None
        return {
            "tenant": tenant,
            "event_id": e.event_id,
            "vehicle_id": e.vehicle_id,
            "source": e.source,
            "event_time": e.event_time.astimezone(UTC),
            "type": e.type,
            "values_json": json.dumps(e.values),
            "payload_version": e.payload_version,
            "confidence": e.confidence,
            "odometer_km": km,
            "received_time": received,
            "raw_json": raw,
        }

    @staticmethod
    def _quarantine_row(
        tenant: str, event_id: str | None, payload: Any, reason: str, message: str, received: datetime, raw: str
    ) -> dict[str, Any]:
        vehicle = None
        if isinstance(payload, dict):
            v = payload.get("vehicle_id") or payload.get("unit_id") or (payload.get("vehicle") or {}).get("id")
            vehicle = None if v is None else str(v)[:100]
        return {
            "tenant": tenant,
            "event_id": None if event_id is None else str(event_id)[:200],
            "vehicle_id": vehicle,
            "reason": reason,
            "message": message,
            "received_time": received,
            "raw_json": raw,
        }

    def _advance_latest(self, conn: Any, tenant: str, accepted: list[TelemetryEvent]) -> None:
        """Fold the batch's accepted events into ``telemetry_latest`` (only newer events replace a row)."""
        best: dict[tuple[str, str], TelemetryEvent] = {}
        for e in accepted:
            k = (e.vehicle_id, e.type)
            if k not in best or (e.event_time, e.event_id) > (best[k].event_time, best[k].event_id):
                best[k] = e
        if not best:
            return
        held: dict[tuple[str, str], tuple[datetime, str]] = {}
        keys = sorted(best)
        for chunk in _chunks(keys):
            q = select(latest.c.vehicle_id, latest.c.type, latest.c.event_time, latest.c.event_id).where(
                latest.c.tenant == tenant, tuple_(latest.c.vehicle_id, latest.c.type).in_(chunk)
            )
            for vid, typ, t, eid in conn.execute(q):
                held[(vid, typ)] = (_utc(t), eid)
        fresh, newer = [], []
        for k, e in best.items():
            row = {
                "tenant": tenant,
                "vehicle_id": k[0],
                "type": k[1],
                "event_time": e.event_time.astimezone(UTC),
                "event_id": e.event_id,
                "event_json": e.model_dump_json(),
            }
            if k not in held:
                fresh.append(row)
            elif (e.event_time, e.event_id) > held[k]:
                newer.append(row)
        if fresh:
            conn.execute(insert(latest), fresh)
        if newer:
            key = {"k_tenant": tenant}
            conn.execute(
                update(latest)
                .where(
                    latest.c.tenant == bindparam("k_tenant"),
                    latest.c.vehicle_id == bindparam("k_vehicle"),
                    latest.c.type == bindparam("k_type"),
                )
                .values(event_time=bindparam("t"), event_id=bindparam("eid"), event_json=bindparam("body")),
                [
                    {
                        **key,
                        "k_vehicle": r["vehicle_id"],
                        "k_type": r["type"],
                        "t": r["event_time"],
                        "eid": r["event_id"],
                        "body": r["event_json"],
                    }
                    for r in newer
                ],
            )

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
            s.apply(_event_from_row(r))
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
            for chunk in _chunks(vehicles, 200):
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
                        event_time=_utc(r.event_time),
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
    ) -> dict[str, StateView]:
        """State views at ``now`` (SOC estimated from distance driven since the reading, by the class prior) of
        the vehicles that have telemetry; ``rebuild`` derives the states from the log instead."""
        if rebuild:
            states = self.rebuild(tenant, list(vehicle_ids))
        else:
            states = {v: s for v in vehicle_ids if (s := self.state(tenant, v)) is not None}
        fleet = {v["id"]: v for problem in self.store.fleets_of(tenant) for v in problem.get("vehicles", [])}
        out = {}
        for vid, state in states.items():
            vehicle = fleet.get(vid)
            soc = state.latest.get("soc")
            odo = self.odometer_at(tenant, vid, soc.event_time) if soc is not None else None
            battery = vehicle["battery_kwh"] if vehicle else None
            rate = prior_kwh_per_km(vehicle["class"]) if vehicle else None
            out[vid] = view(state, now, battery, rate, odo, stale_after_min)
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

    def events_of(self, tenant: str, vehicle_id: str, limit: int = 1000) -> list[dict[str, Any]]:
        """A vehicle's accepted events ordered by event time (late arrivals in their place), with received time."""
        q = (
            select(events)
            .where(events.c.tenant == tenant, events.c.vehicle_id == vehicle_id)
            .order_by(events.c.event_time, events.c.event_id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [
                {
                    "event_id": r.event_id,
                    "vehicle_id": r.vehicle_id,
                    "source": r.source,
                    "event_time": _utc(r.event_time),
                    "type": r.type,
                    "values": json.loads(r.values_json),
                    "payload_version": r.payload_version,
                    "confidence": r.confidence,
                    "received_time": _utc(r.received_time),
                }
                for r in conn.execute(q).mappings()
            ]

    def count_events(self, tenant: str) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(events).where(events.c.tenant == tenant)).scalar_one()

    # quarantine
    def quarantined(self, tenant: str, limit: int = 100, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        """Quarantined events, newest first, with their release (if any)."""
        rel = (
            select(releases.c.quarantine_id, func.max(releases.c.id).label("rid"))
            .where(releases.c.tenant == tenant, releases.c.outcome.in_(("accepted", "duplicate")))
            .group_by(releases.c.quarantine_id)
            .subquery()
        )
        q = (
            select(quarantine, rel.c.rid)
            .outerjoin(rel, quarantine.c.id == rel.c.quarantine_id)
            .where(quarantine.c.tenant == tenant)
            .order_by(quarantine.c.id.desc())
        )
        with self.engine.connect() as conn:
            total = conn.execute(
                select(func.count()).select_from(quarantine).where(quarantine.c.tenant == tenant)
            ).scalar_one()
            rows = conn.execute(q.limit(limit).offset(offset)).mappings().all()
        return [
            {
                "id": r["id"],
                "event_id": r["event_id"],
                "vehicle_id": r["vehicle_id"],
                "reason": r["reason"],
                "message": r["message"],
                "received_time": _utc(r["received_time"]),
                "payload": json.loads(r["raw_json"]),
                "released": r["rid"] is not None,
            }
            for r in rows
        ], int(total)

    def quarantine_entry(self, tenant: str, quarantine_id: int) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            r = (
                conn.execute(select(quarantine).where(quarantine.c.tenant == tenant, quarantine.c.id == quarantine_id))
                .mappings()
                .first()
            )
            done = conn.execute(
                select(func.count())
                .select_from(releases)
                .where(
                    releases.c.tenant == tenant,
                    releases.c.quarantine_id == quarantine_id,
                    releases.c.outcome.in_(("accepted", "duplicate")),
                )
            ).scalar_one()
        if r is None:
            return None
        return {"id": r["id"], "reason": r["reason"], "payload": json.loads(r["raw_json"]), "released": done > 0}

    def release(self, tenant: str, quarantine_id: int, actor: str, corrected: Any | None) -> Outcome:
        """Run a quarantined payload (or its correction) through the pipeline again and record the release."""
        entry = self.quarantine_entry(tenant, quarantine_id)
        if entry is None:
            raise LookupError(f"no quarantined event {quarantine_id}")
        payload = corrected if corrected is not None else entry["payload"]
        outcome = self.ingest(tenant, [payload])[0]
        with self.engine.begin() as conn:
            conn.execute(
                insert(releases).values(
                    tenant=tenant,
                    quarantine_id=quarantine_id,
                    released_time=datetime.now(UTC),
                    actor=actor,
                    corrected=int(corrected is not None),
                    outcome=outcome.status,
                    event_id=outcome.event_id,
                )
            )
        return outcome
