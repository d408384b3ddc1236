"""OCPP 1.6J: one :class:`CentralV16` per charger connection (the ``ocpp`` library's ChargePoint, central system
side), which is also that charger's :class:`engine.control.connector.ChargerConnector`.

Inbound: BootNotification, Heartbeat, StatusNotification, Authorize, StartTransaction (we assign the integer
transaction id), StopTransaction, MeterValues. Outbound: SetChargingProfile, ClearChargingProfile,
GetCompositeSchedule, RemoteStartTransaction, RemoteStopTransaction. The library holds one outbound call in flight
per connection (its call lock) and raises ``TimeoutError`` when a charger does not answer in time.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ocpp.routing import on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.enums import Action

from engine.control.connector import CommandResult, CommandStatus, CompositeSchedule, MeterReading
from engine.control.profiles import ChargerSchedule, RateUnit
from service.ocpp.link import ChargerLink
from service.ocpp.payloads import STATE_16, composite, iso, parse_time, read_meter, schedule_body

PROTOCOL = "ocpp1.6"
PURPOSE = {"tx": "TxProfile", "tx_default": "TxDefaultProfile"}
ANSWER: dict[str, CommandStatus] = {
    "Accepted": "accepted",
    "Rejected": "rejected",
    "NotSupported": "not_supported",
    "Unknown": "rejected",
}


class CentralV16(ChargerLink, ChargePoint):
    """The central system's end of one 1.6J connection."""

    answers = ANSWER

    # -- inbound ------------------------------------------------------------------------------------------------

    @on(Action.boot_notification)
    def on_boot(self, charge_point_vendor: str, charge_point_model: str, **_: Any) -> call_result.BootNotification:
        return call_result.BootNotification(
            current_time=iso(datetime.now(UTC)), interval=self.heartbeat_s, status="Accepted"
        )

    @on(Action.heartbeat)
    def on_heartbeat(self) -> call_result.Heartbeat:
        return call_result.Heartbeat(current_time=iso(datetime.now(UTC)))

    @on(Action.status_notification)
    async def on_status(
        self, connector_id: int, error_code: str, status: str, timestamp: str | None = None, **_: Any
    ) -> call_result.StatusNotification:
        self.states[connector_id] = STATE_16.get(status, "unavailable")
        at = parse_time(timestamp) if timestamp else datetime.now(UTC)
        await self.central.status(self.charger, connector_id, status, error_code, at)
        return call_result.StatusNotification()

    @on(Action.authorize)
    async def on_authorize(self, id_tag: str) -> call_result.Authorize:
        ok = await self.central.authorize(self.charger, id_tag)
        return call_result.Authorize(id_tag_info={"status": "Accepted" if ok else "Invalid"})

    @on(Action.start_transaction)
    async def on_start(
        self, connector_id: int, id_tag: str, meter_start: int, timestamp: str, **_: Any
    ) -> call_result.StartTransaction:
        ok = await self.central.authorize(self.charger, id_tag)
        session = await self.central.started(
            self.charger, connector_id, id_tag, float(meter_start), parse_time(timestamp), None, PROTOCOL
        )
        return call_result.StartTransaction(
            transaction_id=int(session.transaction_id), id_tag_info={"status": "Accepted" if ok else "Invalid"}
        )

    @on(Action.stop_transaction)
    async def on_stop(
        self, meter_stop: int, timestamp: str, transaction_id: int, reason: str = "Local", **extra: Any
    ) -> call_result.StopTransaction:
        for at, energy, power in read_meter(extra.get("transaction_data") or []):
            if energy is not None:
                await self.central.metered(self.charger, str(transaction_id), at, energy, power, PROTOCOL)
        await self.central.stopped(
            self.charger, str(transaction_id), float(meter_stop), parse_time(timestamp), reason, PROTOCOL
        )
        return call_result.StopTransaction()

    @on(Action.meter_values)
    async def on_meter_values(
        self, connector_id: int, meter_value: list[dict[str, Any]], transaction_id: int | None = None, **_: Any
    ) -> call_result.MeterValues:
        for at, energy, power in read_meter(meter_value):
            if energy is not None:
                self.meters[connector_id] = MeterReading(time=at, energy_wh=energy, power_w=power)
                if transaction_id is not None:
                    await self.central.metered(self.charger, str(transaction_id), at, energy, power, PROTOCOL)
        return call_result.MeterValues()

    # -- outbound (ChargerConnector) ----------------------------------------------------------------------------

    async def set_schedule(self, schedule: ChargerSchedule) -> CommandResult:
        profile: dict[str, Any] = {
            "charging_profile_id": schedule.profile_id,
            "stack_level": schedule.stack_level,
            "charging_profile_purpose": PURPOSE[schedule.purpose],
            "charging_profile_kind": "Absolute",
            "charging_schedule": schedule_body(schedule),
        }
        if schedule.purpose == "tx":
            profile["transaction_id"] = int(schedule.transaction_id or 0)
        else:
            profile["valid_from"] = iso(schedule.start)
        answer = await self._command(
            call.SetChargingProfile(connector_id=schedule.connector_id, cs_charging_profiles=profile)
        )
        return answer

    async def clear_schedule(self, connector_id: int, profile_id: int) -> CommandResult:
        return await self._command(call.ClearChargingProfile(id=profile_id, connector_id=connector_id))

    async def composite_schedule(self, connector_id: int, duration_s: int, unit: RateUnit) -> CompositeSchedule | None:
        answer = await self.call(
            call.GetCompositeSchedule(connector_id=connector_id, duration=duration_s, charging_rate_unit=unit),
            suppress=False,
        )
        if answer.status != "Accepted":
            return None
        return composite(answer.schedule_start, answer.charging_schedule, datetime.now(UTC))

    async def start_session(self, connector_id: int, id_tag: str) -> CommandResult:
        return await self._command(call.RemoteStartTransaction(id_tag=id_tag, connector_id=connector_id))

    async def stop_session(self, transaction_id: str) -> CommandResult:
        return await self._command(call.RemoteStopTransaction(transaction_id=int(transaction_id)))
