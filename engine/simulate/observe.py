"""What the controller knows, as the planning problem and tariff at a moment of the simulation.

At sim minute ``m`` the problem starts at the next slot boundary ``t`` (slots aligned with the first day's start)
and looks ``HORIZON_H`` ahead:

- trips: every trip known by ``m`` (the daily ones always, surprise trips from their notice) departing in
  ``(t, t + HORIZON_H + 24 h]``, so the first departure after the horizon still sets a target;
- vehicles in the yard (the depot gate is exact): at the depot, plugged where they are; the SOC is the latest
  report when it is newer than the vehicle's return, else the report before the trip less the trip's P50 energy
  (P90 as ``soc_p10``, the reading's time as ``last_seen``, so a policy's ``stale_telemetry`` rule applies), plus
  ``eta x`` the energy the chargers metered into it since (their OCPP meter values);
- vehicles on the road: the same estimate, available from the trip's planned return (``t + 1 slot`` once it is
  overdue);
- chargers: faulted when their connector says so;
- the depot: building load and PV forecasts from the daily profiles; during a grid outage (known from its start)
  the lost kW are added to the building load for the outage's slots, so the plan has exactly the room left; the
  peaks already set this billing month per demand charge, from the metered load;
- the tariff: the depot's, plus a market price series holding each price spike known by ``m`` over its window.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
import pandas as pd

from engine.domain import ChargerStatus, PlanningProblem, TimeSeries, VehicleState
from engine.simulate.trips import SimTrip
from engine.simulate.world import World
from engine.tariffs import Tariff
from engine.tariffs.bill import demand_windows
from engine.tariffs.model import PriceSeries
from engine.telemetry.state import VehicleTelemetry

HORIZON_H = 20.0  # planning horizon [h]: from the afternoon returns past the last morning departure


@dataclass(frozen=True)
class Spike:
    """A price spike: known from ``known_min``, in force over ``[start_min, end_min)`` [sim min]."""

    known_min: float
    start_min: float
    end_min: float
    price_usd_per_kwh: float


@dataclass
class Observer:
    """Builds the problem of the module doc."""

    base: PlanningProblem
    world: World
    trips: list[SimTrip]
    tariff: Tariff
    spikes: list[Spike] = field(default_factory=list)

    def slot_start(self, minute: float) -> float:
        """The first slot boundary at or after ``minute`` [sim min]."""
        step = self.base.slot_minutes
        return float(np.ceil(minute / step - 1e-9) * step)

    def problem_at(self, minute: float, telemetry: dict[str, VehicleTelemetry]) -> PlanningProblem:
        """The problem at ``minute`` (module doc)."""
        world, base = self.world, self.base
        start = self.slot_start(minute)
        now = world.at(start)
        end = now + timedelta(hours=HORIZON_H + 24)
        trips = [s.trip for s in self.trips if s.known_from <= minute and now < s.trip.departure <= end]
        states = [self._state(car_id, start, telemetry.get(car_id)) for car_id in world.cars]
        chargers = [
            c.model_copy(update={"status": ChargerStatus.FAULTED}) if world.chargers[c.id].faulted else c
            for c in base.chargers
        ]
        n = int(HORIZON_H * 60 // base.slot_minutes)
        minutes = start + base.slot_minutes * np.arange(n)
        building = np.array([world.building[world.quarter(m)] for m in minutes])
        building += np.array([world.depot.grid_limit_kw - world.limit_kw(m, known_by=minute) for m in minutes])
        pv = np.array([world.pv[world.quarter(m)] for m in minutes])
        depot = world.depot.model_copy(
            update={
                "building_load_kw": TimeSeries(start=now, step_minutes=base.slot_minutes, values_kw=building.tolist()),
                "pv_kw": TimeSeries(start=now, step_minutes=base.slot_minutes, values_kw=pv.tolist()),
                "month_to_date_peak_kw": self.month_peaks(start),
            }
        )
        return base.model_copy(
            update={
                "id": f"{base.id}@{now.isoformat()}",
                "now": now,
                "horizon_hours": HORIZON_H,
                "depots": [depot],
                "trips": trips,
                "states": states,
                "chargers": chargers,
                "pins": [],
            }
        )

    def _state(self, car_id: str, start: float, held: VehicleTelemetry | None) -> VehicleState:
        world = self.world
        car = world.cars[car_id]
        v = car.vehicle
        reading = held.latest.get("soc") if held is not None else None
        soc = float(reading.values["soc_pct"]) / 100 if reading is not None else car.soc
        seen = reading.event_time if reading is not None else world.at(0)
        p10 = None
        since = car.left_min if not car.at_depot else car.arrived_min
        if since is not None and car.last_trip is not None and world.minute(seen) < since:
            trip = car.last_trip.trip  # the reading is from before the trip: estimate what it left
            p10 = max(0.0, soc - trip.energy_kwh_p90 / v.battery_kwh)
            soc = max(p10, soc - trip.energy_kwh_p50 / v.battery_kwh)
            meter_then = car.metered_at_arrival
        else:
            meter_then = world.meter_at_reading.get((car_id, round(world.minute(seen), 6)), car.metered_kwh)
        if car.at_depot:  # what the chargers metered into it since then (OCPP meter values)
            gained = v.charge_efficiency * (car.metered_kwh - meter_then) / v.battery_kwh
            soc += gained
            p10 = None if p10 is None else p10 + gained
        update = {
            "vehicle_id": car_id,
            "soc": min(1.0, max(0.0, soc)),
            "soc_p10": None if p10 is None else min(p10, soc),
            "soc_confidence": 1.0 if p10 is None else 0.7,
            "last_seen": seen,
            "at_depot": car.at_depot,
            "depot_id": world.depot.id,
            "plugged": car.charger is not None,
            "charger_id": car.charger,
            "available_from": None,
        }
        if not car.at_depot and car.planned_return is not None:
            planned = world.minute(car.planned_return)
            back = planned if planned > start else start + self.base.slot_minutes
            update["available_from"] = world.at(back)
            update["plugged"], update["charger_id"] = False, None
        return VehicleState(**update)

    def month_peaks(self, start: float) -> dict[str, float]:
        """Per demand charge, the highest 15-minute load metered so far this billing month [kW]."""
        load = self.world.quarter_loads()
        if load.empty or not self.tariff.demand:
            return {}
        month = pd.Timestamp(self.world.at(start)).tz_convert(self.tariff.timezone).month
        load = load[load.index.month == month]
        if load.empty:
            return {}
        out = {}
        for name, _rate, mask, _month in demand_windows(self.tariff, load.index):
            inside = load.to_numpy()[mask]
            if inside.size:
                out[name] = round(float(inside.max()), 3)
        return out

    def tariff_at(self, minute: float, problem: PlanningProblem) -> Tariff:
        """The tariff with the spikes known at ``minute`` as a market price series over the problem's horizon."""
        known = [s for s in self.spikes if s.known_min <= minute]
        if not known:
            return self.tariff
        start = self.slot_start(minute)
        step = problem.slot_minutes
        n = int(HORIZON_H * 60 // step) + 2
        minutes = start + step * np.arange(n)
        return with_spikes(self.tariff, known, [self.world.at(float(m)) for m in minutes], list(minutes))


def with_spikes(tariff: Tariff, spikes: list[Spike], starts: list, minutes: list[float]) -> Tariff:
    """``tariff`` with ``spikes`` as a market price series on the intervals starting at ``starts`` (sim
    ``minutes``): each interval pays the spikes in force at its start [$/kWh]."""
    prices = [sum(s.price_usd_per_kwh for s in spikes if s.start_min <= m < s.end_min) for m in minutes]
    series = PriceSeries(name="price spike", starts=starts, prices=prices, source="simulation")
    return tariff.model_copy(update={"price_series": series})
