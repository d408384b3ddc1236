"""What both protocol versions share: meter readings out of sampled values, our schedule as a charging profile's
schedule and a composite schedule back in the engine's terms, connector states in the engine's words; and how
the ``ocpp`` library checks messages for both.

The library checks every message against the protocol's JSON schemas, by default in the event loop's thread pool,
one thread hop per message. Here the check runs on the loop itself (the library's switch,
``ocpp.messages.ASYNC_VALIDATION``, mobilityhouse/ocpp PR 678): a check takes well under a millisecond, and the hops
were the larger cost. With 200 chargers and a re-plan sending each its schedule, the time until all were confirmed
fell from 1.7-1.9 s to 1.0-1.1 s (bench/RESULTS.md, ``bench/ocpp.py``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import ocpp.messages

from engine.control.connector import CompositeSchedule, ConnectorState
from engine.control.profiles import ChargerSchedule, SchedulePeriod

ocpp.messages.ASYNC_VALIDATION = False

ENERGY = "Energy.Active.Import.Register"
POWER = "Power.Active.Import"
TO_BASE = {"Wh": 1.0, "kWh": 1000.0, "W": 1.0, "kW": 1000.0}

STATE_16: dict[str, ConnectorState] = {
    "Available": "available",
    "Preparing": "occupied",
    "Charging": "charging",
    "SuspendedEVSE": "suspended",
    "SuspendedEV": "suspended",
    "Finishing": "occupied",
    "Reserved": "reserved",
    "Unavailable": "unavailable",
    "Faulted": "faulted",
}
STATE_201: dict[str, ConnectorState] = {
    "Available": "available",
    "Occupied": "occupied",
    "Reserved": "reserved",
    "Unavailable": "unavailable",
    "Faulted": "faulted",
}


def read_meter(meter_values: list[dict[str, Any]]) -> list[tuple[datetime, float | None, float | None]]:
    """Per meter value (snake_case keys, either version): (time, energy register [Wh], power [W]).

    1.6 sends ``value`` as a string with ``unit`` (default Wh for energy, W for power); 2.0.1 a number with
    ``unit_of_measure`` {unit, multiplier (power of ten)}. The measurand defaults to the energy register."""
    out = []
    for mv in meter_values:
        energy = power = None
        for sv in mv.get("sampled_value", []):
            measurand = sv.get("measurand", ENERGY)
            if measurand not in (ENERGY, POWER) or sv.get("phase"):
                continue  # per-phase and other measurands are not what we reconcile
            uom = sv.get("unit_of_measure") or {}
            unit = sv.get("unit") or uom.get("unit") or ("Wh" if measurand == ENERGY else "W")
            factor = TO_BASE.get(unit)
            if factor is None:
                continue
            value = float(sv["value"]) * factor * 10.0 ** int(uom.get("multiplier", 0))
            if measurand == ENERGY:
                energy = value
            else:
                power = value
        out.append((parse_time(mv["timestamp"]), energy, power))
    return out


def schedule_body(schedule: ChargerSchedule) -> dict[str, Any]:
    """The ``chargingSchedule`` of a profile (snake_case; the library writes camelCase)."""
    return {
        "duration": schedule.duration_s,
        "start_schedule": iso(schedule.start),
        "charging_rate_unit": schedule.rate_unit,
        "charging_schedule_period": [
            {"start_period": p.start_s, "limit": p.limit, "number_phases": schedule.phases} for p in schedule.periods
        ],
    }


def composite(start: str | None, body: dict[str, Any] | None, now: datetime) -> CompositeSchedule | None:
    """A composite schedule answer (either version) in the engine's terms."""
    if body is None:
        return None
    return CompositeSchedule(
        start=parse_time(start or body.get("start_schedule") or body.get("schedule_start") or iso(now)),
        duration_s=int(body.get("duration", 0)),
        rate_unit=body["charging_rate_unit"],
        periods=[
            SchedulePeriod(start_s=int(p["start_period"]), limit=float(p["limit"]))
            for p in body.get("charging_schedule_period", [])
        ],
    )


def parse_time(text: str) -> datetime:
    t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


def iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")
