"""Baselines like other tools' (issue 17.6): greedy charges at full power to the next trip's target, balanced
spreads that energy evenly over the dwell; both under the site limit, uncontrolled to full and ignoring it."""

from __future__ import annotations

import numpy as np
import pytest

from engine.decision import decide
from engine.schedule import ObjectiveWeights
from tests.engine.schedule.factory import problem, trip, two_level_tariff, vehicle

W = ObjectiveWeights(target_reserve=0.0)
TARIFF = two_level_tariff()


def one_van(limit: float = 1000.0, n: int = 1):
    """Vans empty at 00:00 (60 kWh, 10 kW AC, eta 1), each leaving at 06:00 needing 20 kWh; 15-minute slots."""
    vans = [vehicle(i, battery=60.0, ac=10.0) for i in range(n)]
    return problem(vans, [trip(i, 6.0, 20.0) for i in range(n)], [0.0] * n, n_ac=n, limit=limit)


def test_greedy_charges_at_full_power_to_the_target_only() -> None:
    kw = np.array(decide(one_van(), "greedy", weights=W, tariff=TARIFF).plan.vehicles[0].power_kw)
    assert kw[:8] == pytest.approx([10.0] * 8) and kw[8:].max() == 0.0  # 2 h x 10 kW = 20 kWh, then stops


def test_balanced_spreads_the_target_over_the_dwell() -> None:
    d = decide(one_van(), "balanced", weights=W, tariff=TARIFF)
    kw = np.array(d.plan.vehicles[0].power_kw)
    assert kw[:24] == pytest.approx([20.0 / 6.0] * 24)  # 20 kWh over the 6 h before departure
    assert d.plan.vehicles[0].soc_at_departure["t0"] * 60.0 == pytest.approx(20.0)
    assert d.violations == []


def test_uncontrolled_charges_to_full() -> None:
    kw = np.array(decide(one_van(), "uncontrolled", weights=W, tariff=TARIFF).plan.vehicles[0].power_kw)
    assert kw.sum() * 0.25 == pytest.approx(60.0)  # the whole battery, not the trip's 20 kWh


def test_greedy_and_balanced_hold_the_site_limit_first_come_first_served() -> None:
    """Two vans on a 5 kW site: balanced would give each 3.33 kW; the first plugged gets it, the second the
    remaining 1.67 kW. Greedy gives the first all 5 kW."""
    for strategy, first_kw in (("balanced", 20.0 / 6.0), ("greedy", 5.0)):
        d = decide(one_van(limit=5.0, n=2), strategy, weights=W, tariff=TARIFF)
        assert max(d.plan.site_load_kw) <= 5.0 + 1e-9
        a, b = (np.array(v.power_kw) for v in d.plan.vehicles)
        assert a[0] == pytest.approx(first_kw) and b[0] == pytest.approx(5.0 - first_kw)
