"""Invariants of the TCO on random variations of the hand case: more cost in, never less TCO out; a zero
discount rate gives the plain sum; the tornado's extremes are one-at-a-time re-runs; Monte Carlo is the same
for the same seed on one process or a pool."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.tco.load import assumptions_from_data, quantities, with_values
from engine.tco.model import headline, tco
from engine.tco.sweeps import monte_carlo, tornado
from tests.engine.tco.cases import hand, qty

BASE = hand()
BASE["vehicle_classes"][0]["ev"]["battery"]["degradation"] = qty(4, "%/yr")
BASE["vehicle_classes"][0]["ev"]["public_share"] = qty(10, "%")
BASE["vehicle_classes"][0]["ev"]["public_price"] = qty(0.5, "USD/kWh")
BASE["analysis"]["period"] = qty(9, "yr")
A = assumptions_from_data(BASE)
ALL = quantities(A)
# inputs that are costs: raising one may not lower what the fleet costs
COSTS = sorted(
    p
    for p, q in ALL.items()
    if (q.unit.startswith("USD") and not p.endswith("incentives"))
    or p.endswith(("consumption", "annual_distance", "degradation", "financing.rate"))
)
RANGED = sorted(p for p, q in ALL.items() if q.range is not None)


def test_the_cost_inputs_are_the_ones_expected():
    assert "depots.d1.energy.price" in COSTS and "vehicle_classes.van.ev.battery.degradation" in COSTS
    assert "vehicle_classes.van.ev.acquisition.incentives" not in COSTS
    assert "vehicle_classes.van.ev.acquisition.residual_value" not in COSTS


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(COSTS), st.floats(0.0, 3.0), st.floats(0.0, 2.0))
def test_tco_is_monotone_in_each_cost_input(path, scale, more):
    start = float(ALL[path].value) * scale
    lower, higher = headline(with_values(A, {path: start})), headline(with_values(A, {path: start * (1 + more) + more}))
    for key in ("ev_npv_usd", "diesel_npv_usd"):
        assert higher[key] >= lower[key] - 1e-6, (path, key)


@settings(max_examples=30, deadline=None)
@given(st.fixed_dictionaries({p: st.floats(0.0, 1.0) for p in RANGED}))
def test_zero_discount_rate_gives_the_plain_sum(where):
    values = {p: ALL[p].range[0] + w * (ALL[p].range[1] - ALL[p].range[0]) for p, w in where.items()}
    values["analysis.discount_rate"] = 0.0
    s = tco(with_values(A, values)).summary
    assert s["npv_fleet_usd"].tolist() == pytest.approx(s["undiscounted_fleet_usd"].tolist(), rel=1e-12)


@pytest.mark.parametrize("metric", ["ev_npv_usd", "ev_minus_diesel_usd"])
def test_tornado_extremes_are_one_at_a_time_reruns(metric):
    table = tornado(A, metric)
    with_period = with_values(A, {})  # the period ranged as well: evaluated one run at a time
    period = ALL["analysis.period"].model_copy(update={"range": (5.0, 12.0)})
    with_period = with_period.model_copy(
        update={"analysis": with_period.analysis.model_copy(update={"period": period})}
    )
    slow = tornado(with_period, metric).set_index("parameter")
    assert slow.loc["analysis.period", "low"] == 5.0
    fast = table.set_index("parameter")
    assert slow.loc[fast.index, "swing"].tolist() == pytest.approx(fast["swing"].tolist(), rel=1e-12)
    assert sorted(table["parameter"]) == RANGED
    for row in table.itertuples():
        low = headline(with_values(A, {row.parameter: row.low}))[metric]
        high = headline(with_values(A, {row.parameter: row.high}))[metric]
        assert getattr(row, f"{metric}_at_low") == pytest.approx(low, rel=1e-12)
        assert getattr(row, f"{metric}_at_high") == pytest.approx(high, rel=1e-12)
    assert table["swing"].is_monotonic_decreasing
    # the discount rate moves every cost: widest swing of the EV's NPV
    assert metric != "ev_npv_usd" or table.iloc[0]["parameter"] == "analysis.discount_rate"


def test_monte_carlo_is_seeded_and_the_same_on_a_pool():
    one = monte_carlo(A, 500, seed=7)
    again = monte_carlo(A, 500, seed=7)
    assert one["metrics"] == again["metrics"]
    assert monte_carlo(A, 500, seed=8)["metrics"] != one["metrics"]
    with ProcessPoolExecutor(2) as pool:
        pooled = monte_carlo(A, 500, seed=7, executor=pool)
    assert pooled["runs"].equals(one["runs"])
    for m in one["metrics"].values():
        assert m["p10"] <= m["p50"] <= m["p90"]
    # every draw inside its range: the fleet's EV NPV between the all-low and all-high corners is not implied
    # (some inputs lower it), but each quantity is drawn from triangular(low, value, high)
    assert set(one["assumptions"]) == set(RANGED)
    assert all(d["kind"] == "triangular" for d in one["assumptions"].values())


def test_a_batch_of_draws_gives_what_each_draw_gives_alone():
    """Monte Carlo evaluates 2,000 draws at once (the cash flows broadcast over them); each must be what the
    one-by-one evaluation of that draw gives, whole-year quantities (loan term, charger life, replacement
    interval) and vehicle counts included."""
    import numpy as np

    from engine.tco.sweeps import draw_samples, run_draws

    data = hand()
    van = data["vehicle_classes"][0]
    van["ev"]["acquisition"]["financing"]["term"] = qty(3, "yr", range=[1, 6])
    van["ev"]["acquisition"]["financing"]["rate"] = qty(5, "%/yr", range=[0, 12])
    van["ev"]["battery"]["degradation"] = qty(4, "%/yr", range=[0, 30])
    van["count"] = qty(2, "count", range=[1, 9])
    data["depots"][0]["chargers"]["life"] = qty(2, "yr", range=[1, 4])
    data["analysis"]["period"] = qty(6, "yr")
    a = assumptions_from_data(data)
    draws = draw_samples(a, 300, seed=11)
    batch = run_draws(a, draws)
    for i in range(300):
        alone = headline(with_values(a, {p: float(v[i]) for p, v in draws.items()}))
        for key, value in alone.items():
            assert batch[key][i] == pytest.approx(value, rel=1e-12, abs=1e-9), (i, key)
    assert np.ptp(draws["vehicle_classes.van.ev.acquisition.financing.term"]) > 3  # whole years crossed
