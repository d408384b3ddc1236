"""A short trip adds back only the energy it lacks: a cheap shortfall never pays for a later, dearer departure."""

import pytest

from engine.decision import decide
from engine.weights import ObjectiveWeights
from tests.engine.decision.test_trip_assignment import open_trip
from tests.engine.schedule.factory import problem, two_level_tariff, vehicle

WEIGHTS = ObjectiveWeights(shortfall_usd_per_kwh={1: 0.5, 3: 1.0, 5: 5.0})


def errand_then_critical():
    """One van (40 kWh at 25 % = 10, 3.3 kW, reserve 10 % = 4 kWh): errand j (priority 1) 00:30-01:00 uses 5
    (target 9), trip k (priority 5) 01:30-03:30 uses 30 (target 34). Charging all it can: 10 + 1.65 = 11.65 at
    j (target met), 6.65 back, + 1.65 = 8.3 at k: k is 25.7 kWh short, j is not short at all."""
    trips = [open_trip("j", 0.5, 1.0, 5.0, "v1", priority=1), open_trip("k", 1.5, 3.5, 30.0, "v1", priority=5)]
    return problem([vehicle(1, battery=40.0, ac=3.3)], trips, [0.25])


@pytest.mark.parametrize(
    ("strategy", "at_k"),
    [("optimal", 8.3), ("edf", 6.65), ("greedy", 6.65)],  # baselines charge to the next target only: none before j
)
def test_the_short_departure_is_the_one_reported(strategy: str, at_k: float) -> None:
    d = decide(errand_then_critical(), strategy=strategy, weights=WEIGHTS, tariff=two_level_tariff())
    assert {v.target: v.shortfall_kwh for v in d.violations} == {"departure_target:v1:k": pytest.approx(34 - at_k)}
    soc = d.plan.vehicles[0].soc
    assert soc[6] * 40 == pytest.approx(at_k)  # 01:30: what the van really holds when k leaves
    if strategy == "optimal":
        assert d.cost.penalty_usd == pytest.approx(25.7 * 5.0)
