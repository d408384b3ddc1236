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
  (:mod:`engine.cost_allocation`), to the cent.
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
