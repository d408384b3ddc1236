"""Slot-indexed inputs of the scheduling model, derived once from a PlanningProblem.

Time: slot ``t`` covers ``[now + t*dt, now + (t+1)*dt)`` in absolute (UTC) time, so slots stay 15 minutes long
across daylight-saving changes; energies live on slot boundaries ``b = 0..T``.
A vehicle may charge in slot ``t`` only inside a *dwell*: from when it is at the depot until the start of the
slot holding its next departure. The model decides power per charger pool (:mod:`engine.schedule.pools`),
physical chargers are assigned afterwards.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from engine.domain import PlanningProblem, Trip, Vehicle, VehicleState
from engine.errors import InputError, Problem, did_you_mean
from engine.schedule.pools import Pool, charger_pools
from engine.tariffs import Tariff, demand_windows, load_tariff, price_series, resolve_tariff_path
from engine.weights import ObjectiveWeights


@dataclass(frozen=True)
class Departure:
    """A trip leaving at boundary ``slot`` and back at boundary ``return_slot``."""

    trip: Trip
    slot: int
    return_slot: int
    target_kwh: float  # energy wanted in the battery at departure [kWh]
    use_kwh: float  # energy the trip consumes [kWh]
    penalty_usd_per_kwh: float
    hard: bool = False  # set by a hard policy rule: a shortfall triggers the policy's `infeasible` fallbacks
    pairing_usd: float = 0.0  # what this vehicle taking this trip costs off the depot (a route's stops) [$]


def slot_runs(slots: list[int]) -> list[tuple[int, int]]:
    """Maximal runs of consecutive slots (ascending input), as [start, end)."""
    out: list[tuple[int, int]] = []
    for t in slots:
        if out and out[-1][1] == t:
            out[-1] = (out[-1][0], t + 1)
        else:
            out.append((t, t + 1))
    return out


@dataclass
class VehicleInputs:
    """One vehicle's view of the horizon."""

    vehicle: Vehicle
    e0_kwh: float
    e_max_kwh: float
    charge_slots: list[int]  # slots in which it is at the depot and may charge
    departures: list[Departure]
    pool_kw: dict[str, float]  # pool id -> max grid-side power on that pool [kW]
    horizon_slots: int  # T
    notes: list[str] = field(default_factory=list)
    blocked: set[tuple[str, int]] = field(default_factory=set)  # (pool, slot) closed by policy directives
    off_preference: set[str] = field(default_factory=set)  # pools a Prefer directive does not prefer
    candidates: list[Departure] = field(default_factory=list)  # unpinned trips it may take (trip_cover.py)

    def departs_again(self, slot: int, candidates: bool = True) -> bool:
        """Whether a departure (or, with ``candidates``, a candidate trip) of the vehicle leaves after boundary
        ``slot`` (energy.py: the energy a short trip lacks is then paid for)."""
        return any(d.slot > slot for d in (*self.departures, *(self.candidates if candidates else ())))

    def dwells(self) -> list[tuple[int, int]]:
        """Maximal runs of consecutive charge slots, as [start, end)."""
        return slot_runs(self.charge_slots)

    def boundaries(self, dense: bool) -> list[int]:
        """Boundaries that carry an energy variable: every one in the span if ``dense`` (needed by SOC taper),
        else only events: span start and end, each departure and the boundary after it. Power is >= 0, so
        energy is monotone between events and bounds at events bound every slot in between."""
        b0, b1 = self.span
        if dense:
            return list(range(b0, b1 + 1))
        marks = {b0, b1}
        for d in (*self.departures, *self.candidates):
            marks |= {d.slot, min(d.slot + 1, b1)}
        return sorted(m for m in marks if b0 <= m <= b1)

    @property
    def span(self) -> tuple[int, int]:
        """Boundaries (b0, b1) between which the battery energy can change; constant outside."""
        marks = [*self.charge_slots, *(d.slot for d in self.departures)]
        if not marks:
            return 0, 0
        last = max(max(self.charge_slots, default=0), max((d.slot for d in self.departures), default=0)) + 1
        return min(marks), min(last, self.horizon_slots)


@dataclass
class DepotInputs:
    """One site: limit, fixed load and tariff signals per slot."""

    depot_id: str
    grid_limit_kw: float
    building_kw: np.ndarray  # building load forecast [kW]
    pv_kw: np.ndarray  # PV forecast [kW]
    price: np.ndarray  # [$/kWh]
    demand: list[tuple[str, float, np.ndarray, np.ndarray, float]]  # name, rate, mask, month, mtd peak
    tariff: Tariff
    allow_export: bool


@dataclass
class ScheduleInputs:
    """Everything the model needs, in plain arrays."""

    problem: PlanningProblem
    weights: ObjectiveWeights
    slot_starts: pd.DatetimeIndex
    dt_h: float
    vehicles: list[VehicleInputs]
    pools: list[Pool]
    depots: dict[str, DepotInputs]
    previous: dict[str, np.ndarray] | None = None  # last approved plan's kW per vehicle on these slots (NaN: none)
    turnaround: timedelta = timedelta(0)  # least time at the depot between a vehicle's trips (trip_cover.py)
    shift_trips: dict[str, tuple[str, ...]] = field(default_factory=dict)  # shift -> trips on one vehicle

    @property
    def n_slots(self) -> int:
        """Number of slots T."""
        return len(self.slot_starts)

    @cached_property
    def min_kw(self) -> dict[tuple[str, str], float]:
        """(vehicle, pool) -> the lowest power it may draw there while charging [kW], for pools whose chargers
        have a minimum (capped by what the vehicle can draw at all)."""
        low = {p.id: p.min_kw for p in self.pools if p.min_kw > 0}
        return {(vi.vehicle.id, g): min(low[g], kw) for vi in self.vehicles for g, kw in vi.pool_kw.items() if g in low}

    @property
    def lack_usd_per_kwh(self) -> float:
        """What a kWh a trip lacks costs when the vehicle leaves again later [$/kWh]: the highest shortfall penalty
        of any departure or candidate trip, so no shortfall ever pays for energy used by a later one."""
        return max(
            (d.penalty_usd_per_kwh for vi in self.vehicles for d in (*vi.departures, *vi.candidates)), default=0.0
        )

    @cached_property
    def dc_pools(self) -> frozenset[str]:
        """Ids of the DC pools (extra wear, SOC taper)."""
        return frozenset(p.id for p in self.pools if p.kind == "DC")


def slot_floor(now: datetime, when: datetime, dt: timedelta) -> int:
    return math.floor((when.astimezone(UTC) - now.astimezone(UTC)) / dt)


def slot_ceil(now: datetime, when: datetime, dt: timedelta) -> int:
    return math.ceil((when.astimezone(UTC) - now.astimezone(UTC)) / dt)


def trip_departure(trip: Trip, slot: int, return_slot: int, cap: float, e_max: float, w: ObjectiveWeights) -> Departure:
    """A trip of a vehicle with battery ``cap`` [kWh] (ceiling ``e_max`` [kWh]) leaving at boundary ``slot``: its
    target ``min(E_max, E_trip + reserve * cap)`` (P90 or P50 energy as the weights say), the P50 energy it uses
    and the penalty of its priority."""
    energy = trip.energy_kwh_p90 if w.use_p90 else trip.energy_kwh_p50
    target = min(e_max, energy + w.target_reserve * cap)
    penalty = w.shortfall_usd_per_kwh.get(trip.priority, max(w.shortfall_usd_per_kwh.values()))
    return Departure(trip, slot, return_slot, target, trip.energy_kwh_p50, penalty)


def _beyond_horizon(
    problem: PlanningProblem,
    trip: Trip,
    w: ObjectiveWeights,
    cap: float,
    e_max: float,
    pool_kw: dict[str, float],
    eta: float,
    t_max: int,
    dt: timedelta,
) -> Departure | None:
    """The first departure after the horizon as a target at the horizon's end (boundary ``t_max``, no consumption
    inside the horizon): its own target less what the fastest charger can give between the horizon's end and
    the departure, ``max(0, E_target - eta * P_max * h_after)``, so a rolling horizon never leaves a vehicle
    unable to make its next trip. None when the time after the horizon suffices anyway."""
    full = trip_departure(trip, t_max, t_max, cap, e_max, w)
    after_h = (trip.departure.astimezone(UTC) - (problem.now.astimezone(UTC) + dt * t_max)).total_seconds() / 3600
    needed = full.target_kwh - eta * max(pool_kw.values(), default=0.0) * max(0.0, after_h)
    if needed <= 1e-9:
        return None
    return Departure(trip, t_max, t_max, needed, 0.0, full.penalty_usd_per_kwh)


def _vehicle_inputs(
    problem: PlanningProblem,
    v: Vehicle,
    state: VehicleState | None,
    trips: list[Trip],
    pools: list[Pool],
    w: ObjectiveWeights,
    t_max: int,
    dt: timedelta,
) -> VehicleInputs:
    """One vehicle's inputs from its state and its trips (``trips`` sorted by departure)."""
    notes = []
    if state is None:
        notes.append("no telemetry state: assuming an empty battery")
        soc0, start = 0.0, 0
    else:
        soc0 = state.soc
        start = 0
        if not state.at_depot and state.available_from is not None:
            start = max(0, slot_ceil(problem.now, state.available_from, dt))
        elif not state.at_depot:
            notes.append("away with no expected arrival: cannot charge in this horizon")
            start = t_max
    sites = {v.depot_id, *(t.to_site for t in trips if t.to_site)}
    if state is not None and state.at_depot and state.depot_id:
        sites.add(state.depot_id)
    pool_kw = {}
    pool_site = {pool.id: pool.depot_id for pool in pools}
    vconn = {c.value for c in v.connectors}
    for pool in pools:
        if pool.depot_id not in sites or not (pool.connectors & vconn):
            continue
        limit = v.max_dc_kw if pool.kind == "DC" else v.max_ac_kw
        if limit > 0:  # a station free only part of the time gives that part of its power, as expected energy
            pool_kw[pool.id] = min(pool.max_kw, limit) * pool.availability
    if not pool_kw:
        notes.append("no compatible charger at its depot")
    cap = v.battery_kwh
    e_max = max(cap * w.max_soc, cap * soc0)
    departures, slots, cursor = [], [], start
    site = v.depot_id if state is None or not state.at_depot or not state.depot_id else state.depot_id
    site_of: dict[int, str] = {}  # charge slot -> where the vehicle dwells then (set only away from home)
    for trip in trips:
        dep = slot_floor(problem.now, trip.departure, dt)
        if dep > t_max:  # a departure on the last boundary still has its target (consumption lies beyond)
            if cursor <= t_max:  # at the depot when the horizon ends: the next departure is not forgotten
                here = {g: kw for g, kw in pool_kw.items() if pool_site[g] == site}
                beyond = _beyond_horizon(problem, trip, w, cap, e_max, here, v.charge_efficiency, t_max, dt)
                if beyond is not None:
                    departures.append(beyond)
                    notes.append(
                        f"trip {trip.id} leaves after the horizon: at its end the plan holds "
                        f"{beyond.target_kwh:.1f} kWh, what the trip needs less what the charger can still give "
                        "before it leaves"
                    )
            break
        ret = max(dep + 1, slot_ceil(problem.now, trip.return_time, dt))
        if dep < 0:
            notes.append(f"trip {trip.id} departed before now: ignored")
            continue
        dwell = range(max(cursor, 0), max(dep, 0))
        slots += dwell
        if site != v.depot_id:
            site_of.update(dict.fromkeys(dwell, site))
        site = trip.to_site or v.depot_id
        departures.append(trip_departure(trip, dep, min(ret, t_max), cap, e_max, w))
        cursor = ret
    tail = range(min(cursor, t_max), t_max)
    slots += tail
    if site != v.depot_id:
        site_of.update(dict.fromkeys(tail, site))
    charge_slots = sorted(set(slots))
    # away from home a vehicle charges only on the pools of the site where it dwells, at home only on home pools
    blocked = (
        {(g, t) for t in charge_slots for g in pool_kw if pool_site[g] != site_of.get(t, v.depot_id)}
        if len(sites) > 1
        else set()
    )
    return VehicleInputs(v, cap * soc0, e_max, charge_slots, departures, pool_kw, t_max, notes, blocked)


def dwell_prices(x: ScheduleInputs, vi: VehicleInputs) -> np.ndarray:
    """Energy price per slot where the vehicle is parked [$/kWh]: its home depot's, or in a slot it lays over at
    another site (only that site's pools open), that site's."""
    price = x.depots[vi.vehicle.depot_id].price
    if not vi.blocked:
        return price
    site = {p.id: p.depot_id for p in x.pools}
    out = price.copy()
    for t in vi.charge_slots:
        open_here = [g for g in sorted(vi.pool_kw) if (g, t) not in vi.blocked]
        if open_here and site[open_here[0]] != vi.vehicle.depot_id:
            out[t] = x.depots[site[open_here[0]]].price[t]
    return out


SiteTariffs = Tariff | Mapping[str, Tariff] | None


def site_tariffs(problem: PlanningProblem, tariff: SiteTariffs, base: Path | None = None) -> dict[str, Tariff]:
    """Each depot's tariff. ``tariff``: one Tariff standing in for the problem's ``tariff`` reference, or a
    mapping depot id -> Tariff. A depot not in the mapping is billed at its own ``tariff`` reference if it names
    one, else at the problem's (references looked up from ``base``, then among the shipped tariffs)."""
    given: Mapping[str, Tariff] = tariff if isinstance(tariff, Mapping) else {}
    default = tariff if isinstance(tariff, Tariff) else None
    out = {}
    for d in problem.depots:
        if d.id in given:
            out[d.id] = given[d.id]
        elif d.tariff:
            out[d.id] = load_tariff(resolve_tariff_path(d.tariff, base))
        else:
            default = default or load_tariff(resolve_tariff_path(problem.tariff, base))
            out[d.id] = default
    return out


def build_inputs(
    problem: PlanningProblem,
    weights: ObjectiveWeights | None = None,
    tariff: SiteTariffs = None,
    base: Path | None = None,
    named_chargers: frozenset[str] = frozenset(),
) -> ScheduleInputs:
    """Derive the model inputs, each depot at its own tariff (:func:`site_tariffs`); ``named_chargers``: charger
    ids policy rules name (see :func:`charger_pools`)."""
    w = weights or ObjectiveWeights()
    dt = problem.slot
    tariffs = site_tariffs(problem, tariff, base)
    start = problem.now.astimezone(UTC)
    end = start + dt * problem.n_slots
    zone = problem.depots[0].timezone
    index = pd.date_range(pd.Timestamp(start), periods=problem.n_slots, freq=dt).tz_convert(zone)
    pools = charger_pools(problem, named_chargers)
    states, trips_of = problem.states_by_vehicle(), problem.trips_by_vehicle()
    vehicles = [
        _vehicle_inputs(problem, v, states.get(v.id), trips_of.get(v.id, []), pools, w, problem.n_slots, dt)
        for v in sorted(problem.vehicles, key=lambda v: v.id)
    ]
    depots = {}
    for i, d in enumerate(problem.depots):
        tariff = tariffs[d.id]
        _check_month_to_date(d.month_to_date_peak_kw, tariff, i)
        times = index.to_pydatetime()
        building = np.array([d.building_load_kw.at(t) if d.building_load_kw else 0.0 for t in times])
        pv = np.array([d.pv_kw.at(t) if d.pv_kw else 0.0 for t in times])
        price = price_series(tariff, start, end, dt).to_numpy()
        demand = [
            (name, rate, mask, month, d.month_to_date_peak_kw.get(name, 0.0))
            for name, rate, mask, month in demand_windows(tariff, index)
        ]
        depots[d.id] = DepotInputs(d.id, d.grid_limit_kw, building, pv, price, demand, tariff, d.allow_export)
    return ScheduleInputs(problem, w, index, dt.total_seconds() / 3600, vehicles, pools, depots)


def _check_month_to_date(peaks: dict[str, float], tariff: Tariff, i: int) -> None:
    """Every peak already set this month must name a demand charge of the depot's tariff: a name the tariff does
    not have would be ignored, and the plan would set a new peak it believes free. InputError naming the key, with
    a did-you-mean among the tariff's demand charges."""
    names = [c.name for c in tariff.demand]
    problems = []
    for key in peaks:
        if key not in names:
            hint = did_you_mean(key, names) or f"its demand charges: {', '.join(names) or 'none'}"
            problems.append(
                Problem(
                    f"tariff {tariff.name!r} has no demand charge {key!r}; {hint}", f"depots[{i}].month_to_date_peak_kw"
                )
            )
    if problems:
        raise InputError(problems)
