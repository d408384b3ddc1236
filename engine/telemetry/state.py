"""Derived vehicle state: per vehicle and event type the latest event (by event time, then event id) wins.

That rule makes the state a commutative fold: events applied in any arrival order, one by one (incremental) or
all at once from the log (rebuild), give the same state. Late events that are older than what the state holds
change nothing but are kept in the log.

SOC: the latest ``soc`` reading, with its confidence (the sender's, else 1) and age. When the vehicle has driven
since that reading (a later odometer), the SOC is estimated from the energy model: ``soc - km x kWh/km /
battery``, with confidence lowered by the distance (``max(0.3, 1 - km / 200)`` times the reading's). Without any
reading, SOC is unknown (confidence 0).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from pydantic import BaseModel, Field

from engine.domain import Depot
from engine.telemetry.events import TelemetryEvent
from engine.telemetry.geofence import depot_at

ESTIMATE_HORIZON_KM = 200.0  # distance over which an estimated SOC loses all but the floor of its confidence [km]
ESTIMATE_CONFIDENCE_FLOOR = 0.3


def _key(e: TelemetryEvent) -> tuple[datetime, str]:
    return e.event_time, e.event_id


class VehicleTelemetry(BaseModel):
    """The latest event of each type for one vehicle, and when it was last seen."""

    vehicle_id: str
    latest: dict[str, TelemetryEvent] = Field(default_factory=dict)
    last_seen: datetime | None = None

    def apply(self, event: TelemetryEvent) -> bool:
        """Fold one event in; True if it changed the state."""
        if event.vehicle_id != self.vehicle_id:
            raise ValueError(f"event for {event.vehicle_id!r} applied to {self.vehicle_id!r}")
        changed = False
        if self.last_seen is None or event.event_time > self.last_seen:
            self.last_seen, changed = event.event_time, True
        held = self.latest.get(event.type)
        if held is None or _key(event) > _key(held):
            self.latest[event.type] = event
            changed = True
        return changed


def fold_events(
    events: Iterable[TelemetryEvent], into: dict[str, VehicleTelemetry] | None = None
) -> dict[str, VehicleTelemetry]:
    """Per vehicle state from events in any order (``into`` is updated in place and returned)."""
    states = {} if into is None else into
    for e in events:
        s = states.get(e.vehicle_id)
        if s is None:
            s = states[e.vehicle_id] = VehicleTelemetry(vehicle_id=e.vehicle_id)
        s.apply(e)
    return states


class StateView(BaseModel):
    """What ``GET /v1/vehicles/{id}/state`` answers."""

    vehicle_id: str
    soc_pct: float | None = Field(None, description="State of charge [%]; None when never reported.")
    soc_confidence: float = Field(0.0, description="[0-1]; lowered for an estimate, 0 when unknown.")
    soc_source: str = Field("unknown", description="reported | estimated | unknown")
    soc_time: datetime | None = None
    soc_age_min: float | None = Field(None, description="Minutes between the SOC reading and ``now`` [min].")
    driven_since_soc_km: float | None = Field(None, description="Odometer distance since the reading [km].")
    lat: float | None = None
    lon: float | None = None
    location_time: datetime | None = None
    at_depot: bool | None = Field(None, description="In a depot geofence per the latest position.")
    depot_id: str | None = None
    plugged: bool | None = None
    charger_id: str | None = None
    odometer_km: float | None = None
    ignition_on: bool | None = None
    last_fault: dict | None = None
    last_seen: datetime | None = None
    stale: bool = Field(False, description="SOC older than the stale limit (or unknown).")


def view(
    state: VehicleTelemetry,
    now: datetime,
    battery_kwh: float | None = None,
    kwh_per_km: float | None = None,
    odometer_at_soc_km: float | None = None,
    stale_after_min: float = 60.0,
    depots: Sequence[Depot] = (),
) -> StateView:
    """The state as the API shows it at ``now``; estimates SOC from distance driven since the reading when the
    odometer moved on (``odometer_at_soc_km``: the reading at or before the SOC's time) and the energy model is
    given (``battery_kwh`` [kWh], ``kwh_per_km`` [kWh/km]). A position is at a depot when it names one or lies
    inside one of ``depots``' locations (:mod:`engine.telemetry.geofence`)."""
    out = StateView(vehicle_id=state.vehicle_id, last_seen=state.last_seen)
    soc = state.latest.get("soc")
    if soc is not None:
        out.soc_pct = float(soc.values["soc_pct"])
        out.soc_confidence = soc.confidence if soc.confidence is not None else 1.0
        out.soc_source = "reported"
        out.soc_time = soc.event_time
        out.soc_age_min = (now - soc.event_time).total_seconds() / 60
    odo = state.latest.get("odometer")
    if odo is not None:
        out.odometer_km = float(odo.values["odometer_km"])
        if soc is not None and odometer_at_soc_km is not None and odo.event_time > soc.event_time:
            km = max(0.0, out.odometer_km - odometer_at_soc_km)
            out.driven_since_soc_km = km
            if km > 0 and battery_kwh and kwh_per_km:
                used_pct = 100.0 * km * kwh_per_km / battery_kwh
                out.soc_pct = max(0.0, out.soc_pct - used_pct)
                out.soc_confidence *= max(ESTIMATE_CONFIDENCE_FLOOR, 1.0 - km / ESTIMATE_HORIZON_KM)
                out.soc_source = "estimated"
    pos = state.latest.get("position")
    if pos is not None:
        out.lat, out.lon, out.location_time = pos.values.get("lat"), pos.values.get("lon"), pos.event_time
        out.depot_id = pos.values.get("depot_id")
        if out.depot_id is None and out.lat is not None and out.lon is not None:
            out.depot_id = depot_at(depots, out.lat, out.lon)
        out.at_depot = out.depot_id is not None
    plug = state.latest.get("charge_session")
    if plug is not None:
        out.plugged = plug.values.get("state") in ("started", "charging")
        out.charger_id = plug.values.get("charger_id") if out.plugged else None
    ign = state.latest.get("ignition")
    if ign is not None:
        out.ignition_on = bool(ign.values.get("on"))
    fault = state.latest.get("fault")
    if fault is not None:
        out.last_fault = {"time": fault.event_time.isoformat(), **fault.values}
    out.stale = out.soc_age_min is None or out.soc_age_min > stale_after_min
    return out
