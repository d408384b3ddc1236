"""Scale the price-vs-uptime trade-off (what the notebooks' sliders move), with or without a policy."""

from __future__ import annotations

from engine.policy.schema import Policy
from engine.weights import ObjectiveWeights


def scale_tradeoff(
    policy: Policy | None, uptime: float = 1.0, demand: float = 1.0, wear: float = 1.0
) -> tuple[ObjectiveWeights, Policy | None]:
    """Weights and policy with the shortfall penalties multiplied by ``uptime`` [-], and the demand-charge and wear
    weights set to ``demand`` and ``wear`` times their base [-]. With a policy its ``objective`` is scaled (the
    policy supplies the weights to the scheduler); without one the default :class:`ObjectiveWeights` are."""
    if min(uptime, demand, wear) < 0:
        raise ValueError("trade-off multipliers must be >= 0")
    base = ObjectiveWeights()
    if policy is None:
        weights = base.model_copy(
            update={
                "shortfall_usd_per_kwh": {p: v * uptime for p, v in base.shortfall_usd_per_kwh.items()},
                "demand_weight": base.demand_weight * demand,
                "wear_usd_per_kwh": base.wear_usd_per_kwh * wear,
                "dc_wear_extra_usd_per_kwh": base.dc_wear_extra_usd_per_kwh * wear,
            }
        )
        return weights, None
    o = policy.objective
    objective = o.model_copy(
        update={
            "shortfall_usd_per_kwh": {p: v * uptime for p, v in o.shortfall_usd_per_kwh.items()},
            "demand_weight": o.demand_weight * demand,
            "wear_weight": o.wear_weight * wear,
        }
    )
    return base, policy.model_copy(update={"objective": objective})
