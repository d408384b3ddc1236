"""Simulated charge points written with the same ``ocpp`` library, as clients over real WebSockets: the protocol
peers the tests, the benchmark and a dry run of a depot talk to.

A :class:`SimulatedCharger` (one connector) keeps the profiles it is sent and answers GetCompositeSchedule from
them as a charger does (the valid TxProfile of the running transaction, else the valid TxDefaultProfile, the
highest stack level winning), so what it reports back is what it would really do. Charging runs in *time-lapse*:
:meth:`SimulatedCharger.charge_slots` advances its meter by one schedule slot per step at the limit then in
force (``min(limit, the vehicle's max)``), and reports each reading at the real time it is sent, so the energy of
a session is the schedule's and its readings are never dated in the future.

``behaviour`` makes it misbehave for fault tests: ``reject_profiles`` answers SetChargingProfile with Rejected,
``answer_delay_s`` answers the first ``late_answers`` calls of the central system that late.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
from datetime import datetime, timedelta
from typing import Any

import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16
from ocpp.v16.enums import Action as Action16
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as result201
from ocpp.v201.enums import Action as Action201

from service.ocpp.payloads import iso
from service.ocpp.simulated_connector import Behaviour, ConnectorModel, received_profile
from service.ocpp.simulated_connector import now as _now


def basic_auth(identity: str, key: str) -> str:
    return "Basic " + base64.b64encode(f"{identity}:{key}".encode()).decode()


class _Simulated:
    """What both versions share: the connection, the connector model, the misbehaviour."""

    protocol = ""
    model: ConnectorModel
    behaviour: Behaviour
    socket: Any

    async def _delay(self) -> None:
        self.calls_received = getattr(self, "calls_received", 0) + 1
        if self.behaviour.answer_delay_s and self.calls_received <= self.behaviour.late_answers:
            await asyncio.sleep(self.behaviour.answer_delay_s)

    async def close(self) -> None:
        await self.socket.close()


class SimulatedCharger16(ChargePoint16, _Simulated):
    """A 1.6J charge point with one connector (connector id 1)."""

    protocol = "ocpp1.6"

    def __init__(self, identity: str, socket: Any, behaviour: Behaviour) -> None:
        super().__init__(identity, socket, response_timeout=30)
        self.socket, self.behaviour, self.model = socket, behaviour, ConnectorModel()

    async def boot(self) -> None:
        await self.call(call16.BootNotification(charge_point_model="Sim-16", charge_point_vendor="fleetcharge"))
        await self.status("Available")

    async def status(self, status: str, error_code: str = "NoError") -> None:
        await self.call(
            call16.StatusNotification(connector_id=1, error_code=error_code, status=status, timestamp=iso(_now()))
        )

    async def plug_in(self, id_tag: str) -> str:
        """Authorize, start a transaction; its id (assigned by the central system)."""
        await self.call(call16.Authorize(id_tag=id_tag))
        answer = await self.call(
            call16.StartTransaction(
                connector_id=1, id_tag=id_tag, meter_start=round(self.model.meter_wh), timestamp=iso(_now())
            )
        )
        self.model.transaction_id = str(answer.transaction_id)
        await self.status("Charging")
        return self.model.transaction_id

    async def report_meter(self, power_w: float) -> None:
        value = [
            {
                "timestamp": iso(_now()),
                "sampled_value": [
                    {"value": f"{self.model.meter_wh:.1f}", "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
                    {"value": f"{power_w:.1f}", "measurand": "Power.Active.Import", "unit": "W"},
                ],
            }
        ]
        tx = None if self.model.transaction_id is None else int(self.model.transaction_id)
        await self.call(call16.MeterValues(connector_id=1, meter_value=value, transaction_id=tx))

    async def unplug(self, reason: str = "EVDisconnected") -> None:
        assert self.model.transaction_id is not None
        await self.call(
            call16.StopTransaction(
                meter_stop=round(self.model.meter_wh),
                timestamp=iso(_now()),
                transaction_id=int(self.model.transaction_id),
                reason=reason,
            )
        )
        self.model.transaction_id = None
        await self.status("Available")

    @on(Action16.set_charging_profile)
    async def on_set_profile(
        self, connector_id: int, cs_charging_profiles: dict[str, Any]
    ) -> result16.SetChargingProfile:
        await self._delay()
        if self.behaviour.reject_profiles:
            return result16.SetChargingProfile(status="Rejected")
        p, s = cs_charging_profiles, cs_charging_profiles["charging_schedule"]
        self.model.profiles[p["charging_profile_id"]] = received_profile(
            p, s, p["charging_profile_purpose"], p["charging_profile_id"]
        )
        return result16.SetChargingProfile(status="Accepted")

    @on(Action16.clear_charging_profile)
    async def on_clear(self, id: int | None = None, **_: Any) -> result16.ClearChargingProfile:
        await self._delay()
        found = self.model.profiles.pop(id, None) if id is not None else None
        return result16.ClearChargingProfile(status="Accepted" if found else "Unknown")

    @on(Action16.get_composite_schedule)
    async def on_composite(
        self, connector_id: int, duration: int, charging_rate_unit: str = "W", **_: Any
    ) -> result16.GetCompositeSchedule:
        await self._delay()
        now = _now()
        unit = charging_rate_unit
        periods = self.model.composite(now, duration, unit)
        schedule = {
            "duration": duration,
            "start_schedule": iso(now),
            "charging_rate_unit": unit,
            "charging_schedule_period": [{"start_period": s, "limit": lim} for s, lim in periods],
        }
        return result16.GetCompositeSchedule(
            status="Accepted", connector_id=connector_id, schedule_start=iso(now), charging_schedule=schedule
        )

    @on(Action16.remote_start_transaction)
    async def on_remote_start(self, id_tag: str, **_: Any) -> result16.RemoteStartTransaction:
        await self._delay()
        return result16.RemoteStartTransaction(status="Accepted")

    @on(Action16.remote_stop_transaction)
    async def on_remote_stop(self, transaction_id: int) -> result16.RemoteStopTransaction:
        await self._delay()
        ok = self.model.transaction_id == str(transaction_id)
        return result16.RemoteStopTransaction(status="Accepted" if ok else "Rejected")


class SimulatedCharger201(ChargePoint201, _Simulated):
    """A 2.0.1 charging station with one EVSE (evse id 1, connector 1)."""

    protocol = "ocpp2.0.1"

    def __init__(self, identity: str, socket: Any, behaviour: Behaviour) -> None:
        super().__init__(identity, socket, response_timeout=30)
        self.socket, self.behaviour, self.model = socket, behaviour, ConnectorModel()
        self.seq = 0
        self.tx_count = 0

    async def boot(self) -> None:
        await self.call(
            call201.BootNotification(
                charging_station={"model": "Sim-201", "vendor_name": "fleetcharge"}, reason="PowerUp"
            )
        )
        await self.status("Available")

    async def status(self, status: str, error_code: str = "NoError") -> None:
        await self.call(
            call201.StatusNotification(timestamp=iso(_now()), connector_status=status, evse_id=1, connector_id=1)
        )

    def _meter(self, power_w: float | None = None) -> list[dict[str, Any]]:
        sampled = [
            {
                "value": round(self.model.meter_wh, 1),
                "measurand": "Energy.Active.Import.Register",
                "unit_of_measure": {"unit": "Wh"},
            }
        ]
        if power_w is not None:
            sampled.append(
                {"value": round(power_w, 1), "measurand": "Power.Active.Import", "unit_of_measure": {"unit": "W"}}
            )
        return [{"timestamp": iso(_now()), "sampled_value": sampled}]

    async def _event(self, event_type: str, trigger: str, info: dict[str, Any], **extra: Any) -> Any:
        self.seq += 1
        return await self.call(
            call201.TransactionEvent(
                event_type=event_type,
                timestamp=iso(_now()),
                trigger_reason=trigger,
                seq_no=self.seq,
                transaction_info=info,
                **extra,
            )
        )

    async def plug_in(self, id_tag: str) -> str:
        await self.call(call201.Authorize(id_token={"id_token": id_tag, "type": "ISO14443"}))
        self.tx_count += 1
        tx = f"{self.id}-{self.tx_count}"
        self.model.transaction_id = tx
        await self._event(
            "Started",
            "Authorized",
            {"transaction_id": tx},
            evse={"id": 1, "connector_id": 1},
            id_token={"id_token": id_tag, "type": "ISO14443"},
            meter_value=self._meter(),
        )
        await self.status("Occupied")
        return tx

    async def report_meter(self, power_w: float) -> None:
        assert self.model.transaction_id is not None
        await self._event(
            "Updated",
            "MeterValuePeriodic",
            {"transaction_id": self.model.transaction_id},
            meter_value=self._meter(power_w),
        )

    async def unplug(self, reason: str = "EVDisconnected") -> None:
        assert self.model.transaction_id is not None
        await self._event(
            "Ended",
            "EVCommunicationLost",
            {"transaction_id": self.model.transaction_id, "stopped_reason": reason},
            meter_value=self._meter(),
        )
        self.model.transaction_id = None
        await self.status("Available")

    @on(Action201.set_charging_profile)
    async def on_set_profile(
        self, evse_id: int, charging_profile: dict[str, Any], **_: Any
    ) -> result201.SetChargingProfile:
        await self._delay()
        if self.behaviour.reject_profiles:
            return result201.SetChargingProfile(status="Rejected")
        p = charging_profile
        self.model.profiles[p["id"]] = received_profile(
            p, p["charging_schedule"][0], p["charging_profile_purpose"], p["id"]
        )
        return result201.SetChargingProfile(status="Accepted")

    @on(Action201.clear_charging_profile)
    async def on_clear(self, charging_profile_id: int | None = None, **_: Any) -> result201.ClearChargingProfile:
        await self._delay()
        found = self.model.profiles.pop(charging_profile_id, None) if charging_profile_id is not None else None
        return result201.ClearChargingProfile(status="Accepted" if found else "Unknown")

    @on(Action201.get_composite_schedule)
    async def on_composite(
        self, duration: int, evse_id: int, charging_rate_unit: str = "W", **_: Any
    ) -> result201.GetCompositeSchedule:
        await self._delay()
        now = _now()
        unit = charging_rate_unit
        periods = self.model.composite(now, duration, unit)
        schedule = {
            "evse_id": evse_id,
            "duration": duration,
            "schedule_start": iso(now),
            "charging_rate_unit": unit,
            "charging_schedule_period": [{"start_period": s, "limit": lim} for s, lim in periods],
        }
        return result201.GetCompositeSchedule(status="Accepted", schedule=schedule)

    @on(Action201.request_start_transaction)
    async def on_request_start(
        self, id_token: dict[str, Any], remote_start_id: int, **_: Any
    ) -> result201.RequestStartTransaction:
        await self._delay()
        return result201.RequestStartTransaction(status="Accepted")

    @on(Action201.request_stop_transaction)
    async def on_request_stop(self, transaction_id: str, **_: Any) -> result201.RequestStopTransaction:
        await self._delay()
        ok = self.model.transaction_id == transaction_id
        return result201.RequestStopTransaction(status="Accepted" if ok else "Rejected")


SimulatedCharger = SimulatedCharger16 | SimulatedCharger201


async def charge_slots(sim: SimulatedCharger, slots: int, slot_s: int, start: datetime) -> float:
    """Time-lapse charging (module doc): ``slots`` steps of ``slot_s`` [s] of schedule time from ``start``, one
    meter report per step; the energy added [Wh]."""
    added = 0.0
    for k in range(slots):
        kw = sim.model.limit_kw(start + k * timedelta(seconds=slot_s))
        wh = kw * 1000.0 * slot_s / 3600.0
        sim.model.meter_wh += wh
        added += wh
        await sim.report_meter(kw * 1000.0)
    return added


@contextlib.asynccontextmanager
async def connected(
    base_url: str, identity: str, key: str | None, version: str = "1.6", behaviour: Behaviour | None = None
) -> Any:
    """A simulated charger connected to ``base_url`` (``ws://host:port``), booted, serving the central system's
    calls in the background; closed on exit."""
    cls: Any = SimulatedCharger16 if version == "1.6" else SimulatedCharger201
    headers = {} if key is None else {"Authorization": basic_auth(identity, key)}
    socket = await websockets.connect(
        f"{base_url}/ocpp/{version}/{identity}", subprotocols=[cls.protocol], additional_headers=headers
    )
    sim = cls(identity, socket, behaviour or Behaviour())
    task = asyncio.create_task(sim.start())
    try:
        await sim.boot()
        yield sim
    finally:
        task.cancel()
        with contextlib.suppress(BaseException):
            await socket.close()
        with contextlib.suppress(BaseException):
            await task
