"""Alerts by business impact (hand cases): raised only for departures at risk, one per condition, with the
policy's action."""

from datetime import timedelta

import pytest

from engine.alerts import decision_alerts
from engine.decision import decide
from engine.domain import ChargerStatus
from engine.policy.schema import Policy
from engine.tariffs.model import PriceSeries
from tests.engine.schedule.factory import NOW, problem, trip, two_level_tariff, vehicle

TARIFF = two_level_tariff()


def policy(chain: list[str]) -> Policy:
    return Policy.model_validate(
        {
            "metadata": {"name": "t", "version": "1", "owner": "ops", "effective": "2025-01-01"},
            "objective": {"shortfall_usd_per_kwh": {3: 1.0}, "late_usd_per_min": {3: 0.5}},
            "soc_rules": [{"id": "ready", "min_soc": 0.9, "hard": True}],
            "fallbacks": {"infeasible": chain},
        }
    )


def test_no_alert_when_every_departure_is_covered() -> None:
    p = problem([vehicle(1)], [trip(1, 6.0, 10.0)], [0.5])
    d = decide(p, tariff=TARIFF, policy=policy(["manual_review"]))
    assert decision_alerts(d, p, NOW) == []


@pytest.mark.parametrize(
    ("depart_h", "kind", "priority"), [(1.5, "soc_below_target", "P1"), (3.0, "plan_infeasible", "P2")]
)
def test_a_short_departure_is_one_alert_with_its_window_and_action(depart_h, kind, priority) -> None:
    """0.1 of 50 kWh and 10 kW: by 1.5 h at most 20 kWh of the 45 kWh target (40 kWh short less 15)."""
    p = problem([vehicle(1)], [trip(1, depart_h, 10.0)], [0.1])
    d = decide(p, tariff=TARIFF, policy=policy(["manual_review"]))
    (a,) = decision_alerts(d, p, NOW, mode="automated")
    assert (a.kind, a.priority, a.key) == (kind, priority, f"{kind}:v1:t1")
    assert a.departures[0].shortfall_kwh == pytest.approx(40.0 - 10.0 * depart_h, abs=1e-3)
    assert a.action == "switch the depot to assisted mode"  # manual review in an automated depot
    (b,) = decision_alerts(d, p, NOW, mode="assisted")
    assert b.action == "a dispatcher reviews the plan" and b.key == a.key


def test_a_faulted_charger_the_vehicle_depended_on_names_the_cause() -> None:
    p = problem([vehicle(1)], [trip(1, 3.0, 10.0)], [0.4])
    before = decide(p, tariff=TARIFF, policy=policy([]))
    (charger,) = {s.charger_id for s in before.plan.vehicles[0].sessions}
    down = p.model_copy(
        update={"chargers": [c.model_copy(update={"status": ChargerStatus.FAULTED}) for c in p.chargers]}
    )
    d = decide(down, tariff=TARIFF, policy=policy([]))
    (a,) = decision_alerts(d, down, NOW, ["charger_fault:x"], previous=before.plan)
    assert a.kind == "charger_offline" and a.vehicles == ["v1"] and charger


def test_a_spike_the_plan_still_buys_in_is_a_tariff_anomaly() -> None:
    """20 kWh needed by a hard target, all inside a 5 $/kWh spike: 100 $ at risk."""
    spike = PriceSeries(name="s", starts=[NOW, NOW + timedelta(hours=6), NOW + timedelta(hours=48)], prices=[5, 0, 0])
    tariff = TARIFF.model_copy(update={"price_series": spike})
    p = problem([vehicle(1)], [trip(1, 6.0, 10.0)], [0.5])
    d = decide(p, tariff=tariff, policy=policy([]))
    (a,) = decision_alerts(d, p, NOW, tariff=tariff)
    assert a.kind == "tariff_anomaly" and a.cost_at_risk_usd == pytest.approx(100.0, abs=0.01)
    assert a.vehicles == ["v1"]
