"""Charger minimum power (issue 17.3): 0 or at least ``min_kw`` while charging, only where a charger says so."""

from __future__ import annotations

import numpy as np
import pytest

from engine.decision import decide
from engine.schedule import ObjectiveWeights
from tests.engine.schedule.factory import problem, trip, two_level_tariff, vehicle

W = ObjectiveWeights(target_reserve=0.0, wear_usd_per_kwh=0.0, dc_wear_extra_usd_per_kwh=0.0)
TARIFF = two_level_tariff(cheap_hours=(0, 2), cheap=0.10, dear=0.30)


def squeezed(min_kw: float):
    """A van needing 6 kWh by 06:00 on a 10 kW AC charger. 00:00-02:00 is cheap but a 5 kW building load leaves
    3 kW of an 8 kW site: without a minimum it takes 3 kW x 2 h = 6 kWh cheap ($0.60); with a 6 kW minimum the
    charger cannot run in those hours, so the 6 kWh come at $0.30 later ($1.80), each slot 0 or 6-10 kW."""
    p = problem(
        [vehicle(1, battery=60, ac=10.0)], [trip(1, 6.0, 6.0)], [0.0], limit=8.0, building=[5.0] * 8 + [0.0] * 24
    )
    return p.model_copy(update={"chargers": [c.model_copy(update={"min_kw": min_kw}) for c in p.chargers]})


def test_without_a_minimum_the_cheap_trickle_stands() -> None:
    d = decide(squeezed(0.0), weights=W, tariff=TARIFF)
    kw = np.array(d.plan.vehicles[0].power_kw)
    assert kw[:8] == pytest.approx([3.0] * 8) and d.cost.energy_usd == pytest.approx(1.00 + 0.60, abs=1e-6)


def test_a_charger_minimum_is_zero_or_at_least_the_minimum() -> None:
    d = decide(squeezed(6.0), weights=W, tariff=TARIFF)
    kw = np.array(d.plan.vehicles[0].power_kw)
    assert all(k <= 1e-6 or k >= 6.0 - 1e-6 for k in kw), kw
    assert kw[:8].max() <= 1e-6  # the cheap hours have only 3 kW to give
    assert kw.sum() * 0.25 == pytest.approx(6.0, abs=1e-6) and d.violations == []
    assert d.cost.energy_usd == pytest.approx(1.00 + 1.80, abs=1e-6)  # building $1.00 + van 6 kWh at $0.30
    assert any(s["step"] == "min_power" for s in d.trace.repair_steps)


def test_the_minimum_must_not_exceed_the_rating() -> None:
    from pydantic import ValidationError

    from engine.domain import Charger

    charger = squeezed(0.0).chargers[0]
    with pytest.raises(ValidationError, match=r"min_kw 30 is above max_kw 19\.2"):
        Charger.model_validate({**charger.model_dump(), "min_kw": 30.0})


def test_baselines_respect_the_minimum_too() -> None:
    """Balanced would spread 6 kWh over 6 h at 1 kW; the charger's 6 kW minimum makes it 6 kW for an hour."""
    for strategy in ("balanced", "greedy", "edf"):
        kw = np.array(decide(squeezed(6.0), strategy, weights=W, tariff=TARIFF).plan.vehicles[0].power_kw)
        assert all(k <= 1e-9 or k >= 6.0 - 1e-9 for k in kw), (strategy, kw)
        assert kw.sum() * 0.25 == pytest.approx(6.0, abs=0.6 * 0.25 + 1e-9), strategy


def test_the_minimum_power_re_solve_opens_no_new_session() -> None:
    """Found by the invariant test with a random seed (its depot saved in data/min_power_new_session.json: two vans,
    one AC charger with a 6 kW minimum, one DC charger, a 15 kW site): the semi-continuous re-solve is free to put
    power anywhere, so one van draws on the DC charger inside its AC session and the other draws 6 kW with no
    charger left for it. The step now holds each dwell to one window on its LP session's pool (the whole dwell
    where the pool is not contended, so the trickle of the test above may still move to later slots)."""
    import itertools
    import json
    from pathlib import Path

    from engine.domain import PlanningProblem
    from tests.engine.schedule.test_invariants import W as INVARIANT_W

    p = PlanningProblem.model_validate(
        json.loads((Path(__file__).parent / "data/min_power_new_session.json").read_text())
    )
    d = decide(p, strategy="optimal", weights=INVARIANT_W, tariff=two_level_tariff(demand_rate=5.0))
    assert [s["step"] for s in d.trace.model_dump()["repair_steps"]] == ["min_power"]
    t0, dt = d.plan.slot_starts[0], d.plan.slot_minutes * 60
    for vp in d.plan.vehicles:
        spans = sorted(
            (int((s.plug_in - t0).total_seconds() // dt), int((s.plug_out - t0).total_seconds() // dt))
            for s in vp.sessions
        )
        assert all(b1 <= a2 for (_a1, b1), (a2, _b2) in itertools.pairwise(spans)), (vp.vehicle_id, spans)
        for t, kw in enumerate(vp.power_kw):
            assert kw <= 1e-6 or any(a <= t < b for a, b in spans), (vp.vehicle_id, t, kw)  # power only when plugged
            assert kw <= 1e-6 or kw >= 6.0 - 1e-6 or not any(a <= t < b for a, b in spans), (vp.vehicle_id, t, kw)
