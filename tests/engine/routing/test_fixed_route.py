"""The FRVCP against frvcpy's published optima (instance tc0c40s8cf0, 16,000 Wh at the start)."""

import json
from pathlib import Path

import pytest

from engine.routing.fixed_route import ChargingFunction, solve_fixed_route
from engine.routing.formats import read_frvcpy

DATA = Path(__file__).resolve().parents[2] / "data" / "evrp" / "frvcpy"
INSTANCE = DATA / "frvcpy-instance_tc0c40s8cf0.json"
EXPECTED = json.loads((DATA / "routes_expected_durations_sample.json").read_text())


@pytest.mark.parametrize(
    ("route", "hours"),
    [([0, 40, 12, 33, 38, 16, 0], 7.339), (EXPECTED["route_tc0c40s8cf0_8"]["route"], 6.523193)],
    ids=["readme", "two_stations_in_a_row"],
)
def test_the_mip_reaches_the_published_optimum(route, hours) -> None:
    plan = solve_fixed_route(read_frvcpy(INSTANCE, route, 16000))
    assert plan.feasible and plan.duration_h == pytest.approx(hours, abs=1e-3)
    assert all(0 <= s.arrive <= s.depart <= 16000 and s.hours >= 0 for s in plan.stops)


def test_charging_slows_as_the_battery_fills() -> None:
    f = ChargingFunction(time_h=[0, 0.31, 0.39, 0.51], charge=[0, 13600, 15200, 16000])
    assert f.hours(13600) == pytest.approx(0.31) and f.hours(14400) == pytest.approx(0.35)
    with pytest.raises(ValueError):
        ChargingFunction(time_h=[0, 0.1, 0.5], charge=[0, 1000, 9000])  # faster when fuller: not concave
