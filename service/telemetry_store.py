"""Telemetry writes: ingest (map, deduplicate, check, store), the quarantine and its releases. The tables are in
:mod:`service.tables`, the reads (state, rebuild, event log) in :mod:`service.telemetry_log`.

The latest event per vehicle and type (``telemetry_latest``) is updated in the ingesting transaction, so an
acknowledged event is in the log and in the state together. A batch is one transaction: either all its accepted events and quarantine rows are stored, or none are (and none
were acknowledged).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    bindparam,
    func,
    insert,
    select,
    tuple_,
    update,
)

from engine.telemetry import CheckContext, MappingError, TelemetryEvent, check_event, normalise
from engine.text import printable
from engine.timezones import as_utc
from service.tables import telemetry_events as events
from service.tables import telemetry_latest as latest
from service.tables import telemetry_quarantine as quarantine
from service.tables import telemetry_releases as releases
from service.telemetry_log import TelemetryLog, chunks


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


class TelemetryStore(TelemetryLog):
    """Telemetry writes (ingest, quarantine, release) on top of the reads of :class:`TelemetryLog`."""

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
        for chunk in chunks(vehicles):
            q = select(latest.c.vehicle_id, latest.c.event_time, latest.c.event_json).where(
                latest.c.tenant == tenant, latest.c.type == "odometer", latest.c.vehicle_id.in_(chunk)
            )
            for vid, t, body in conn.execute(q):
                newest[vid] = as_utc(t)
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
                if row is not None and (as_utc(row[0]), float(row[1])) not in history:
                    history.append((as_utc(row[0]), float(row[1])))
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
            for chunk in chunks(ids):
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
            rejected = self._not_yet_quarantined(conn, tenant, rejected)
            if rejected:
                conn.execute(insert(quarantine), rejected)
            self._advance_latest(conn, tenant, accepted)
        return [o for o in outcomes if o is not None]

    @staticmethod
    def _not_yet_quarantined(conn: Any, tenant: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The quarantine rows whose payload is not held already: the same payload (same event id and raw JSON)
        sent again is the one entry it was, within the batch and across batches, so a client retrying a batch
        does not grow the quarantine."""
        if not rows:
            return rows
        held: set[tuple[str | None, str]] = set()
        ids = sorted({r["event_id"] for r in rows if r["event_id"] is not None})
        for chunk in chunks(ids):
            q = select(quarantine.c.event_id, quarantine.c.raw_json).where(
                quarantine.c.tenant == tenant, quarantine.c.event_id.in_(chunk)
            )
            held.update((eid, raw) for eid, raw in conn.execute(q))
        anonymous = sorted({r["raw_json"] for r in rows if r["event_id"] is None})
        for chunk in chunks(anonymous):
            q = select(quarantine.c.raw_json).where(
                quarantine.c.tenant == tenant, quarantine.c.event_id.is_(None), quarantine.c.raw_json.in_(chunk)
            )
            held.update((None, raw) for (raw,) in conn.execute(q))
        out = []
        for r in rows:
            key = (r["event_id"], r["raw_json"])
            if key not in held:
                held.add(key)
                out.append(r)
        return out

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
            vehicle = None if v is None else str(v)
        return {  # as sent, but storable: control characters (PostgreSQL refuses U+0000) written as escapes
            "tenant": tenant,
            "event_id": None if event_id is None else printable(str(event_id))[:200],
            "vehicle_id": None if vehicle is None else printable(vehicle)[:100],
            "reason": reason,
            "message": printable(message),
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
        for chunk in chunks(keys):
            q = select(latest.c.vehicle_id, latest.c.type, latest.c.event_time, latest.c.event_id).where(
                latest.c.tenant == tenant, tuple_(latest.c.vehicle_id, latest.c.type).in_(chunk)
            )
            for vid, typ, t, eid in conn.execute(q):
                held[(vid, typ)] = (as_utc(t), eid)
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
                "received_time": as_utc(r["received_time"]),
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

    def release(self, tenant: str, entry: dict[str, Any], actor: str, corrected: Any | None) -> Outcome:
        """Run a quarantined payload (``entry`` from :meth:`quarantine_entry`), or its correction, through the
        pipeline again and record the release."""
        quarantine_id = entry["id"]
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
