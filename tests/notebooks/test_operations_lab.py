"""The operations lab: a simulated day's KPIs, trend, forecast vs actual, alerts and the shadow comparison."""

import pytest

from tests.notebooks.conftest import run_notebook, widget


def test_a_spike_day_under_courier() -> None:
    defs = run_notebook(
        "operations_lab",
        scenario_pick=widget("tariff_spike"),
        policy_pick=widget("courier"),
        days_pick=widget(1),
        seed_pick=widget(0),
        run_button=widget(True),
    )
    k, per_day, summary = defs["k"], defs["per_day"], defs["summary"]
    assert k["departure_readiness"] == 1.0 and len(per_day) == 1
    assert per_day.loc[0, "departures"] == k["departures"] and per_day.loc[0, "readiness"] == 1.0
    assert per_day.loc[0, "charging_kwh"] == pytest.approx(k["energy_delivered_kwh"], rel=1e-6)
    # shadow: the plans were never executed, so dispatch charged uncontrolled; the plans would have cost less
    assert summary["departures"] == k["departures"]
    assert summary["energy_cost_usd_shadow"] < summary["energy_cost_usd_actual"]
    assert not defs["dep"].empty  # forecast vs actual: departures an executed plan covered
