"""OCPP 2.0.1: one :class:`CentralV201` per charger connection (the ``ocpp`` library's ChargePoint, central
system side), which is also that charger's :class:`engine.control.connector.ChargerConnector`.

Inbound: BootNotification, Heartbeat, StatusNotification, Authorize, TransactionEvent (Started / Updated /
Ended; the station names the transaction), MeterValues. Outbound: SetChargingProfile, ClearChargingProfile,
GetCompositeSchedule, RequestStartTransaction, RequestStopTransaction. EVSE ids play the part of 1.6's connector
ids.
"""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime
from typing import Any

from ocpp.routing import on
from ocpp.v201 import ChargePoint, call, call_result
from ocpp.v201.enums import Action

from engine.control.connector import CommandResult, CommandStatus, CompositeSchedule, MeterReading
from engine.control.profiles import ChargerSchedule, RateUnit
from service.ocpp.link import ChargerLink
from service.ocpp.payloads import STATE_201, composite, iso, parse_time, read_meter, schedule_body

PROTOCOL = "ocpp2.0.1"
PURPOSE = {"tx": "TxProfile", "tx_default": "TxDefaultProfile"}
ANSWER: dict[str, CommandStatus] = {"Accepted": "accepted", "Rejected": "rejected", "Unknown": "rejected"}
_remote_start_ids = itertools.count(1)


class CentralV201(ChargerLink, ChargePoint):
    """The central system's end of one 2.0.1 connection."""

    answers = ANSWER

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.transaction_evse: dict[str, int] = {}  # transaction id -> the EVSE it runs on

    # -- inbound ------------------------------------------------------------------------------------------------

    @on(Action.boot_notification)
    def on_boot(self, charging_station: dict[str, Any], reason: str, **_: Any) -> call_result.BootNotification:
        return call_result.BootNotification(
            current_time=iso(datetime.now(UTC)), interval=self.heartbeat_s, status="Accepted"
        )

    @on(Action.heartbeat)
    def on_heartbeat(self, **_: Any) -> call_result.Heartbeat:
        return call_result.Heartbeat(current_time=iso(datetime.now(UTC)))

    @on(Action.status_notification)
    async def on_status(
        self, timestamp: str, connector_status: str, evse_id: int, connector_id: int, **_: Any
    ) -> call_result.StatusNotification:
        self.states[evse_id] = STATE_201.get(connector_status, "unavailable")
        error = "Faulted" if connector_status == "Faulted" else "NoError"
        await self.central.status(self.charger, evse_id, connector_status, error, parse_time(timestamp))
        return call_result.StatusNotification()

    @on(Action.authorize)
    async def on_authorize(self, id_token: dict[str, Any], **_: Any) -> call_result.Authorize:
        ok = await self.central.authorize(self.charger, id_token["id_token"])
        return call_result.Authorize(id_token_info={"status": "Accepted" if ok else "Invalid"})

    @on(Action.transaction_event)
    async def on_transaction_event(
        self,
        event_type: str,
        timestamp: str,
        trigger_reason: str,
        seq_no: int,
        transaction_info: dict[str, Any],
        meter_value: list[dict[str, Any]] | None = None,
        evse: dict[str, Any] | None = None,
        id_token: dict[str, Any] | None = None,
        **_: Any,
    ) -> call_result.TransactionEvent:
        tx = transaction_info["transaction_id"]
        at = parse_time(timestamp)
        readings = read_meter(meter_value or [])
        energies = [e for _t, e, _p in readings if e is not None]
        answer: dict[str, Any] = {}
        if event_type == "Started":
            evse_id = int((evse or {}).get("id", 1))
            self.transaction_evse[tx] = evse_id
            tag = (id_token or {}).get("id_token", "")
            ok = await self.central.authorize(self.charger, tag)
            start_wh = energies[0] if energies else 0.0
            await self.central.started(self.charger, evse_id, tag, start_wh, at, tx, PROTOCOL)
            answer["id_token_info"] = {"status": "Accepted" if ok else "Invalid"}
        if event_type == "Started":
            readings = readings[1:]  # the first is the meter start, recorded with the session
        for t, energy, power in readings:
            if energy is not None:
                evse_id = self.transaction_evse.get(tx, int((evse or {}).get("id", 1)))
                self.meters[evse_id] = MeterReading(time=t, energy_wh=energy, power_w=power)
                await self.central.metered(self.charger, tx, t, energy, power, PROTOCOL)
        if event_type == "Ended":
            session = await self._stop_energy(tx, energies)
            if session is not None:
                reason = transaction_info.get("stopped_reason", "Local")
                await self.central.stopped(self.charger, tx, session, at, reason, PROTOCOL)
        return call_result.TransactionEvent(**answer)

    async def _stop_energy(self, tx: str, energies: list[float]) -> float | None:
        """The meter at the end: the Ended event's last reading, else the last one we have."""
        if energies:
            return energies[-1]
        session = await asyncio.to_thread(self.central.sessions.get, self.charger_id, tx)
        if session is None:
            return None
        return session.last_meter_wh if session.last_meter_wh is not None else session.meter_start_wh

    @on(Action.meter_values)
    async def on_meter_values(
        self, evse_id: int, meter_value: list[dict[str, Any]], **_: Any
    ) -> call_result.MeterValues:
        for t, energy, power in read_meter(meter_value):
            if energy is not None:
                self.meters[evse_id] = MeterReading(time=t, energy_wh=energy, power_w=power)
        return call_result.MeterValues()

    # -- outbound (ChargerConnector) ----------------------------------------------------------------------------

    async def set_schedule(self, schedule: ChargerSchedule) -> CommandResult:
        profile: dict[str, Any] = {
            "id": schedule.profile_id,
            "stack_level": schedule.stack_level,
            "charging_profile_purpose": PURPOSE[schedule.purpose],
            "charging_profile_kind": "Absolute",
            "charging_schedule": [{"id": 1, **schedule_body(schedule)}],
        }
        if schedule.purpose == "tx":
            profile["transaction_id"] = schedule.transaction_id
        else:
            profile["valid_from"] = iso(schedule.start)
        return await self._command(call.SetChargingProfile(evse_id=schedule.connector_id, charging_profile=profile))

    async def clear_schedule(self, connector_id: int, profile_id: int) -> CommandResult:
        return await self._command(call.ClearChargingProfile(charging_profile_id=profile_id))

    async def composite_schedule(self, connector_id: int, duration_s: int, unit: RateUnit) -> CompositeSchedule | None:
        answer = await self.call(
            call.GetCompositeSchedule(duration=duration_s, evse_id=connector_id, charging_rate_unit=unit),
            suppress=False,
        )
        if answer.status != "Accepted" or not answer.schedule:
            return None
        return composite(None, answer.schedule, datetime.now(UTC))

    async def start_session(self, connector_id: int, id_tag: str) -> CommandResult:
        return await self._command(
            call.RequestStartTransaction(
                id_token={"id_token": id_tag, "type": "Central"},
                remote_start_id=next(_remote_start_ids),
                evse_id=connector_id,
            )
        )

    async def stop_session(self, transaction_id: str) -> CommandResult:
        return await self._command(call.RequestStopTransaction(transaction_id=transaction_id))
