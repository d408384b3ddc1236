"""The fleet's trips over the simulated days: the depot's trips repeated every day, plus the scenario's surprise
trips from the moment they are announced.

Day ``d`` (0-based) copies each trip of the problem ``d`` days later (local wall-clock time, so a route keeps its
clock time across a DST change) with the id ``{trip}@d{d}``; the real return is the planned one plus the day's
drawn delay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from engine.domain import PlanningProblem, Trip
from engine.simulate.scenario import Incident


@dataclass(frozen=True)
class SimTrip:
    """One trip of one vehicle on one day."""

    trip: Trip  # as the planner sees it (planned return)
    vehicle_id: str
    day: int  # 0-based day whose morning (or incident) it belongs to
    known_from: float  # sim minute from which the planner knows it [min]
    energy_factor: float  # real energy over P50 [-] (extra trips: 1, their energy is known)
    return_delay_min: float  # real return minus planned [min]
    extra: bool = False

    @property
    def real_energy_kwh(self) -> float:
        """What the route really uses [kWh]."""
        return self.trip.energy_kwh_p50 * self.energy_factor


def daily_trips(problem: PlanningProblem, days: int, factors, delays) -> list[SimTrip]:
    """The problem's trips (each with a vehicle) repeated on ``days`` days (module doc)."""
    index = {v.id: i for i, v in enumerate(problem.vehicles)}
    zone = ZoneInfo(problem.depots[0].timezone)
    out = []
    for d in range(days):
        for t in sorted(problem.trips, key=lambda t: (t.departure, t.id)):
            if t.vehicle_id is None:
                raise ValueError(f"trip {t.id!r} has no vehicle; the simulator replays trips with their vehicles")
            i = index[t.vehicle_id]
            shifted = t.model_copy(
                update={
                    "id": f"{t.id}@d{d}",
                    "departure": _days_later(t.departure, d, zone),
                    "return_time": _days_later(t.return_time, d, zone),
                }
            )
            out.append(SimTrip(shifted, t.vehicle_id, d, -1e9, float(factors[d, i]), float(delays[d + 1, i])))
    return out


def extra_trips(problem: PlanningProblem, incidents: list[Incident], day_start, minute_of) -> list[SimTrip]:
    """The scenario's surprise trips: ``day_start(day)`` is local midnight of a day, ``minute_of(t)`` a sim minute."""
    out = []
    for k, inc in enumerate(i for i in incidents if i.kind == "extra_trip"):
        departure = day_start(inc.day) + timedelta(minutes=inc.minute_of_day)
        energy = inc.energy_kwh or 0.0
        trip = Trip(
            id=f"extra-{k + 1}@d{inc.day}",
            depot_id=problem.depots[0].id,
            vehicle_id=inc.vehicle,
            departure=departure,
            return_time=departure + timedelta(hours=inc.hours),
            distance_km=inc.distance_km,
            energy_kwh_p50=energy,
            energy_kwh_p90=energy,
            priority=5,
        )
        known = minute_of(departure) - inc.notice_hours * 60
        out.append(SimTrip(trip, inc.vehicle or "", inc.day, known, 1.0, 0.0, extra=True))
    return out


def _days_later(when: datetime, days: int, zone: ZoneInfo) -> datetime:
    """Same local wall-clock time ``days`` later in ``zone`` (aware arithmetic in a ZoneInfo keeps wall time)."""
    return when.astimezone(zone) + timedelta(days=days)
