"""Charger pools: sessions go to the most reliable free charger of a pool."""

from __future__ import annotations

from engine.decision import decide
from engine.domain import ChargerStatus
from engine.schedule.pools import charger_pools, unavailable_chargers
from tests.engine.schedule.factory import problem, trip, two_level_tariff, vehicle


def with_reliability(p, scores: dict[str, float]):
    return p.model_copy(
        update={"chargers": [c.model_copy(update={"reliability": scores.get(c.id, c.reliability)}) for c in p.chargers]}
    )


def test_a_pool_lists_its_chargers_most_reliable_first_then_by_id() -> None:
    p = with_reliability(problem([vehicle(1)], [trip(1, 4.0, 10.0)], [0.5], n_ac=3), {"ac0": 0.6, "ac2": 0.99})
    (pool,) = charger_pools(p)
    assert pool.chargers == ("ac2", "ac1", "ac0")  # 0.99, 0.98 (the default), 0.6


def test_the_one_session_goes_to_the_more_reliable_of_two_identical_chargers() -> None:
    p = with_reliability(problem([vehicle(1)], [trip(1, 4.0, 20.0)], [0.1], n_ac=2), {"ac0": 0.7})
    d = decide(p, tariff=two_level_tariff())
    assert [s.charger_id for s in d.plan.vehicles[0].sessions] == ["ac1"]


def test_faulted_and_offline_chargers_are_unavailable() -> None:
    p = problem([vehicle(1)], [trip(1, 4.0, 10.0)], [0.5], n_ac=3)
    states = {"ac0": ChargerStatus.FAULTED, "ac1": ChargerStatus.OFFLINE}
    p = p.model_copy(
        update={"chargers": [c.model_copy(update={"status": states.get(c.id, c.status)}) for c in p.chargers]}
    )
    assert unavailable_chargers(p) == ["ac0", "ac1"]
    (pool,) = charger_pools(p)
    assert pool.chargers == ("ac2",)
