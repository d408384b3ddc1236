"""The labelling solver: frvcpy's published optima on every sample route, the stops it returns replay to the
same duration, and it agrees with the MIP where both run."""

import json
from pathlib import Path

import pytest

from engine.routing.drive import replay
from engine.routing.fixed_route import solve_fixed_route
from engine.routing.formats import read_frvcpy
from engine.routing.labels import solve_by_labels

DATA = Path(__file__).resolve().parents[2] / "data" / "evrp" / "frvcpy"
INSTANCE = DATA / "frvcpy-instance_tc0c40s8cf0.json"
CASES = {"readme": {"route": [0, 40, 12, 33, 38, 16, 0], "obj": 7.339}} | json.loads(
    (DATA / "routes_expected_durations_sample.json").read_text()
)


@pytest.mark.parametrize("name", sorted(CASES))
def test_published_optimum_and_a_plan_that_replays_to_it(name: str) -> None:
    p = read_frvcpy(INSTANCE, CASES[name]["route"], 16000)
    plan = solve_by_labels(p)
    assert plan.feasible and plan.duration_h == pytest.approx(CASES[name]["obj"], abs=1e-3)
    hours, least = replay(p, plan.stops)  # the stops, driven, take what the labels found
    assert hours == pytest.approx(plan.objective, abs=1e-6) and least >= -1e-6


def test_labels_and_the_mip_agree_on_a_short_battery() -> None:
    """Half a battery at the start: more stops, the two exact methods give one duration."""
    p = read_frvcpy(INSTANCE, [0, 13, 20, 34, 0], 8000)
    by_labels, by_mip = solve_by_labels(p), solve_fixed_route(p)
    assert by_labels.feasible and by_mip.feasible
    assert by_labels.duration_h == pytest.approx(by_mip.duration_h, abs=1e-6)


def test_a_route_that_cannot_be_done_says_where() -> None:
    p = read_frvcpy(INSTANCE, [0, 13, 20, 34, 0], 16000).model_copy(update={"stations": [], "q_init": 9000.0})
    plan = solve_by_labels(p)
    assert not plan.feasible and "leg" in plan.reason and "short" in plan.reason
