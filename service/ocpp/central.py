"""The central system's side of what chargers report, the same for both protocol versions.

The version handlers (:mod:`service.ocpp.v16`, :mod:`service.ocpp.v201`) parse their messages and call these;
this records sessions and status transitions (:mod:`service.ocpp.sessions`) and feeds the charger's meter to the
telemetry ingest as ``charge_session`` events of the session's vehicle (same idempotency: an event id per
charger, transaction and reading time; same checks and quarantine: a token that is no vehicle of the tenant is
quarantined as an unknown vehicle). Blocking store work runs in a thread, off the event loop.

It also keeps the live connections of this process (charger id -> :class:`engine.control.connector.
ChargerConnector`) for the commands (:mod:`service.ocpp.commands`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime
from functools import partial
from typing import Any

from engine.control.connector import ChargerConnector
from engine.timezones import as_utc
from service.ocpp.events import ChargerEvents
from service.ocpp.registry import ChargerRegistry, RegisteredCharger
from service.ocpp.sessions import ChargerSessions, Session
from service.telemetry_store import TelemetryStore

LOG = logging.getLogger("fleetcharge.ocpp")
UNSERVICEABLE = ("Faulted", "Unavailable")
KNOWN_VEHICLES_S = 30.0  # how long a tenant's vehicle ids are reused [s]
LIFECYCLE = {"started": "1-started", "charging": "2-charging", "stopped": "3-stopped"}


class CentralSystem:
    """What chargers report, recorded; the live connections of this process."""

    def __init__(
        self,
        registry: ChargerRegistry,
        sessions: ChargerSessions,
        telemetry: TelemetryStore,
        offline_grace_s: float = 120.0,
    ) -> None:
        self.registry, self.sessions, self.telemetry = registry, sessions, telemetry
        self.offline_grace_s = offline_grace_s
        self.links: dict[str, ChargerConnector] = {}
        self.events: ChargerEvents | None = None  # set by the app: charger events re-plan
        self._known: dict[str, tuple[float, set[str]]] = {}  # tenant -> (when read, its vehicle ids)
        self.changed = asyncio.Event()  # set on every connection change (tests and the bench wait on it)

    # -- connections --------------------------------------------------------------------------------------------

    def connected(self, charger: RegisteredCharger, link: ChargerConnector, protocol: str) -> None:
        old = self.links.get(charger.charger_id)
        if old is not None and old is not link:
            LOG.warning("charger %s connected again: the older connection is replaced", charger.charger_id)
        self.links[charger.charger_id] = link
        self.registry.seen(charger.charger_id, protocol)
        self.changed.set()

    def disconnected(self, charger: RegisteredCharger, link: ChargerConnector, server_stopping: bool = False) -> None:
        """The connection is gone; unless another replaced it or it comes back within ``offline_grace_s``, the
        charger is offline (an event). Connections the stopping service closes are no event."""
        if self.links.get(charger.charger_id) is link:
            del self.links[charger.charger_id]
            if self.events is not None and not server_stopping:
                cid = charger.charger_id
                self.events.offline_unless_back(charger, self.offline_grace_s, lambda: cid in self.links)
        self.changed.set()

    def link(self, charger_id: str) -> ChargerConnector | None:
        return self.links.get(charger_id)

    # -- what chargers report -----------------------------------------------------------------------------------

    async def known_vehicles(self, tenant: str) -> set[str]:
        """The tenant's vehicle ids, read from its fleets at most every ``KNOWN_VEHICLES_S`` [s]: every token and
        meter message needs them, and reading the fleets each time cost about 6 ms of CPU per message at 200
        vehicles (bench/ocpp.py); a vehicle added to a fleet is known within that time."""
        now = time.monotonic()
        cached = self._known.get(tenant)
        if cached is None or now - cached[0] > KNOWN_VEHICLES_S:
            cached = (now, await asyncio.to_thread(self.telemetry.known_vehicles, tenant))
            self._known[tenant] = cached
        return cached[1]

    async def authorize(self, charger: RegisteredCharger, id_tag: str) -> bool:
        """A token is accepted when it is a vehicle of the charger's tenant."""
        known = await self.known_vehicles(charger.tenant)
        return known is None or id_tag in known

    async def status(
        self, charger: RegisteredCharger, connector_id: int, status: str, error: str, at: datetime
    ) -> None:
        """Record a status report; a new Faulted or Unavailable is an event."""
        changed = await asyncio.to_thread(
            self.sessions.status, charger.tenant, charger.charger_id, connector_id, as_utc(at), status, error
        )
        if changed and status in UNSERVICEABLE and self.events is not None:
            kind = "faulted" if status == "Faulted" else "unavailable"
            self.events.fire(charger, kind, {"connector_id": connector_id, "error_code": error}, as_utc(at))

    async def started(
        self,
        charger: RegisteredCharger,
        connector_id: int,
        id_tag: str,
        meter_start_wh: float,
        at: datetime,
        transaction_id: str | None,
        protocol: str,
    ) -> Session:
        """A transaction the charger started (``transaction_id`` None: we assign one, 1.6)."""
        session, new = await asyncio.to_thread(
            self.sessions.start,
            charger.tenant,
            charger.charger_id,
            connector_id,
            id_tag,
            id_tag,
            as_utc(at),
            meter_start_wh,
            transaction_id,
        )
        if new:
            await self._telemetry(charger, session, "started", as_utc(at), meter_start_wh, None, protocol)
        return session

    async def metered(
        self,
        charger: RegisteredCharger,
        transaction_id: str,
        at: datetime,
        energy_wh: float,
        power_w: float | None,
        protocol: str,
    ) -> None:
        """A meter reading of a transaction (readings outside a known transaction are not sessions' energy)."""
        session = await asyncio.to_thread(
            self.sessions.meter, charger.charger_id, transaction_id, as_utc(at), energy_wh
        )
        if session is not None:
            await self._telemetry(charger, session, "charging", as_utc(at), energy_wh, power_w, protocol)

    async def stopped(
        self,
        charger: RegisteredCharger,
        transaction_id: str,
        meter_stop_wh: float,
        at: datetime,
        reason: str,
        protocol: str,
    ) -> Session | None:
        session, closed = await asyncio.to_thread(
            self.sessions.stop, charger.charger_id, transaction_id, as_utc(at), meter_stop_wh, reason
        )
        if session is not None and closed:
            await self._telemetry(charger, session, "stopped", as_utc(at), meter_stop_wh, None, protocol)
            if self.events is not None:
                await self.events.stopped(charger, session)
        return session

    async def _telemetry(
        self,
        charger: RegisteredCharger,
        session: Session,
        state: str,
        at: datetime,
        meter_wh: float,
        power_w: float | None,
        protocol: str,
    ) -> None:
        values: dict[str, Any] = {
            "state": state,
            "charger_id": charger.charger_id,
            "transaction_id": session.transaction_id,
            "meter_kwh": meter_wh / 1000.0,
            "energy_kwh": max(meter_wh - session.meter_start_wh, 0.0) / 1000.0,
        }
        if power_w is not None:
            values["power_kw"] = power_w / 1000.0
        event = {
            # a repeated message is the same event; time, then the session's order (a start and a reading in the
            # same second are folded in that order), then the register (two readings in one second are two events)
            "event_id": f"ocpp:{charger.charger_id}:{session.transaction_id}:{at.isoformat()}:{LIFECYCLE[state]}:"
            f"{meter_wh:.1f}",
            "vehicle_id": session.vehicle_id or session.id_tag,
            "source": f"ocpp:{charger.charger_id}",
            "event_time": at.isoformat(),
            "type": "charge_session",
            "values": values,
            "payload_version": protocol,
        }
        known = await self.known_vehicles(charger.tenant)
        await asyncio.to_thread(partial(self.telemetry.ingest, charger.tenant, [event], known=known))
