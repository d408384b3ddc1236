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
- ``forecast_soc_error``: mean (actual - planned) SOC at those departures [-];
- ``ready_before_departure_min``: mean minutes from when telematics first read the target SOC (after the last
  reading below it, :func:`ready_time`) to the departure, over those departures that got there;
  ``ready_time_error_min``: mean (actual - planned) ready time [min], the planned one read the same way from the
  plan's SOC at its slot boundaries (positive: later than planned);
- ``missed_trips``: those departures whose actual SOC was below what the trip's median energy takes,
  ``energy_kwh_p50 / battery_kwh`` [-] (the vehicle could not have driven it);
- ``peak_kw``: the highest quarter-hour average of the chargers' metered load [kW]; ``limit_kw``: the depot's
  grid limit; ``peak_share_of_limit``: peak / limit [-];
- ``energy_cost_usd``, ``demand_cost_usd``, ``charging_cost_usd``: that metered load billed at the depot's tariff
  over the period, alone (fleetcharge meters no other load of the site) [$];
- ``cost_per_km_usd``: charging cost / the departures' planned km [$/km]; ``cost_per_trip_usd``: each vehicle's
  cost shared among its departures by their median energy [$];
- ``exceptions``: alerts first raised in the period; ``exceptions_open``: those not resolved;
  ``exception_recovery_min``: mean minutes from first raised to resolved over the resolved ones.

- ``queue_time_min``: mean minutes from a vehicle's arrival at the depot (its first position reported inside
  the depot after one outside) to the start of its first charger session before it leaves again, over the
  arrivals in the period that charged (:func:`queue_times`; None without such arrivals).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from engine.tariffs import Tariff
from engine.tariffs.bill import bill

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
    needed_soc: float = 0.0  # the trip's median energy over the battery [0-1]
    distance_km: float = 0.0
    energy_kwh: float = 0.0  # the trip's median energy [kWh]
    planned_ready: datetime | None = None  # when the plan reached the target (:func:`ready_time`)
    actual_ready: datetime | None = None  # when telematics read it


def departure_kpis(departures: list[DepartureFacts]) -> dict[str, object]:
    """Readiness, forecast error, missed trips and distance of the module doc."""
    if not departures:
        return {
            "departures": 0,
            "departure_readiness": None,
            "forecast_soc_error": None,
            "missed_trips": 0,
            "distance_km": 0.0,
            "ready_before_departure_min": None,
            "ready_time_error_min": None,
        }
    ready = sum(d.actual_soc >= d.target_soc - READY_TOLERANCE for d in departures)
    error = sum(d.actual_soc - d.planned_soc for d in departures) / len(departures)
    return {
        "departures": len(departures),
        "departure_readiness": ready / len(departures),
        "forecast_soc_error": error,
        "missed_trips": sum(d.actual_soc < d.needed_soc - READY_TOLERANCE for d in departures),
        "distance_km": sum(d.distance_km for d in departures),
        "ready_before_departure_min": _mean(
            [(d.departure - d.actual_ready).total_seconds() / 60 for d in departures if d.actual_ready is not None]
        ),
        "ready_time_error_min": _mean(
            [
                (d.actual_ready - d.planned_ready).total_seconds() / 60
                for d in departures
                if d.actual_ready is not None and d.planned_ready is not None
            ]
        ),
    }


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def ready_time(socs: list[tuple[datetime, float]], target: float) -> datetime | None:
    """When a vehicle got to ``target`` SOC [0-1] for good: the first of ``socs`` (time, SOC) at or above it
    (within ``READY_TOLERANCE``) after the last one below it; None when the last is below or there are none."""
    ordered = sorted(socs)
    below = [k for k, (_t, soc) in enumerate(ordered) if soc < target - READY_TOLERANCE]
    first = below[-1] + 1 if below else 0
    return ordered[first][0] if first < len(ordered) else None


def load_kpis(charging_kw: pd.Series, limit_kw: float | None, tariff: Tariff | None) -> dict[str, object]:
    """Peak against the limit and the cost of the chargers' metered load (quarter-hour averages [kW] indexed by
    quarter start), of the module doc."""
    peak = float(charging_kw.max()) if len(charging_kw) else 0.0
    out: dict[str, object] = {
        "peak_kw": round(peak, 3),
        "limit_kw": limit_kw,
        "peak_share_of_limit": round(peak / limit_kw, 4) if limit_kw else None,
    }
    if tariff is None or not len(charging_kw):
        return out | {"energy_cost_usd": None, "demand_cost_usd": None, "charging_cost_usd": None}
    b = bill(charging_kw.clip(lower=0.0), tariff, step_minutes=15)
    return out | {
        "energy_cost_usd": round(b.energy_usd, 2),
        "demand_cost_usd": round(b.demand_usd, 2),
        "charging_cost_usd": round(b.total_usd, 2),
    }


def recovery_kpis(alerts: list[tuple[datetime, datetime | None]]) -> dict[str, object]:
    """From each alert's (first raised, resolved or None): the exceptions of the module doc."""
    done = [(b - a).total_seconds() / 60 for a, b in alerts if b is not None]
    return {
        "exceptions": len(alerts),
        "exceptions_open": len(alerts) - len(done),
        "exception_recovery_min": sum(done) / len(done) if done else None,
    }


def cost_per_trip(per_vehicle: dict[str, float], trips: Iterable[tuple[str, str, float]]) -> dict[str, float]:
    """Each vehicle's cost shared among its trips ``(trip id, vehicle id, energy [kWh])`` by the energy each
    used (equally when none used any) [$]."""
    by_vehicle: dict[str, list[tuple[str, float]]] = {}
    for trip, vehicle, energy in trips:
        by_vehicle.setdefault(vehicle, []).append((trip, energy))
    out: dict[str, float] = {}
    for vehicle, rows in by_vehicle.items():
        total = sum(e for _t, e in rows)
        for trip, e in rows:
            out[trip] = round(per_vehicle.get(vehicle, 0.0) * (e / total if total > 0 else 1 / len(rows)), 2)
    return dict(sorted(out.items()))


def queue_times(positions: list[tuple[datetime, bool]], session_starts: list[datetime]) -> list[tuple[datetime, float]]:
    """Per arrival of one vehicle, (when it arrived, minutes to its first session start before it leaves again):
    its ``positions`` as (time, inside the depot) and its sessions' starts. An arrival is a position inside after
    one outside; arrivals without a session before the next position outside are left out."""
    ordered = sorted(positions)
    starts = sorted(session_starts)
    out = []
    for k in range(1, len(ordered)):
        (_before, was_in), (arrived, is_in) = ordered[k - 1], ordered[k]
        if was_in or not is_in:
            continue
        left = next((t for t, inside in ordered[k + 1 :] if not inside), None)
        first = next((s for s in starts if s >= arrived and (left is None or s < left)), None)
        if first is not None:
            out.append((arrived, (first - arrived).total_seconds() / 60))
    return out
