"""Generate the demo last-mile depot (deterministic: fixed seed). Run: ``python examples/demo_depot/generate.py``.

Where the numbers come from (public spec sheets and typical depot practice; see README.md beside this file):
- Vans: usable battery 70-110 kWh and 11 kW on-board AC charger, as the Mercedes eSprinter (81/113 kWh gross,
  11 kW AC, 115 kW DC) and Ford E-Transit (68/89 kWh usable, 11.3 kW AC, 115 kW DC); a third of the vans have a
  50-150 kW DC inlet enabled. Consumption 0.28-0.36 kWh/km (E-Transit EPA 0.3 kWh/km loaded urban).
- Box trucks: class 6 (Freightliner eM2: 194-291 kWh, 19.2 kW AC, 150 kW DC); 0.9-1.1 kWh/km loaded.
- Routes: last-mile vans 70-150 km per day, trucks 80-140 km; departures 05:00-09:00, back 14:00-19:00.
- Site: 30 Level 2 chargers at 19.2 kW (80 A at 240 V), 4 DC at 150 kW, 600 kW grid connection; warehouse
  load 40 kW at night and 90 kW in working hours; 150 kWp rooftop PV (summer clear-sky shape, ~75 % peak).
- Tariff: SCE TOU-8 Option D (tariffs/sce_tou_8_d.yaml), a summer weekday (on-peak 16-21 h).
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from engine.domain import (
    Charger,
    Depot,
    PlanningProblem,
    TimeSeries,
    Trip,
    Vehicle,
    VehicleState,
)
from engine.io.problem_files import write_problem_folder

TZ = ZoneInfo("America/Los_Angeles")
NOW = datetime(2025, 7, 14, 15, 0, tzinfo=TZ)  # Monday afternoon: vans start returning
HORIZON_H = 20  # to 11:00 Tuesday, past the last departure
OUT = Path(__file__).resolve().parent


def _building_load(rng: random.Random) -> TimeSeries:
    values = []
    for k in range(HORIZON_H * 4):
        t = NOW + timedelta(minutes=15 * k)
        base = 90.0 if 6 <= t.hour < 18 else 40.0
        values.append(round(base + rng.uniform(-5, 5), 1))
    return TimeSeries(start=NOW, step_minutes=15, values_kw=values)


def _pv() -> TimeSeries:
    values = []
    for k in range(HORIZON_H * 4):
        t = NOW + timedelta(minutes=15 * k)
        h = t.hour + t.minute / 60
        # clear-sky summer shape: sunrise ~05:45, sunset ~20:00 in Los Angeles in July
        shape = math.sin(math.pi * (h - 5.75) / 14.25) if 5.75 < h < 20.0 else 0.0
        values.append(round(150 * 0.75 * max(0.0, shape) ** 1.3, 1))
    return TimeSeries(start=NOW, step_minutes=15, values_kw=values)


def build() -> PlanningProblem:
    """The demo depot problem."""
    rng = random.Random(20250714)
    depot = Depot(
        id="lax-1",
        name="Los Angeles last-mile depot",
        timezone="America/Los_Angeles",
        grid_limit_kw=600,
        building_load_kw=_building_load(rng),
        pv_kw=_pv(),
    )
    chargers = [
        Charger(id=f"AC-{i:02d}", depot_id=depot.id, kind="AC", max_kw=19.2, connectors=["J1772"]) for i in range(1, 31)
    ]
    chargers += [
        Charger(id=f"DC-{i:02d}", depot_id=depot.id, kind="DC", max_kw=150, connectors=["CCS1"]) for i in range(1, 5)
    ]
    vehicles, trips, states = [], [], []
    tomorrow = NOW.replace(hour=0, minute=0) + timedelta(days=1)
    for i in range(1, 69):
        truck = i > 60
        vid = f"T-{i - 60:02d}" if truck else f"V-{i:02d}"
        if truck:
            battery = rng.choice([194.0, 219.0, 245.0])
            v = Vehicle(
                id=vid,
                vehicle_class="box_truck",
                depot_id=depot.id,
                battery_kwh=battery,
                max_ac_kw=19.2,
                max_dc_kw=150,
                connectors=["J1772", "CCS1"],
                charge_curve=[{"soc": 0, "max_kw": 150}, {"soc": 0.8, "max_kw": 150}, {"soc": 1, "max_kw": 40}],
            )
            km = rng.uniform(80, 140)
            per_km = rng.uniform(0.9, 1.1)
        else:
            battery = round(rng.uniform(70, 110), 1)
            dc = rng.choice([0.0, 0.0, 50.0, 115.0, 150.0]) if i % 3 == 0 else 0.0
            connectors = ["J1772", "CCS1"] if dc else ["J1772"]
            v = Vehicle(
                id=vid,
                vehicle_class="van",
                depot_id=depot.id,
                battery_kwh=battery,
                max_ac_kw=11.0,
                max_dc_kw=dc,
                connectors=connectors,
            )
            km = rng.uniform(70, 150)
            per_km = rng.uniform(0.28, 0.36)
        vehicles.append(v)
        p50 = round(km * per_km, 1)
        departure = tomorrow + timedelta(hours=5, minutes=15 * rng.randrange(0, 17))  # 05:00-09:00
        back = departure + timedelta(minutes=15 * rng.randrange(32, 41))  # 8-10 h out
        trips.append(
            Trip(
                id=f"R-{vid}",
                depot_id=depot.id,
                vehicle_classes=[v.vehicle_class],
                vehicle_id=vid,
                departure=departure,
                return_time=back,
                distance_km=round(km, 1),
                energy_kwh_p50=p50,
                energy_kwh_p90=round(p50 * 1.15, 1),
                priority=4 if truck else 3,
            )
        )
        # today's routes end 15:00-19:00; SOC on return 20-55 %
        arrival = NOW + timedelta(minutes=15 * rng.randrange(0, 17))
        soc = round(rng.uniform(0.2, 0.55), 3)
        states.append(
            VehicleState(
                vehicle_id=vid,
                soc=soc,
                soc_confidence=0.95,
                last_seen=NOW,
                at_depot=arrival == NOW,
                depot_id=depot.id,
                available_from=arrival,
            )
        )
    return PlanningProblem(
        id="demo-lax-1",
        now=NOW,
        horizon_hours=HORIZON_H,
        slot_minutes=15,
        tariff="sce_tou_8_d",
        depots=[depot],
        vehicles=vehicles,
        chargers=chargers,
        trips=trips,
        states=states,
    )


if __name__ == "__main__":
    write_problem_folder(build(), OUT)
    print(f"wrote {OUT}")
