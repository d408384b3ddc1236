"""Beyond the horizon (issue 17.4): the first departure after the horizon still gets a target, so a rolling
horizon never strands a vehicle."""

from __future__ import annotations

import pytest

from engine.decision import decide
from engine.schedule import ObjectiveWeights
from tests.engine.schedule.factory import problem, trip, two_level_tariff, vehicle

W = ObjectiveWeights(target_reserve=0.0, wear_usd_per_kwh=0.0, dc_wear_extra_usd_per_kwh=0.0)
TARIFF = two_level_tariff(cheap_hours=(0, 24), cheap=0.20)


def test_a_departure_just_past_the_horizon_is_charged_for() -> None:
    """A 4 h horizon; the van leaves at 05:00 needing 30 kWh. At 10 kW it can still take 10 kWh in the hour after
    the horizon, so by 04:00 it must hold 20 kWh (by hand: 30 - 10 x 1 h)."""
    p = problem([vehicle(1, battery=60, ac=10.0)], [trip(1, 5.0, 30.0)], [0.0], horizon_h=4.0)
    for strategy in ("optimal", "greedy", "edf"):
        d = decide(p, strategy, weights=W, tariff=TARIFF)
        held = d.plan.vehicles[0].soc[-1] * 60.0
        assert held == pytest.approx(20.0, abs=1e-6), strategy  # neither less (stranded) nor more (it pays)
        assert d.trace.departure_targets["v1"]["t1"] == pytest.approx(20.0 / 60.0)
        assert d.violations == []
    assert "leaves after the horizon" in " ".join(d.trace.notes["v1"])


def test_no_target_when_the_time_after_the_horizon_suffices() -> None:
    """Leaving at 07:00 needing 30 kWh: 3 h at 10 kW after a 4 h horizon gives 30 kWh: nothing needed now."""
    p = problem([vehicle(1, battery=60, ac=10.0)], [trip(1, 7.0, 30.0)], [0.0], horizon_h=4.0)
    d = decide(p, weights=W, tariff=TARIFF)
    assert d.plan.vehicles[0].soc[-1] == pytest.approx(0.0, abs=1e-9) and d.trace.departure_targets == {}
