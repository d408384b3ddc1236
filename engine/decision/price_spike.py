"""Price spikes: what a plan pays in the slots where a market price above ``SPIKE_USD_PER_KWH`` sits on top of the
tariff, the measure the policy's ``price_spike`` fallback chain lowers.

    spike_cost = sum_v sum_t in spike p[v,t] * dt * market[t]       [$]

over every vehicle's charging power ``p`` [kW] at its depot and the depot's market price ``market`` [$/kWh].
The chain is walked after the ``infeasible`` one when the plan still buys energy in a spike; an action (say
``relax_to_penalty``: hard SOC targets become priced penalties) is kept only when it lowers the spike cost, so a
policy decides whether readiness or the spike's price wins.
"""

from __future__ import annotations

import numpy as np

from engine.decision.fallbacks import Attempt
from engine.tariffs.bill import market_prices

SPIKE_USD_PER_KWH = 0.5  # a market price above this on top of the tariff is a spike [$/kWh]


def spike_cost(a: Attempt) -> float:
    """The plan's energy cost inside price spikes [$] (module doc); 0 without a market price series."""
    x = a.x
    total = 0.0
    prices: dict[str, np.ndarray] = {}
    for d, inputs in x.depots.items():
        series = inputs.tariff.price_series
        market = market_prices(series, x.slot_starts) if series is not None else np.zeros(x.n_slots)
        prices[d] = np.where(market > SPIKE_USD_PER_KWH, market, 0.0)
    for vi in x.vehicles:
        spike = prices.get(vi.vehicle.depot_id)
        if spike is None or not spike.any():
            continue
        for kw in a.sol.power.get(vi.vehicle.id, {}).values():
            total += float(np.sum(kw * x.dt_h * spike))
    return round(total, 6)
