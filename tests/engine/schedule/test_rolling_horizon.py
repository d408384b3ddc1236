"""Rolling horizon: the last approved plan is kept unless changing it pays."""

import numpy as np
import pytest

from engine.decision import decide
from engine.schedule import ObjectiveWeights
from tests.engine.schedule.factory import problem, trip, two_level_tariff, vehicle

W = ObjectiveWeights(target_reserve=0.0, wear_usd_per_kwh=0.0, dc_wear_extra_usd_per_kwh=0.0)


def test_equal_cost_alternative_keeps_the_previous_plan() -> None:
    # flat price: without history the tie-break charges at once (00:00-01:00); a previous plan that charged
    # 03:00-04:00 is kept when it is given, since moving 10 kWh would cost 10 x 0.02 $.
    tariff = two_level_tariff(cheap_hours=(0, 24))
    p = problem([vehicle(1)], [trip(1, 6.0, 20.0)], [0.2])
    fresh = decide(p, weights=W, tariff=tariff)
    assert np.allclose(fresh.plan.vehicles[0].power_kw[:4], 10.0)
    shifted = list(np.roll(fresh.plan.vehicles[0].power_kw, 12))
    previous = fresh.plan.model_copy(
        update={"vehicles": [fresh.plan.vehicles[0].model_copy(update={"power_kw": shifted})]}
    )
    kept = decide(p, weights=W, tariff=tariff, previous=previous)
    assert np.allclose(kept.plan.vehicles[0].power_kw, shifted)
    assert kept.decision_id != fresh.decision_id and kept.trace.previous_plan_hash


def test_change_happens_when_it_pays() -> None:
    # the previous plan charged at the dear price; moving to the cheap window saves 0.20 $/kWh > 0.02 $/kWh
    tariff = two_level_tariff(cheap_hours=(0, 4))
    p = problem([vehicle(1)], [trip(1, 6.0, 20.0)], [0.2])
    fresh = decide(p, weights=W, tariff=tariff)
    dear = [0.0] * 16 + [10.0] * 4 + [0.0] * 12
    previous = fresh.plan.model_copy(
        update={"vehicles": [fresh.plan.vehicles[0].model_copy(update={"power_kw": dear})]}
    )
    moved = decide(p, weights=W, tariff=tariff, previous=previous)
    kw = np.array(moved.plan.vehicles[0].power_kw)
    assert kw[16:].sum() == pytest.approx(0.0, abs=1e-6) and kw.sum() * 0.25 == pytest.approx(10.0)


def test_replan_after_soc_change_moves_little(tmp_path) -> None:
    vans = [vehicle(i) for i in range(4)]
    trips = [trip(i, 6.0 + 0.25 * i, 25.0) for i in range(4)]
    tariff = two_level_tariff(cheap_hours=(0, 24), demand_rate=2.0)
    p = problem(vans, trips, [0.2, 0.3, 0.25, 0.4], n_ac=4, limit=25.0)
    first = decide(p, weights=W, tariff=tariff)
    states = list(p.states)
    states[0] = states[0].model_copy(update={"soc": 0.25})
    p2 = p.model_copy(update={"states": states})
    free = decide(p2, weights=W, tariff=tariff)
    sticky = decide(p2, weights=W, tariff=tariff, previous=first.plan)

    def moved(d) -> float:
        a = np.array([v.power_kw for v in d.plan.vehicles])
        b = np.array([v.power_kw for v in first.plan.vehicles])
        return float(np.abs(a - b).sum() * 0.25)

    assert moved(sticky) <= moved(free) + 1e-6
    assert sticky.violations == []
