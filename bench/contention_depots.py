"""Synthetic depots where vehicles outnumber plugs, for ``contention.py``.

One depot: ``n`` vehicles and ``c`` chargers, 96 quarter-hour slots from 12:00 local time (a summer weekday on
SCE TOU-8-D, whose on-peak demand charge and evening price make placement matter). Chargers are mixed: 70 % AC
11 kW (J1772), 20 % AC 19.2 kW (J1772), 10 % DC 50 kW (CCS1). Vehicles (60-120 kWh, 11 kW AC; 30 % also take
CCS1 at 50-150 kW) arrive and leave through the day:

- 55 % evening returners: back 15:00-20:00, out 05:00-09:00 next morning;
- 25 % at the depot now: out 13:00-16:00, back 18:00-22:00, out again 06:00-10:00 (two dwells);
- 20 % night returners: back 22:00-02:00, out 06:00-10:00.

Trip energy 15-55 kWh (P90 = 1.15 x P50), SOC on arrival 15-50 %. Building load 80 kW plus 0.4 kW per vehicle
by day, half that by night. Grid limit: 75 % of the chargers' rated total plus the day building load, so the site
limit binds in the evening when every charger is busy.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from engine.domain import Charger, Depot, PlanningProblem, TimeSeries, Trip, Vehicle, VehicleState

TZ = ZoneInfo("America/Los_Angeles")
NOW = datetime(2025, 7, 15, 12, 0, tzinfo=TZ)  # a Tuesday in summer


def _at(rng: np.random.Generator, first_h: float, last_h: float) -> datetime:
    """A quarter-hour time between ``first_h`` and ``last_h`` hours after noon today."""
    quarters = int(rng.integers(0, int((last_h - first_h) * 4) + 1))
    return NOW + timedelta(hours=first_h, minutes=15 * quarters)


def contention_depot(n: int, chargers: int, seed: int = 7, depot_id: str = "d") -> tuple[Depot, list, list, list, list]:
    """Depot, vehicles, chargers, trips and states of one synthetic depot (module doc)."""
    rng = np.random.default_rng(seed)
    kinds = [("AC", 11.0, "J1772")] * 7 + [("AC", 19.2, "J1772")] * 2 + [("DC", 50.0, "CCS1")]
    plugs = [
        Charger(id=f"{depot_id}-c{i:04d}", depot_id=depot_id, kind=k, max_kw=kw, connectors=[conn])
        for i, (k, kw, conn) in enumerate(kinds[i % 10] for i in range(chargers))
    ]
    vehicles, trips, states = [], [], []
    for i in range(n):
        vid = f"{depot_id}-v{i:04d}"
        dc = rng.random() < 0.3
        vehicles.append(
            Vehicle(
                id=vid,
                vehicle_class="van",
                depot_id=depot_id,
                battery_kwh=float(rng.uniform(60, 120)),
                max_ac_kw=11.0,
                max_dc_kw=float(rng.uniform(50, 150)) if dc else 0.0,
                connectors=["J1772", "CCS1"] if dc else ["J1772"],
            )
        )
        shape = rng.random()
        legs: list[tuple[datetime, datetime]] = []
        if shape < 0.55:
            back, out = _at(rng, 3, 8), _at(rng, 17, 21)
            legs.append((out, out + timedelta(hours=9)))
        elif shape < 0.80:
            back = NOW
            out = _at(rng, 1, 4)
            back2 = _at(rng, 6, 10)
            legs.append((out, back2))
            out2 = _at(rng, 18, 22)
            legs.append((out2, out2 + timedelta(hours=9)))
        else:
            back, out = _at(rng, 10, 14), _at(rng, 18, 22)
            legs.append((out, out + timedelta(hours=9)))
        for k, (dep, ret) in enumerate(legs):
            need = float(rng.uniform(15, 55)) * (0.6 if len(legs) == 2 and k == 0 else 1.0)
            trips.append(
                Trip(
                    id=f"{vid}-t{k}",
                    depot_id=depot_id,
                    vehicle_id=vid,
                    departure=dep,
                    return_time=ret,
                    distance_km=need * 3,
                    energy_kwh_p50=need,
                    energy_kwh_p90=need * 1.15,
                    priority=int(rng.integers(2, 5)),
                )
            )
        states.append(
            VehicleState(
                vehicle_id=vid,
                soc=float(rng.uniform(0.15, 0.5)),
                last_seen=NOW,
                at_depot=back == NOW,
                depot_id=depot_id,
                available_from=back,
            )
        )
    day = 80 + 0.4 * n
    hours = [(NOW + timedelta(minutes=15 * t)).hour for t in range(96)]
    building = TimeSeries(start=NOW, step_minutes=15, values_kw=[day if 7 <= h < 19 else day / 2 for h in hours])
    rated = sum(c.max_kw for c in plugs)
    depot = Depot(
        id=depot_id, timezone="America/Los_Angeles", grid_limit_kw=round(0.75 * rated + day), building_load_kw=building
    )
    return depot, vehicles, plugs, trips, states


def contention_problem(n: int, chargers: int, depots: int = 1, seed: int = 7) -> PlanningProblem:
    """``depots`` independent synthetic depots of ``n`` vehicles and ``chargers`` chargers each, in one problem."""
    parts = [contention_depot(n, chargers, seed + k, f"d{k:02d}" if depots > 1 else "d") for k in range(depots)]
    return PlanningProblem(
        id=f"contention-{depots}x{n}-{chargers}",
        now=NOW,
        horizon_hours=24,
        slot_minutes=15,
        tariff="sce_tou_8_d",
        depots=[p[0] for p in parts],
        vehicles=[v for p in parts for v in p[1]],
        chargers=[c for p in parts for c in p[2]],
        trips=[t for p in parts for t in p[3]],
        states=[s for p in parts for s in p[4]],
    )


def bus_line_problem(n: int = 60, slot_minutes: int = 5, seed: int = 7) -> PlanningProblem:
    """An e-bus line over a service day, 05:00-23:00 at ``slot_minutes`` slots (no real timetable: generated,
    seeded). ``n`` buses (400 kWh, DC 300 kW, 85-95 % at pull-out) leave the garage 3 minutes apart from 05:00,
    run terminal A <-> terminal B legs of 40-50 minutes using 36-46 kWh (P90 5 % more) with 12-16 minute layovers
    at each terminal until 21:00-22:00, then return to the garage.
    A block's energy (about 600 kWh) is more than the battery holds, so buses must charge at the terminals' pantographs
    (8 x 450 kW each, 2 MW grid each) as well as at the garage (30 x 150 kW DC, 3 MW)."""
    rng = np.random.default_rng(seed)
    start = datetime(2025, 7, 15, 5, 0, tzinfo=TZ)
    sites = ("garage", "term-a", "term-b")
    depots = [
        Depot(id=s, timezone="America/Los_Angeles", grid_limit_kw=3000.0 if s == "garage" else 2000.0) for s in sites
    ]
    chargers = [
        Charger(id=f"G-{i:02d}", depot_id="garage", kind="DC", max_kw=150.0, connectors=["CCS1"]) for i in range(30)
    ]
    for s in sites[1:]:
        chargers += [
            Charger(id=f"{s}-P{i}", depot_id=s, kind="DC", max_kw=450.0, connectors=["CCS1"]) for i in range(8)
        ]
    vehicles, trips, states = [], [], []
    for b in range(n):
        vid = f"bus-{b:02d}"
        vehicles.append(
            Vehicle(
                id=vid,
                vehicle_class="bus",
                depot_id="garage",
                battery_kwh=400.0,
                max_ac_kw=0.0,
                max_dc_kw=300.0,
                connectors=["CCS1"],
                charge_efficiency=0.93,
            )
        )
        states.append(
            VehicleState(
                vehicle_id=vid, soc=float(rng.uniform(0.85, 0.95)), last_seen=start, at_depot=True, depot_id="garage"
            )
        )
        t = start + timedelta(minutes=3 * b)
        end_of_service = start + timedelta(hours=float(rng.uniform(16.0, 17.0)))
        legs = [("pull-out", "term-a", 20.0, 10.0)]
        here = "term-a"
        while t < end_of_service:
            there = "term-b" if here == "term-a" else "term-a"
            legs.append(("leg", there, float(rng.uniform(40, 50)), float(rng.uniform(36, 46))))
            here = there
            t += timedelta(minutes=legs[-1][2] + float(rng.uniform(12, 16)))
        legs.append(("pull-in", None, 20.0, 10.0))
        t = start + timedelta(minutes=3 * b)
        for k, (_kind, to_site, minutes, kwh) in enumerate(legs):
            back = t + timedelta(minutes=minutes)
            trips.append(
                Trip(
                    id=f"{vid}-{k:02d}",
                    depot_id="garage",
                    vehicle_id=vid,
                    departure=t,
                    return_time=back,
                    distance_km=kwh / 1.3,
                    energy_kwh_p50=kwh,
                    energy_kwh_p90=kwh * 1.05,
                    priority=4,
                    to_site=to_site,
                )
            )
            t = back + timedelta(minutes=float(rng.uniform(12, 16)))
    return PlanningProblem(
        id=f"bus-line-{n}",
        now=start,
        horizon_hours=18.0,
        slot_minutes=slot_minutes,
        tariff="sce_tou_8_d",
        depots=depots,
        vehicles=vehicles,
        chargers=chargers,
        trips=trips,
        states=states,
    )


def assignment_problem(vans: int = 200, trips: int = 220, chargers: int = 120, seed: int = 11) -> PlanningProblem:
    """A delivery depot whose trips are not yet given to vehicles (vehicle-to-trip assignment; generated, seeded).
    ``vans`` vehicles, 10 % of them box trucks (150 kWh, 19.2 kW AC), the rest vans (60-120 kWh, 11 kW AC);
    70 % at the depot now at 15-60 % SOC, 30 % back from their own (pinned) afternoon runs 14:00-19:00 at
    10-35 %. ``trips`` unpinned trips: 82 % morning routes leaving 05:00-09:00 tomorrow for 8-10 h (25-70 kWh,
    12 % of them box-truck only), the rest short afternoon and evening runs 13:00-20:00 of 1.5-3 h (8-25 kWh);
    priorities 2-4. ``chargers`` AC chargers (80 % 11 kW, 20 % 19.2 kW) under a grid limit of 70 % of their rated
    total plus the building load, 24 h from 12:00 on SCE TOU-8-D."""
    rng = np.random.default_rng(seed)
    depot_id = "d"
    plugs = [
        Charger(id=f"c{i:04d}", depot_id=depot_id, kind="AC", max_kw=19.2 if i % 5 == 4 else 11.0, connectors=["J1772"])
        for i in range(chargers)
    ]
    fleet, states, pinned = [], [], []
    for i in range(vans):
        truck = i % 10 == 9
        vid = f"v{i:04d}"
        fleet.append(
            Vehicle(
                id=vid,
                vehicle_class="box_truck" if truck else "van",
                depot_id=depot_id,
                battery_kwh=150.0 if truck else float(rng.uniform(60, 120)),
                max_ac_kw=19.2 if truck else 11.0,
                connectors=["J1772"],
            )
        )
        away = rng.random() < 0.3
        back = _at(rng, 2, 7) if away else NOW
        if away:  # out on a run of its own now: pinned, back this afternoon
            pinned.append(
                Trip(
                    id=f"{vid}-run",
                    depot_id=depot_id,
                    vehicle_id=vid,
                    departure=NOW - timedelta(hours=3),
                    return_time=back,
                    distance_km=60.0,
                    energy_kwh_p50=20.0,
                    energy_kwh_p90=23.0,
                )
            )
        soc = float(rng.uniform(0.10, 0.35) if away else rng.uniform(0.15, 0.6))
        states.append(
            VehicleState(
                vehicle_id=vid, soc=soc, last_seen=NOW, at_depot=not away, depot_id=depot_id, available_from=back
            )
        )
    routes = []
    for k in range(trips):
        if k < round(0.82 * trips):
            dep, hours, need = _at(rng, 17, 21), float(rng.uniform(8, 10)), float(rng.uniform(25, 70))
        else:
            dep, hours, need = _at(rng, 1, 8), float(rng.uniform(1.5, 3)), float(rng.uniform(8, 25))
        box = k < round(0.82 * trips) and rng.random() < 0.12
        routes.append(
            Trip(
                id=f"r{k:04d}",
                depot_id=depot_id,
                vehicle_classes=["box_truck"] if box else [],
                vehicle_id=None,
                departure=dep,
                return_time=dep + timedelta(hours=hours),
                distance_km=need * 3,
                energy_kwh_p50=need,
                energy_kwh_p90=need * 1.15,
                priority=int(rng.integers(2, 5)),
            )
        )
    day = 60 + 0.3 * vans
    hours_of = [(NOW + timedelta(minutes=15 * t)).hour for t in range(96)]
    building = TimeSeries(start=NOW, step_minutes=15, values_kw=[day if 7 <= h < 19 else day / 2 for h in hours_of])
    rated = sum(c.max_kw for c in plugs)
    depot = Depot(
        id=depot_id, timezone="America/Los_Angeles", grid_limit_kw=round(0.7 * rated + day), building_load_kw=building
    )
    return PlanningProblem(
        id=f"assignment-{vans}-{trips}",
        now=NOW,
        horizon_hours=24,
        slot_minutes=15,
        tariff="sce_tou_8_d",
        depots=[depot],
        vehicles=fleet,
        chargers=plugs,
        trips=[*pinned, *routes],
        states=states,
    )
