"""A depot's bill split among its vehicles to the cent, by hand: 0.10 $/kWh, 10 $/kW of monthly peak, four
15-minute slots."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.cost_allocation import SITE, allocate
from engine.domain import Charger, Depot, PlanningProblem
from engine.results import ChargeSession, Plan, VehiclePlan
from engine.tariffs import Tariff

T0 = datetime(2026, 3, 2, 22, 0, tzinfo=UTC)
SLOT = timedelta(minutes=15)
TARIFF = Tariff.model_validate(
    {
        "name": "flat",
        "timezone": "UTC",
        "energy": [{"name": "energy", "rate": 0.10}],
        "demand": [{"name": "facility", "rate": 10.0}],
    }
)
PROBLEM = PlanningProblem.model_validate(
    {
        "id": "p",
        "now": T0.isoformat(),
        "horizon_hours": 1,
        "tariff": "flat",
        "depots": [Depot(id="d", timezone="UTC", grid_limit_kw=100).model_dump()],
        "vehicles": [],
        "chargers": [
            Charger(id=c, depot_id="d", kind="AC", max_kw=22, connectors=["Type2"]).model_dump() for c in ("c1", "c2")
        ],
        "trips": [],
    }
)


def vehicle(vid: str, charger: str, kw: list[float]) -> VehiclePlan:
    s = ChargeSession(charger_id=charger, plug_in=T0, plug_out=T0 + 4 * SLOT, energy_kwh=sum(kw) / 4)
    return VehiclePlan(vehicle_id=vid, charger_id=charger, sessions=[s], power_kw=kw)


def plan(a: list[float], b: list[float], building: list[float]) -> Plan:
    load = [x + y + z for x, y, z in zip(a, b, building, strict=True)]
    return Plan(
        strategy="optimal",
        slot_starts=[T0 + k * SLOT for k in range(4)],
        slot_minutes=15,
        vehicles=[vehicle("A", "c1", a), vehicle("B", "c2", b)],
        site_load_kw=load,
        depot_load_kw={"d": load},
        grid_limit_kw={"d": 100.0},
    )


def test_two_vans_share_the_peak_they_make_and_the_building_pays_its_part() -> None:
    # load 15, 25, 15, 5 kW: the peak (25 kW, $250) is slot 2, where A and B draw 10 kW each and the building 5
    rows = allocate(plan([10, 10, 0, 0], [0, 10, 10, 0], [5, 5, 5, 5]), PROBLEM, {"d": TARIFF}).set_index("party")
    assert rows.loc["A", "energy_usd"] == pytest.approx(0.50) and rows.loc["A", "demand_usd"] == pytest.approx(100.0)
    assert rows.loc["B", "demand_usd"] == pytest.approx(100.0)
    assert rows.loc[SITE, "demand_usd"] == pytest.approx(50.0) and rows.loc[SITE, "energy_usd"] == pytest.approx(0.50)
    assert rows["total_usd"].tolist() == [100.50, 100.50, 50.50]
    assert rows["total_usd"].sum() == pytest.approx(251.50)  # 15 kWh x 0.10 + 25 kW x 10


def test_a_tie_for_the_peak_shares_it_over_both_intervals() -> None:
    # load 20, 20, 0, 0 from A alone, then B alone: each made one of the two peak intervals
    rows = allocate(plan([20, 0, 0, 0], [0, 20, 0, 0], [0, 0, 0, 0]), PROBLEM, {"d": TARIFF}).set_index("party")
    assert rows.loc["A", "demand_usd"] == pytest.approx(100.0) and rows.loc["B", "demand_usd"] == pytest.approx(100.0)
    assert rows.loc[SITE, "total_usd"] == 0.0


kw = st.lists(st.floats(0, 50).map(lambda x: round(x, 3)), min_size=4, max_size=4)


@settings(max_examples=60, deadline=None)
@given(kw, kw, kw)
def test_the_parties_add_up_to_the_bill_to_the_cent(a: list[float], b: list[float], building: list[float]) -> None:
    rows = allocate(plan(a, b, building), PROBLEM, {"d": TARIFF})
    energy = sum((x + y + z) / 4 for x, y, z in zip(a, b, building, strict=True)) * 0.10
    peak = max(x + y + z for x, y, z in zip(a, b, building, strict=True)) * 10.0
    assert round(rows["total_usd"].sum() * 100) == round((energy + peak) * 100)
    assert all(round(t * 100) == t * 100 or abs(round(t * 100) - t * 100) < 1e-6 for t in rows["total_usd"])
