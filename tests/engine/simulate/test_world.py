"""The depot's physics by hand: power, efficiency, the site limit's load manager."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from engine.control.profiles import ChargerElectrics
from engine.domain import Charger, Depot, PlanningProblem, TimeSeries, Vehicle, VehicleState
from engine.simulate.chargers import SimulatedCharger
from engine.simulate.world import World

NOW = datetime(2025, 7, 14, 15, 0, tzinfo=ZoneInfo("America/Los_Angeles"))


def _world(limit_kw: float, building_kw: float) -> World:
    vehicles = [
        Vehicle(id=f"V{i}", **{"class": "van"}, depot_id="d", battery_kwh=100, max_ac_kw=11, connectors=["J1772"])
        for i in (1, 2)
    ]
    chargers = [Charger(id=f"C{i}", depot_id="d", kind="AC", max_kw=19.2, connectors=["J1772"]) for i in (1, 2)]
    depot = Depot(
        id="d",
        timezone="America/Los_Angeles",
        grid_limit_kw=limit_kw,
        building_load_kw=TimeSeries(start=NOW, step_minutes=60, values_kw=[building_kw] * 24),
    )
    states = [VehicleState(vehicle_id=v.id, soc=0.5, last_seen=NOW) for v in vehicles]
    p = PlanningProblem(now=NOW, tariff="x", depots=[depot], vehicles=vehicles, chargers=chargers, states=states)
    return World(p, {c.id: SimulatedCharger(c, ChargerElectrics(rate_unit="W")) for c in chargers})


def test_a_vehicle_gains_eta_times_what_it_draws() -> None:
    w = _world(1000, 0)
    w.plug(w.cars["V1"], "C1")
    w.step(0.0, 60.0)  # one hour at the inlet's 11 kW
    assert w.cars["V1"].energy_kwh == pytest.approx(50 + 0.92 * 11)
    assert w.log.transactions == [] and w.cars["V1"].metered_kwh == pytest.approx(11)


def test_the_load_manager_shares_what_the_limit_leaves() -> None:
    w = _world(100, 90)  # 10 kW left for two vehicles that want 11 kW each
    w.plug(w.cars["V1"], "C1")
    w.plug(w.cars["V2"], "C2")
    w.step(0.0, 60.0)
    for car in w.cars.values():
        assert car.energy_kwh == pytest.approx(50 + 0.92 * 5)
    _minute, building, _pv, charging, limit, curtailed = w.log.load[0]
    assert (building, charging, limit, curtailed) == pytest.approx((90, 10, 100, 12))


def test_a_fault_ends_the_transaction_and_the_repair_starts_one() -> None:
    w = _world(1000, 0)
    w.plug(w.cars["V1"], "C1")
    w.step(0.0, 30.0)
    w.clock_min = 30.0
    w.fault("C1")
    w.step(30.0, 30.0)  # faulted: nothing
    assert w.cars["V1"].energy_kwh == pytest.approx(50 + 0.92 * 5.5)
    w.clock_min = 60.0
    w.repair("C1")
    w.unplug(w.cars["V1"])
    reasons = [(r["stop_reason"], r["stopped"] - r["started"]) for r in w.log.transactions]
    assert reasons == [("Other", timedelta(minutes=30)), ("EVDisconnected", timedelta(0))]
