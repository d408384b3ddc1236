"""Charger sessions and status transitions in the store, written only from the chargers' own messages.

A session opens when the charger reports a transaction start (1.6 StartTransaction, 2.0.1 TransactionEvent
Started) and closes when it reports the stop; an "Accepted" answer to a remote start is no session. Messages a
charger repeats (it did not get our answer, or queued them offline) change nothing the second time: a start is
found again by charger, connector, time, token and meter start; a stop or a meter value by transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from engine.control.profiles import ChargerSchedule
from engine.timezones import as_utc
from service.ocpp.tables import charger_schedules, charger_sessions, charger_status


@dataclass(frozen=True)
class Session:
    """One transaction as the charger reported it; energies [Wh] of its own meter."""

    charger_id: str
    connector_id: int
    transaction_id: str
    id_tag: str
    vehicle_id: str | None
    started: datetime
    meter_start_wh: float
    stopped: datetime | None
    meter_stop_wh: float | None
    stop_reason: str | None
    last_meter_wh: float | None

    @property
    def energy_wh(self) -> float:
        """Energy delivered so far (to the stop if stopped) [Wh]."""
        end = self.meter_stop_wh if self.meter_stop_wh is not None else self.last_meter_wh
        return 0.0 if end is None else max(end - self.meter_start_wh, 0.0)

    def as_json(self) -> dict[str, Any]:
        return {
            "charger_id": self.charger_id,
            "connector_id": self.connector_id,
            "transaction_id": self.transaction_id,
            "vehicle_id": self.vehicle_id,
            "started": self.started.isoformat(),
            "stopped": None if self.stopped is None else self.stopped.isoformat(),
            "stop_reason": self.stop_reason,
            "energy_kwh": self.energy_wh / 1000.0,
        }


@dataclass(frozen=True)
class SentSchedule:
    """A schedule sent to a charger and the charger's answer to it."""

    tenant: str
    decision_id: str
    command_id: str
    schedule: ChargerSchedule
    answer: str

    def row(self) -> dict[str, Any]:
        return {
            "tenant": self.tenant,
            "charger_id": self.schedule.charger_id,
            "decision_id": self.decision_id,
            "command_id": self.command_id,
            "sent": datetime.now(UTC),
            "answer": self.answer,
            "schedule_json": self.schedule.model_dump_json(),
        }


class ChargerSessions:
    """Reads and writes of sessions, status transitions and sent schedules (blocking: call off the loop)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def start(
        self,
        tenant: str,
        charger_id: str,
        connector_id: int,
        id_tag: str,
        vehicle_id: str | None,
        started: datetime,
        meter_start_wh: float,
        transaction_id: str | None = None,
    ) -> tuple[Session, bool]:
        """Open a session (``transaction_id`` None: we assign the next integer of this charger, OCPP 1.6); the
        session and whether it is new (False: the charger repeated a start already recorded)."""
        c = charger_sessions.c
        with self.engine.begin() as conn:
            if transaction_id is None:
                again = conn.execute(
                    select(charger_sessions).where(
                        c.charger_id == charger_id,
                        c.connector_id == connector_id,
                        c.started == started,
                        c.id_tag == id_tag,
                        c.meter_start_wh == meter_start_wh,
                    )
                ).first()
                if again is not None:
                    return _session(again), False
                count = conn.execute(select(func.count()).where(c.charger_id == charger_id)).scalar_one()
                transaction_id = str(count + 1)
            else:
                again = conn.execute(
                    select(charger_sessions).where(c.charger_id == charger_id, c.transaction_id == transaction_id)
                ).first()
                if again is not None:
                    return _session(again), False
        values = {
            "tenant": tenant,
            "charger_id": charger_id,
            "connector_id": connector_id,
            "transaction_id": transaction_id,
            "id_tag": id_tag,
            "vehicle_id": vehicle_id,
            "started": started,
            "meter_start_wh": meter_start_wh,
        }
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(charger_sessions).values(**values))
        except IntegrityError:  # a concurrent duplicate of the same start won: that one is the session
            found = self.get(charger_id, transaction_id)
            assert found is not None
            return found, False
        found = self.get(charger_id, transaction_id)
        assert found is not None
        return found, True

    def meter(self, charger_id: str, transaction_id: str, at: datetime, energy_wh: float) -> Session | None:
        """A meter reading of a running transaction (an older reading than the last one changes nothing)."""
        c = charger_sessions.c
        with self.engine.begin() as conn:
            conn.execute(
                update(charger_sessions)
                .where(
                    c.charger_id == charger_id,
                    c.transaction_id == transaction_id,
                    (c.last_meter_time.is_(None)) | (c.last_meter_time < at),
                )
                .values(last_meter_wh=energy_wh, last_meter_time=at)
            )
        return self.get(charger_id, transaction_id)

    def stop(
        self, charger_id: str, transaction_id: str, stopped: datetime, meter_stop_wh: float, reason: str
    ) -> tuple[Session | None, bool]:
        """Close a session; the session and whether this closed it (False: unknown, or already closed)."""
        c = charger_sessions.c
        with self.engine.begin() as conn:
            done = conn.execute(
                update(charger_sessions)
                .where(c.charger_id == charger_id, c.transaction_id == transaction_id, c.stopped.is_(None))
                .values(stopped=stopped, meter_stop_wh=meter_stop_wh, stop_reason=reason)
            )
        return self.get(charger_id, transaction_id), done.rowcount == 1

    def get(self, charger_id: str, transaction_id: str) -> Session | None:
        c = charger_sessions.c
        with self.engine.connect() as conn:
            row = conn.execute(
                select(charger_sessions).where(c.charger_id == charger_id, c.transaction_id == transaction_id)
            ).first()
        return None if row is None else _session(row)

    def running(self, tenant: str) -> dict[str, Session]:
        """Charger id -> its open session."""
        c = charger_sessions.c
        q = select(charger_sessions).where(c.tenant == tenant, c.stopped.is_(None)).order_by(c.started)
        with self.engine.connect() as conn:
            return {r.charger_id: _session(r) for r in conn.execute(q)}

    def of_tenant(self, tenant: str, since: datetime | None = None) -> list[Session]:
        c = charger_sessions.c
        q = select(charger_sessions).where(c.tenant == tenant)
        if since is not None:
            q = q.where(c.started >= since)
        with self.engine.connect() as conn:
            return [_session(r) for r in conn.execute(q.order_by(c.started, c.charger_id))]

    def status(self, tenant: str, charger_id: str, connector_id: int, at: datetime, status: str, error: str) -> bool:
        """Record a status report if it changes the connector's last status; whether it did."""
        c = charger_status.c
        with self.engine.begin() as conn:
            last = conn.execute(
                select(c.status, c.error_code)
                .where(c.tenant == tenant, c.charger_id == charger_id, c.connector_id == connector_id)
                .order_by(c.id.desc())
                .limit(1)
            ).first()
            if last is not None and (last.status, last.error_code) == (status, error):
                return False
            conn.execute(
                insert(charger_status).values(
                    tenant=tenant,
                    charger_id=charger_id,
                    connector_id=connector_id,
                    at=at,
                    status=status,
                    error_code=error,
                )
            )
        return True

    def status_log(self, tenant: str, charger_id: str) -> list[dict[str, Any]]:
        c = charger_status.c
        q = select(charger_status).where(c.tenant == tenant, c.charger_id == charger_id).order_by(c.id)
        with self.engine.connect() as conn:
            return [
                {"connector_id": r.connector_id, "at": as_utc(r.at), "status": r.status, "error_code": r.error_code}
                for r in conn.execute(q)
            ]

    def schedule_sent(
        self, tenant: str, decision_id: str, command_id: str, schedule: ChargerSchedule, answer: str
    ) -> bool:
        """Record a schedule a charger answered (once per command id); whether this recorded it."""
        return self.schedules_sent([SentSchedule(tenant, decision_id, command_id, schedule, answer)]) == 1

    def schedules_sent(self, sent: list[SentSchedule]) -> int:
        """Record schedules chargers answered in one transaction, each once per command id (a batch made again
        after a crash records nothing twice); how many this recorded."""
        c = charger_schedules.c
        ids = {s.command_id for s in sent}
        try:
            with self.engine.begin() as conn:
                known = set(conn.execute(select(c.command_id).where(c.command_id.in_(ids))).scalars()) if ids else set()
                rows = {s.command_id: s.row() for s in sent if s.command_id not in known}
                if rows:
                    conn.execute(insert(charger_schedules), list(rows.values()))
        except IntegrityError:  # recorded at the same moment by another writer: one by one, each once
            return sum(self.schedules_sent([s]) for s in sent) if len(sent) > 1 else 0
        return len(rows)

    def schedules(self, tenant: str, charger_id: str | None = None) -> list[dict[str, Any]]:
        c = charger_schedules.c
        q = select(charger_schedules).where(c.tenant == tenant)
        if charger_id is not None:
            q = q.where(c.charger_id == charger_id)
        with self.engine.connect() as conn:
            return [
                {
                    "charger_id": r.charger_id,
                    "decision_id": r.decision_id,
                    "command_id": r.command_id,
                    "sent": as_utc(r.sent),
                    "answer": r.answer,
                    "schedule": json.loads(r.schedule_json),
                }
                for r in conn.execute(q.order_by(c.id))
            ]


def _session(r: Any) -> Session:
    return Session(
        charger_id=r.charger_id,
        connector_id=r.connector_id,
        transaction_id=r.transaction_id,
        id_tag=r.id_tag,
        vehicle_id=r.vehicle_id,
        started=as_utc(r.started),
        meter_start_wh=r.meter_start_wh,
        stopped=None if r.stopped is None else as_utc(r.stopped),
        meter_stop_wh=r.meter_stop_wh,
        stop_reason=r.stop_reason,
        last_meter_wh=r.last_meter_wh,
    )
