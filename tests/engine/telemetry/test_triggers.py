"""Trigger helpers: the plan's SOC between slot boundaries, and the problem re-based on telemetry."""

from datetime import timedelta

import pytest

from engine.decision import decide
from engine.schedule import ObjectiveWeights
from engine.telemetry.state import StateView
from engine.telemetry.triggers import planned_soc_at, updated_problem
from tests.engine.schedule.factory import NOW, problem, trip, two_level_tariff, vehicle


@pytest.fixture(scope="module")
def case():
    # one 50 kWh van at 20 % needs 20 kWh at 06:00, cheap 00-04: 10 kWh at 10 kW in the cheap window
    p = problem([vehicle(1)], [trip(1, 6.0, 20.0)], [0.2])
    return p, decide(p, weights=ObjectiveWeights(target_reserve=0.0), tariff=two_level_tariff())


def test_planned_soc_interpolates_between_boundaries(case) -> None:
    _p, d = case
    soc = d.plan.vehicles[0].soc
    assert planned_soc_at(d, "v1", NOW) == pytest.approx(soc[0])
    half = NOW + timedelta(minutes=7, seconds=30)
    assert planned_soc_at(d, "v1", half) == pytest.approx((soc[0] + soc[1]) / 2)
    assert planned_soc_at(d, "v1", NOW - timedelta(minutes=1)) is None
    assert planned_soc_at(d, "nobody", NOW) is None


def test_updated_problem_rebases_and_applies_telemetry(case) -> None:
    p, _d = case
    seen = NOW + timedelta(hours=2, minutes=5)
    views = {
        "v1": StateView(
            vehicle_id="v1",
            soc_pct=35.0,
            soc_confidence=0.8,
            soc_time=seen,
            at_depot=True,
            plugged=True,
            charger_id="ac0",
        )
    }
    q = updated_problem(p, views, seen, frozenset({"ac0"}))
    assert q.now == NOW + timedelta(hours=2, minutes=15)  # the next 15-minute boundary
    s = q.state_of("v1")
    assert (s.soc, s.soc_confidence, s.last_seen, s.plugged, s.charger_id) == (0.35, 0.8, seen, True, "ac0")
    assert q.chargers[0].status == "faulted"
    assert updated_problem(p, {}, NOW).states == p.states  # no telemetry: states kept
