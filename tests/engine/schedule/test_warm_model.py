"""Warm re-planning keeps the LP and HiGHS between plans that differ only in starting SOC."""

import pytest

from engine.decision import decide
from engine.optim.warm import WarmStart
from engine.schedule import ObjectiveWeights
from tests.engine.schedule.factory import problem, trip, two_level_tariff, vehicle

W = ObjectiveWeights(target_reserve=0.0)
TARIFF = two_level_tariff()


def fleet(socs: list[float]):
    n = len(socs)
    return problem([vehicle(i) for i in range(1, n + 1)], [trip(i, 6.0, 20.0) for i in range(1, n + 1)], socs, n_ac=n)


def test_soc_update_is_warm_and_costs_what_a_cold_plan_costs() -> None:
    warm = WarmStart()
    decide(fleet([0.2, 0.3, 0.1]), weights=W, tariff=TARIFF, warm=warm)
    changed = fleet([0.05, 0.3, 0.1])  # v1 lost 7.5 kWh: 7.5 more to charge at 0.10 $/kWh
    hot = decide(changed, weights=W, tariff=TARIFF, warm=warm)
    cold = decide(changed, weights=W, tariff=TARIFF)
    assert warm.history == ["cold", "warm"]
    assert hot.decision_id == cold.decision_id
    assert hot.cost.bill_usd == pytest.approx(cold.cost.bill_usd, abs=1e-9)
    assert hot.plan.vehicles[0].soc_at_departure["t1"] == pytest.approx(0.4)  # 20 kWh of 50 reached either way


def test_anything_but_soc_rebuilds() -> None:
    warm = WarmStart()
    decide(fleet([0.2, 0.3]), weights=W, tariff=TARIFF, warm=warm)
    later = fleet([0.2, 0.3])
    later = later.model_copy(update={"trips": [t.model_copy(update={"energy_kwh_p90": 25.0}) for t in later.trips]})
    decide(later, weights=W, tariff=TARIFF, warm=warm)
    decide(later, weights=W.model_copy(update={"demand_weight": 2.0}), tariff=TARIFF, warm=warm)
    assert warm.history == ["cold", "cold", "cold"]


def test_session_choice_drops_the_kept_model() -> None:
    # two vans on one charger: the LP overlaps their sessions, the session choice changes the kept model
    contended = problem([vehicle(1), vehicle(2)], [trip(1, 6.0, 20.0), trip(2, 6.0, 20.0)], [0.2, 0.2], n_ac=1)
    warm = WarmStart()
    d = decide(contended, weights=W, tariff=TARIFF, warm=warm)
    assert any(s["step"] == "session_rounding" for s in d.trace.repair_steps)
    assert warm.model is None
    decide(contended, weights=W, tariff=TARIFF, warm=warm)
    assert warm.history == ["cold", "cold"]
