"""Operations KPIs of a period, one definition each (issue 20; the rest of its list comes with the simulator).

Over the period ``[start, end)`` and the depot's chargers ``C``, with the charger-reported sessions ``S`` (their
parts inside the period) and the energy the plans asked of those chargers ``E_plan`` [kWh]:

- ``energy_delivered_kwh``: ``sum_S metered energy`` [kWh];
- ``energy_planned_kwh``: ``E_plan`` [kWh]; ``energy_delivered_share``: delivered / planned [-] (None without a
  plan);
- ``charge_completion_rate``: sessions ended by the vehicle (unplugged, stopped by the driver or remotely) over the
  sessions ended [-] (None when none ended); a session the charger ended (power loss, fault, reboot) is not
  completed;
- ``charger_utilisation``: ``sum_S plugged hours / (|C| x period hours)`` [-], the share of the chargers' time a
  vehicle was connected;
- ``cost_per_vehicle_usd``: each vehicle's share of its depot's bill for the latest plan
  (:mod:`engine.cost_allocation`), to the cent;
- ``departure_readiness``: over the planned departures ``D`` in the period with a SOC reading before them,
  ``|{d: actual SOC >= target - 0.005}| / |D|`` [-], the target the latest plan before the departure aimed for
  and the actual SOC telematics' latest reading before it (None without such departures);
- ``forecast_soc_error``: mean (actual - planned) SOC at those departures [-].
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

VEHICLE_REASONS = ("EVDisconnected", "Local", "Remote", "DeAuthorized")


@dataclass(frozen=True)
class SessionFacts:
    """A session as reported, for the KPIs."""

    charger_id: str
    started: datetime
    stopped: datetime | None
    energy_kwh: float
    stop_reason: str | None


def operations_kpis(
    sessions: list[SessionFacts],
    planned_kwh: float,
    chargers: int,
    start: datetime,
    end: datetime,
    cost_per_vehicle: dict[str, float] | None = None,
) -> dict[str, object]:
    """The KPIs of the module doc; sessions outside ``[start, end)`` count only for their part inside (hours) or
    not at all (energy and completion go with the session's start)."""
    hours = (end - start).total_seconds() / 3600
    inside = [s for s in sessions if start <= s.started < end]
    ended = [s for s in inside if s.stopped is not None]
    plugged_h = sum(
        max((min(s.stopped or end, end) - max(s.started, start)).total_seconds(), 0.0) / 3600 for s in sessions
    )
    delivered = sum(s.energy_kwh for s in inside)
    return {
        "sessions": len(inside),
        "energy_delivered_kwh": delivered,
        "energy_planned_kwh": planned_kwh,
        "energy_delivered_share": delivered / planned_kwh if planned_kwh > 0 else None,
        "charge_completion_rate": (
            sum(s.stop_reason in VEHICLE_REASONS for s in ended) / len(ended) if ended else None
        ),
        "charger_utilisation": plugged_h / (chargers * hours) if chargers and hours > 0 else None,
        "cost_per_vehicle_usd": dict(sorted((cost_per_vehicle or {}).items())),
    }


READY_TOLERANCE = 0.005  # a departure within half a percent of SOC of its target is ready [0-1]


@dataclass(frozen=True)
class DepartureFacts:
    """A planned departure and what telematics saw before it."""

    trip_id: str
    vehicle_id: str
    departure: datetime
    target_soc: float
    planned_soc: float
    actual_soc: float


def departure_kpis(departures: list[DepartureFacts]) -> dict[str, object]:
    """Readiness and forecast error of the module doc."""
    if not departures:
        return {"departures": 0, "departure_readiness": None, "forecast_soc_error": None}
    ready = sum(d.actual_soc >= d.target_soc - READY_TOLERANCE for d in departures)
    error = sum(d.actual_soc - d.planned_soc for d in departures) / len(departures)
    return {"departures": len(departures), "departure_readiness": ready / len(departures), "forecast_soc_error": error}
