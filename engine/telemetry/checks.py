"""Plausibility checks: an event that fails one goes to quarantine with the reason, never into the state.

Reasons (``Verdict.reason``): ``malformed`` (values missing, of the wrong type or unknown), ``unit_mismatch``
(a value in other units than canonical, e.g. ``odometer_mi`` left unconverted or ``soc_fraction``),
``soc_out_of_range`` (outside 0-100 %), ``position_out_of_range`` (latitude or longitude impossible),
``time_in_future`` (event time more than ``max_future`` after it was received), ``unknown_vehicle`` (not in the
tenant's fleets), ``odometer_backwards`` (below a reading at an earlier event time, or above one at a later time:
late events are judged against their neighbours in event time, not arrival order).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from engine.telemetry.events import TelemetryEvent

REQUIRED = {
    "soc": {"soc_pct": float},
    "position": {"lat": float, "lon": float},
    "ignition": {"on": bool},
    "odometer": {"odometer_km": float},
    "charge_session": {"state": str},
    "fault": {"code": str},
    "ambient": {"temperature_c": float},
}
OPTIONAL = {
    "soc": {"energy_kwh": float},
    "position": {"speed_kph": float, "depot_id": str},
    "ignition": {},
    "odometer": {},
    "charge_session": {
        "charger_id": str,
        "energy_kwh": float,
        "transaction_id": str,
        "meter_kwh": float,
        "power_kw": float,
    },
    "fault": {"severity": str, "charger_id": str},
    "ambient": {},
}
COMMON = {"temperature_c": float}
UNIT_FAMILIES = ("soc_", "odometer_", "temperature_", "speed_", "energy_")
ODOMETER_TOLERANCE_KM = 0.05  # rounding of vendor odometers [km]


@dataclass(frozen=True)
class Verdict:
    """``reason`` is None when the event is accepted."""

    reason: str | None = None
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.reason is None


@dataclass
class CheckContext:
    """What the checks compare against: the tenant's vehicles (None = accept any) and, per vehicle, accepted
    odometer readings sorted by event time (the store loads them for the vehicles of a batch)."""

    received: datetime
    known_vehicles: set[str] | None = None
    max_future: timedelta = timedelta(minutes=5)
    odometers: dict[str, list[tuple[datetime, float]]] = field(default_factory=dict)

    def accept(self, event: TelemetryEvent) -> None:
        """Record an accepted event (its odometer reading joins the history the next events are checked against)."""
        if event.type == "odometer":
            bisect.insort(
                self.odometers.setdefault(event.vehicle_id, []), (event.event_time, float(event.values["odometer_km"]))
            )


def _is(value: object, kind: type) -> bool:
    if kind is float:
        return isinstance(value, int | float) and not isinstance(value, bool) and value == value
    return isinstance(value, kind)


def _values(event: TelemetryEvent) -> Verdict:
    required, optional = REQUIRED[event.type], {**OPTIONAL[event.type], **COMMON}
    for key, value in event.values.items():
        kind = required.get(key) or optional.get(key)
        if kind is None:
            if key.startswith(UNIT_FAMILIES):
                canonical = [k for k in (*required, *optional) if k.split("_")[0] == key.split("_")[0]]
                return Verdict(
                    "unit_mismatch",
                    f"values.{key}: not in canonical units (expected {', '.join(canonical) or 'none for this type'})",
                )
            return Verdict("malformed", f"values.{key}: not a value of a {event.type} event")
        if value is not None and not _is(value, kind):
            return Verdict("malformed", f"values.{key}: expected {kind.__name__}, got {value!r}")
    missing = [k for k in required if event.values.get(k) is None]
    if missing:
        return Verdict("malformed", f"values.{missing[0]}: required for a {event.type} event")
    return Verdict()


def check_event(event: TelemetryEvent, ctx: CheckContext) -> Verdict:
    """The first failed check, or an accepting Verdict."""
    v = _values(event)
    if not v.ok:
        return v
    if ctx.known_vehicles is not None and event.vehicle_id not in ctx.known_vehicles:
        return Verdict("unknown_vehicle", f"vehicle_id: {event.vehicle_id!r} is not in this tenant's fleets")
    if event.event_time - ctx.received > ctx.max_future:
        ahead = (event.event_time - ctx.received).total_seconds() / 60
        return Verdict("time_in_future", f"event_time: {ahead:.1f} min after it was received (limit {ctx.max_future})")
    if event.type == "soc" and not 0.0 <= float(event.values["soc_pct"]) <= 100.0:
        return Verdict("soc_out_of_range", f"values.soc_pct: {event.values['soc_pct']} outside 0-100")
    if event.type == "position":
        lat, lon = float(event.values["lat"]), float(event.values["lon"])
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            return Verdict("position_out_of_range", f"values.lat/lon: ({lat}, {lon}) is not on Earth")
    if event.type == "odometer":
        km = float(event.values["odometer_km"])
        if km < 0:
            return Verdict("odometer_backwards", f"values.odometer_km: {km} is negative")
        history = ctx.odometers.get(event.vehicle_id, [])
        i = bisect.bisect_left(history, (event.event_time, float("-inf")))
        before = history[i - 1] if i > 0 else None
        after = history[i] if i < len(history) else None
        if before is not None and km < before[1] - ODOMETER_TOLERANCE_KM:
            return Verdict(
                "odometer_backwards", f"values.odometer_km: {km:.1f} below {before[1]:.1f} at {before[0].isoformat()}"
            )
        if after is not None and km > after[1] + ODOMETER_TOLERANCE_KM:
            return Verdict(
                "odometer_backwards",
                f"values.odometer_km: {km:.1f} above {after[1]:.1f} at the later {after[0].isoformat()}",
            )
    return Verdict()
