"""The physical depot of a simulation: vehicles' true batteries, the chargers, the site's grid connection, and the
log of what really happened (the controller sees only telemetry and the chargers' connector state).

Every ``TICK_MIN`` minutes each running transaction draws

    p = min(charger limit now, vehicle inlet limit, (E_max - e) / (eta * dt))       [kW]

(the charger limit is its installed profile or its rating, :class:`engine.simulate.chargers.SimulatedCharger`;
the inlet limit is ``max_ac_kw`` on AC and ``max_dc_kw`` on DC), the battery gains ``eta * p * dt`` [kWh], and the
site imports ``building - pv + sum p`` [kW]. When that exceeds the connection's limit now (lowered during a grid
outage) the site's load manager scales every charger down by the same factor, and the energy it withheld is logged
as curtailed. Building load and PV follow the depot's forecast series as a daily profile by local time of day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from engine.domain import ChargerKind, PlanningProblem, TimeSeries, Vehicle
from engine.simulate.chargers import SimulatedCharger
from engine.simulate.trips import SimTrip

TICK_MIN = 5.0  # physics step [min]
QUARTERS = 96  # quarter hours in a day
LOW_SOC_ON_RETURN = 0.05  # a vehicle that ran out comes back (towed or cut short) with this SOC [0-1]


def daily_profile(series: TimeSeries | None, timezone: str) -> np.ndarray:
    """Mean value per local quarter hour of the day [kW]; quarters the series does not cover are interpolated
    around the clock."""
    if series is None:
        return np.zeros(QUARTERS)
    sums, counts = np.zeros(QUARTERS), np.zeros(QUARTERS)
    for k, value in enumerate(series.values_kw):
        local = (series.start + timedelta(minutes=k * series.step_minutes)).astimezone(_zone(timezone))
        q = (local.hour * 60 + local.minute) // 15
        sums[q] += value
        counts[q] += 1
    known = np.flatnonzero(counts)
    values = sums[known] / counts[known]
    return np.interp(np.arange(QUARTERS), known, values, period=QUARTERS)


def _zone(name: str):
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


@dataclass
class Car:
    """A vehicle as it really is."""

    vehicle: Vehicle
    index: int
    energy_kwh: float
    at_depot: bool
    charger: str | None = None
    arrived_min: float | None = None
    first_charge_min: float | None = None
    left_min: float | None = None  # when it last left [sim min]
    last_trip: SimTrip | None = None  # the trip it is on, or came back from
    planned_return: datetime | None = None  # when the planner expects it back (while away)
    ready_min: float | None = None  # when it first held its next departure's target this stay [sim min]
    target_kwh: float | None = None  # its next departure's target [kWh]
    metered_kwh: float = 0.0  # grid-side energy the chargers metered into it so far [kWh]
    metered_at_arrival: float = 0.0  # ``metered_kwh`` when it last came back [kWh]

    @property
    def soc(self) -> float:
        """[0-1]."""
        return self.energy_kwh / self.vehicle.battery_kwh


@dataclass
class Log:
    """What happened, row by row (turned into tables by :mod:`engine.simulate.outcome`)."""

    load: list[tuple] = field(default_factory=list)  # minute, building, pv, charging, limit, curtailed [kW]
    transactions: list[dict] = field(default_factory=list)
    departures: list[dict] = field(default_factory=list)
    arrivals: list[dict] = field(default_factory=list)
    exceptions: list[dict] = field(default_factory=list)
    telemetry: list[dict] = field(default_factory=list)


class World:
    """The depot's physics and its log."""

    def __init__(self, problem: PlanningProblem, chargers: dict[str, SimulatedCharger]) -> None:
        self.problem = problem
        self.t0 = problem.now.astimezone(UTC)
        depot = problem.depots[0]
        self.depot = depot
        self.building = daily_profile(depot.building_load_kw, depot.timezone)
        self.pv = daily_profile(depot.pv_kw, depot.timezone)
        self.zone = _zone(depot.timezone)
        self.chargers = chargers
        states = problem.states_by_vehicle()
        self.cars = {
            v.id: Car(v, i, states[v.id].soc * v.battery_kwh if v.id in states else v.battery_kwh, False)
            for i, v in enumerate(problem.vehicles)
        }
        for car in self.cars.values():
            state = states.get(car.vehicle.id)
            car.planned_return = state.available_from if state is not None else None
        self.outages: list[tuple[float, float, float]] = []  # from, to [min], share lost
        self.log = Log()
        self.clock_min = 0.0  # the simulation's time [sim min], set by the run before every event
        self.fault_started: dict[str, float] = {}
        self.meter_at_reading: dict[tuple[str, float], float] = {}  # (vehicle, sim minute) -> metered_kwh then
        self.charged_kwh = np.zeros((len(self.cars), 0))  # [vehicle, quarter] grid-side energy [kWh]
        self._quarters: dict[int, list[float]] = {}
        self._open: dict[str, dict] = {}  # charger -> its running transaction's row
        for charger in chargers.values():
            charger.on_begin = self._begun
            charger.on_end = self._ended

    def at(self, minute: float) -> datetime:
        """The time ``minute`` [min] after the start."""
        return self.t0 + timedelta(minutes=minute)

    def minute(self, when: datetime) -> float:
        """Minutes after the start [min]."""
        return (when.astimezone(UTC) - self.t0).total_seconds() / 60

    def quarter(self, minute: float) -> int:
        """The local quarter hour of the day at ``minute``."""
        local = self.at(minute).astimezone(self.zone)
        return (local.hour * 60 + local.minute) // 15

    def limit_kw(self, minute: float, known_by: float | None = None) -> float:
        """The connection's import limit at ``minute`` [kW]; with ``known_by``, counting only the outages that have
        begun by then (what the controller can know)."""
        lost = sum(share for a, b, share in self.outages if a <= minute < b and (known_by is None or a <= known_by))
        return self.depot.grid_limit_kw * max(0.0, 1.0 - lost)

    # vehicles on and off chargers --------------------------------------------------------------------------------
    def _begun(self, charger: SimulatedCharger) -> None:
        """A transaction began (plug-in or remote start): log it."""
        self._open[charger.charger_id] = {
            "transaction": charger.transaction,
            "charger_id": charger.charger_id,
            "vehicle_id": charger.vehicle,
            "started": self.at(self.clock_min),
            "stopped": None,
            "energy_kwh": 0.0,
            "stop_reason": None,
        }

    def _ended(self, charger: SimulatedCharger, reason: str) -> None:
        """A transaction ended: close its row."""
        row = self._open.pop(charger.charger_id, None)
        if row is not None:
            row |= {"stopped": self.at(self.clock_min), "stop_reason": reason}
            self.log.transactions.append(row)

    def plug(self, car: Car, charger_id: str) -> None:
        """Plug ``car`` into a free charger; a transaction starts unless the charger is faulted."""
        charger = self.chargers[charger_id]
        charger.vehicle, car.charger = car.vehicle.id, charger_id
        if not charger.faulted:
            charger.begin()

    def unplug(self, car: Car) -> None:
        """Take ``car`` off its charger."""
        if car.charger is None:
            return
        charger = self.chargers[car.charger]
        charger.end("EVDisconnected")
        charger.vehicle, car.charger = None, None

    def fault(self, charger_id: str) -> None:
        """A charger faults: its transaction ends (the vehicle stays plugged)."""
        charger = self.chargers[charger_id]
        charger.end("Other")
        charger.faulted = True
        self.fault_started[charger_id] = self.clock_min

    def repair(self, charger_id: str) -> None:
        """A charger is back; a plugged vehicle starts a new transaction."""
        charger = self.chargers[charger_id]
        charger.faulted = False
        if charger.vehicle is not None and charger.transaction is None:
            charger.begin()

    def free_chargers(self, car: Car) -> list[str]:
        """Working, free chargers ``car`` can use (DC only with a DC inlet), DC first for those that have one."""
        v = car.vehicle
        out = [
            c.charger_id
            for c in self.chargers.values()
            if c.vehicle is None
            and not c.faulted
            and set(c.charger.connectors) & set(v.connectors)
            and (c.charger.kind == ChargerKind.AC or v.max_dc_kw > 0)
        ]
        return sorted(out, key=lambda cid: (self.chargers[cid].charger.kind != ChargerKind.DC, cid))

    # physics -----------------------------------------------------------------------------------------------------
    def step(self, minute: float, dt_min: float = TICK_MIN) -> None:
        """Advance every running transaction over ``[minute, minute + dt_min)`` and log the site's load."""
        now, dt_h = self.at(minute), dt_min / 60
        wants: dict[str, float] = {}
        for cid, charger in self.chargers.items():
            charger.now = now
            if charger.transaction is None or charger.vehicle is None:
                charger.power_w = 0.0
                continue
            car = self.cars[charger.vehicle]
            v = car.vehicle
            inlet = v.max_ac_kw if charger.charger.kind == ChargerKind.AC else v.max_dc_kw
            room = max(0.0, v.battery_kwh - car.energy_kwh) / (v.charge_efficiency * dt_h)
            wants[cid] = max(0.0, min(charger.limit_kw(now), inlet, room))
        q = self.quarter(minute)
        building, pv = float(self.building[q]), float(self.pv[q])
        limit = self.limit_kw(minute)
        charging = sum(wants.values())
        room = max(0.0, limit - max(0.0, building - pv))
        scale = min(1.0, room / charging) if charging > 1e-9 else 1.0
        for cid, kw in wants.items():
            charger = self.chargers[cid]
            car = self.cars[charger.vehicle or ""]
            p = kw * scale
            charger.power_w = p * 1000
            charger.energy_wh += p * dt_h * 1000
            car.energy_kwh = min(car.vehicle.battery_kwh, car.energy_kwh + car.vehicle.charge_efficiency * p * dt_h)
            self._open[cid]["energy_kwh"] += p * dt_h
            self._charge(car.index, minute, p * dt_h)
            car.metered_kwh += p * dt_h
            if p > 0 and car.first_charge_min is None:
                car.first_charge_min = minute
            if car.ready_min is None and car.target_kwh is not None and car.energy_kwh >= car.target_kwh - 1e-6:
                car.ready_min = minute + dt_min
        self.log.load.append((minute, building, pv, charging * scale, limit, charging * (1 - scale)))
        self._quarters.setdefault(int(minute // 15), []).append(building - pv + charging * scale)

    def _charge(self, vehicle: int, minute: float, kwh: float) -> None:
        q = int(minute // 15)
        if q >= self.charged_kwh.shape[1]:
            grown = np.zeros((self.charged_kwh.shape[0], max(q + 1, 2 * self.charged_kwh.shape[1])))
            grown[:, : self.charged_kwh.shape[1]] = self.charged_kwh
            self.charged_kwh = grown
        self.charged_kwh[vehicle, q] += kwh

    def quarter_loads(self) -> pd.Series:
        """The site's import per quarter hour so far, the mean of its ticks [kW], indexed by local time."""
        if not self._quarters:
            return pd.Series(dtype=float)
        keys = sorted(self._quarters)
        index = pd.DatetimeIndex([self.at(15.0 * k) for k in keys]).tz_convert(self.zone.key)
        return pd.Series([float(np.mean(self._quarters[k])) for k in keys], index=index)

    def close(self) -> None:
        """End of the simulation: open transactions are logged as running (no stop)."""
        for row in self._open.values():
            self.log.transactions.append(dict(row))
        self._open.clear()
