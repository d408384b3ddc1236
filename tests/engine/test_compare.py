"""What changed between two plans of the same problem, per vehicle, and why."""

import pytest

from engine.compare import compare_decisions, summary_diff
from engine.decision import decide
from engine.results import RuleFired
from engine.schedule import ObjectiveWeights
from tests.engine.schedule.factory import problem, trip, two_level_tariff, vehicle

W = ObjectiveWeights(target_reserve=0.0, wear_usd_per_kwh=0.0, dc_wear_extra_usd_per_kwh=0.0)


@pytest.fixture(scope="module")
def pair():
    # two vans, each 10 kWh short of a 06:00 departure; the cheap hour moves from 00-04 to 02-03
    p = problem([vehicle(1), vehicle(2)], [trip(1, 6.0, 20.0), trip(2, 6.0, 20.0)], [0.2, 0.2], n_ac=2)
    before = decide(p, weights=W, tariff=two_level_tariff())
    after = decide(p, weights=W, tariff=two_level_tariff(cheap_hours=(2, 3)))
    return p, before, after


def test_moved_sessions_are_changed_with_the_same_energy(pair) -> None:
    _p, before, after = pair
    c = compare_decisions(before, after).set_index("vehicle_id")
    for v in ("v1", "v2"):
        assert c.loc[v, "energy_before_kwh"] == pytest.approx(10.0) and c.loc[v, "energy_after_kwh"] == pytest.approx(
            10.0
        )
    # each van needs exactly the one cheap hour 02-03 now; before it charged somewhere in 00-04
    moved = [v for v in ("v1", "v2") if c.loc[v, "changed"]]
    assert all("same rules" in c.loc[v, "why"] for v in moved)


def test_identical_decisions_change_nothing(pair) -> None:
    _p, before, _after = pair
    c = compare_decisions(before, before)
    assert not c["changed"].any() and (c["why"] == "").all()


def test_rules_that_start_or_stop_applying_are_named(pair) -> None:
    _p, before, _after = pair
    fired = [RuleFired(rule="night-only", entity="v1/t1", directive={})]
    with_rule = before.model_copy(update={"trace": before.trace.model_copy(update={"rules_fired": fired})})
    shifted = with_rule.model_copy(
        update={
            "plan": before.plan.model_copy(
                update={
                    "vehicles": [
                        before.plan.vehicles[0].model_copy(update={"charger_id": "ac9"}),
                        before.plan.vehicles[1],
                    ]
                }
            )
        }
    )
    c = compare_decisions(before, shifted).set_index("vehicle_id")
    assert c.loc["v1", "why"] == f"charger {before.plan.vehicles[0].charger_id} -> ac9; now under night-only"
    assert c.loc["v1", "rules_after"] == "night-only" and c.loc["v1", "rules_before"] == ""
    assert not c.loc["v2", "changed"]


def test_summary_rows_and_change(pair) -> None:
    p, before, after = pair
    s = summary_diff(before, after, p)
    assert list(s.index) == ["before", "after", "change"]
    # energy: 20 kWh at 0.10 either way (two chargers, one cheap hour each is enough)
    assert s.loc["before", "energy_usd"] == pytest.approx(2.0) and s.loc["after", "energy_usd"] == pytest.approx(2.0)
    assert s.loc["change", "bill_usd"] == pytest.approx(after.cost.bill_usd - before.cost.bill_usd)
    assert s.loc["after", "ready"] == s.loc["after", "departures"] == 2
