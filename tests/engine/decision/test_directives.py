"""Each policy directive on a problem small enough to check by hand.

One 50 kWh van (10 kW AC, efficiency 1) at 10 % (5 kWh) on one AC charger; energy costs 0.10 $/kWh from 00:00
to 04:00 and 0.30 $/kWh after; 15-minute slots from 00:00.
"""

import numpy as np
import pytest

from engine.decision import decide
from engine.policy.schema import Policy
from tests.engine.schedule.factory import problem, trip, two_level_tariff, vehicle

TARIFF = two_level_tariff()


def policy(soc_rules: list[dict], charger_rules=(), price_rules=()) -> Policy:
    return Policy.model_validate(
        {
            "metadata": {"name": "t", "version": "1", "owner": "ops", "effective": "2025-01-01"},
            "objective": {"shortfall_usd_per_kwh": {3: 1.0}},
            "soc_rules": soc_rules,
            "charger_rules": list(charger_rules),
            "price_rules": list(price_rules),
        }
    )


def van(depart_h: float = 6.0):
    return problem([vehicle(1)], [trip(1, depart_h, 10.0)], [0.1])


READY = {"id": "ready", "min_soc": 0.9}  # 45 kWh at departure: 40 kWh to charge


def test_min_soc_raises_the_target() -> None:
    d = decide(van(), tariff=TARIFF, policy=policy([READY]))
    assert d.plan.vehicles[0].soc_at_departure["t1"] == pytest.approx(0.9, abs=1e-6)
    # 40 kWh fit exactly in the four cheap hours at 10 kW
    assert d.cost.energy_usd == pytest.approx(4.0, abs=1e-6)


def test_max_soc_caps_the_battery_below_a_soft_target() -> None:
    cap = {"id": "health", "max_soc": 0.6, "unless_trip_needs_more": False}
    d = decide(van(), tariff=TARIFF, policy=policy([READY, cap]))
    soc = np.array(d.plan.vehicles[0].soc)
    assert soc.max() == pytest.approx(0.6, abs=1e-6)  # 30 kWh, not 45
    assert d.trace.constraint_status["v1"]["max_soc:v1:health"] == "binding"


def test_forbid_in_a_window_moves_charging_to_dear_hours() -> None:
    forbid = {"id": "no-ac-early", "forbid": {"kind": "AC"}, "window": ["00:00", "02:00"]}
    d = decide(van(), tariff=TARIFF, policy=policy([READY], [forbid]))
    kw = np.array(d.plan.vehicles[0].power_kw)
    assert np.all(kw[:8] == 0.0)
    # 20 kWh in the cheap 02:00-04:00, the other 20 kWh at 0.30: 2.00 + 6.00
    assert d.cost.energy_usd == pytest.approx(8.0, abs=1e-6)
    assert d.violations == []


def test_defer_refuses_dear_energy_and_lists_the_shortfall() -> None:
    full = {"id": "full", "min_soc": 1.0}  # 50 kWh: 45 to charge, only 40 fit in the cheap hours
    defer = {"id": "cheap-only", "defer_above_usd_per_kwh": 0.2}
    d = decide(van(), tariff=TARIFF, policy=policy([full], price_rules=[defer]))
    kw = np.array(d.plan.vehicles[0].power_kw)
    assert np.all(kw[16:24] == 0.0)  # 04:00-06:00 cost 0.30
    (v,) = d.violations
    assert v.shortfall_kwh == pytest.approx(5.0, abs=1e-6)
    undeferred = decide(van(), tariff=TARIFF, policy=policy([full]))
    assert undeferred.violations == []


def test_min_soc_deadline_before_departure_stops_charging_early() -> None:
    early = {"id": "early", "min_soc": 0.9, "minutes_before_departure": 60}
    d = decide(van(4.5), tariff=TARIFF, policy=policy([early]))
    kw = np.array(d.plan.vehicles[0].power_kw)
    assert np.all(kw[14:18] == 0.0)  # 03:30-04:30: the last hour before leaving
    (v,) = d.violations  # 00:00-03:30 gives 35 kWh of the 40 needed
    assert v.shortfall_kwh == pytest.approx(5.0, abs=1e-6)


def test_policy_wide_directives_are_in_the_trace() -> None:
    pol = Policy.model_validate(
        {
            "metadata": {"name": "t", "version": "1", "owner": "ops", "effective": "2025-01-01"},
            "mode": {"default": "assisted", "depots": {"d": "shadow"}},
            "objective": {"shortfall_usd_per_kwh": {3: 1.0, 5: 9.0}, "late_usd_per_min": {5: 2.0}},
            "fallbacks": {"infeasible": ["relax_to_penalty", "manual_review"]},
        }
    )
    d = decide(van(), tariff=TARIFF, policy=pol)
    assert d.trace.policy_directives == [
        {"type": "Penalty", "priority": 3, "shortfall_usd_per_kwh": 1.0, "late_usd_per_min": 0.0},
        {"type": "Penalty", "priority": 5, "shortfall_usd_per_kwh": 9.0, "late_usd_per_min": 2.0},
        {"type": "Fallback", "event": "infeasible", "actions": ["relax_to_penalty", "manual_review"]},
        {"type": "Mode", "depot_id": "d", "mode": "shadow"},
    ]


def test_hard_targets_from_p90_soft_from_p50() -> None:
    # trips of 10 kWh P50 and 20 kWh P90, 5 kWh reserve (0.1 x 50): soft target P50 + reserve = 15 kWh (0.3),
    # a hard rule's departure P90 + reserve = 25 kWh (0.5) although its own floor is only 0.2
    p = problem([vehicle(1), vehicle(2)], [trip(1, 6.0, 10.0), trip(2, 6.0, 10.0)], [0.1, 0.1], n_ac=2)
    trips = [t.model_copy(update={"energy_kwh_p90": 20.0}) for t in p.trips]
    p = p.model_copy(update={"trips": trips})
    pol = policy([{"id": "floor", "when": 'vehicle.id == "v2"', "min_soc": 0.2, "hard": True}])
    pol = pol.model_copy(update={"objective": pol.objective.model_copy(update={"trip_energy": "p50"})})
    d = decide(p, tariff=TARIFF, policy=pol)
    assert d.trace.departure_targets == {"v1": {"t1": pytest.approx(0.3)}, "v2": {"t2": pytest.approx(0.5)}}
    assert d.plan.vehicles[1].soc_at_departure["t2"] == pytest.approx(0.5, abs=1e-6)
    # with hard_trip_energy p50 the hard departure keeps the soft target (its floor 0.2 is below it)
    both_p50 = pol.model_copy(update={"objective": pol.objective.model_copy(update={"hard_trip_energy": "p50"})})
    assert decide(p, tariff=TARIFF, policy=both_p50).trace.departure_targets["v2"]["t2"] == pytest.approx(0.3)
