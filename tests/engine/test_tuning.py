"""The notebooks' trade-off sliders: multipliers on shortfall, demand and wear, with or without a policy."""

import pytest

from engine.policy import load_policy
from engine.schedule import ObjectiveWeights
from engine.tuning import scale_tradeoff


def test_without_a_policy_the_default_weights_scale() -> None:
    base = ObjectiveWeights()
    w, policy = scale_tradeoff(None, uptime=2.0, demand=0.5, wear=3.0)
    assert policy is None
    assert w.shortfall_usd_per_kwh == {p: 2 * v for p, v in base.shortfall_usd_per_kwh.items()}
    assert w.demand_weight == 0.5
    assert w.wear_usd_per_kwh == pytest.approx(3 * base.wear_usd_per_kwh)
    assert w.dc_wear_extra_usd_per_kwh == pytest.approx(3 * base.dc_wear_extra_usd_per_kwh)


def test_with_a_policy_its_objective_scales_and_the_rest_is_kept(root_dir) -> None:
    courier = load_policy(root_dir / "policies/courier.yaml")
    _w, tuned = scale_tradeoff(courier, uptime=0.5, demand=2.0, wear=0.0)
    assert tuned.objective.shortfall_usd_per_kwh == {
        p: v / 2 for p, v in courier.objective.shortfall_usd_per_kwh.items()
    }
    assert tuned.objective.demand_weight == 2 * courier.objective.demand_weight
    assert tuned.objective.wear_weight == 0.0
    assert tuned.model_dump(exclude={"objective"}) == courier.model_dump(exclude={"objective"})
    assert scale_tradeoff(courier)[1] == courier  # all ones: unchanged


def test_negative_multipliers_are_refused() -> None:
    with pytest.raises(ValueError, match=">= 0"):
        scale_tradeoff(None, uptime=-1)
