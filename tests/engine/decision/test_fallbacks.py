"""Fallback chains and stale telemetry on problems small enough to check by hand.

One 50 kWh van on a 10 kW AC charger (efficiency 1) at 10 % SOC (5 kWh), leaving in 2 h with a hard rule
"90 % at departure" (45 kWh): it can gain at most 20 kWh, so 20 kWh of the hard target is short.
"""

from datetime import timedelta

import pytest

from engine.decision import decide
from engine.domain import ChargerStatus
from engine.optim.solve import SolverFailed
from engine.policy.schema import Policy
from engine.tariffs.model import PriceSeries
from tests.engine.schedule.factory import NOW, problem, trip, two_level_tariff, vehicle

TARIFF = two_level_tariff()


def policy(chain: list[str], charger_rules: list[dict] | None = None, **extra) -> Policy:
    return Policy.model_validate(
        {
            "metadata": {"name": "t", "version": "1", "owner": "ops", "effective": "2025-01-01"},
            "objective": {"shortfall_usd_per_kwh": {3: 1.0}, "late_usd_per_min": {3: 0.5}},
            "soc_rules": [{"id": "ready", "min_soc": 0.9, "hard": True}],
            "charger_rules": charger_rules or [],
            "fallbacks": {"infeasible": chain},
            **extra,
        }
    )


def short_van(**kw):
    return problem([vehicle(1)], [trip(1, 2.0, 30.0)], [0.1], **kw)


def test_delay_then_relax_resolves_with_the_delay_priced() -> None:
    d = decide(short_van(), tariff=TARIFF, policy=policy(["delay_departure(60)", "relax_to_penalty", "manual_review"]))
    steps = d.trace.fallbacks
    assert [s["action"] for s in steps] == ["delay_departure(60)", "relax_to_penalty"]
    # needs 20 kWh / 10 kW = 120 min, capped at 60 min: 10 kWh gained, 10 kWh still short
    assert steps[0]["hard_shortfall_kwh_before"] == pytest.approx(20.0, abs=1e-6)
    assert steps[0]["hard_shortfall_kwh_after"] == pytest.approx(10.0, abs=1e-6)
    assert steps[0]["result"] == "improved"
    assert steps[1]["result"] == "resolved"
    assert d.trace.departure_delays_min == {"t1": 60.0}
    assert d.status == "fallback" and not d.trace.manual_review
    (v,) = d.violations
    assert v.vehicle_id == "v1" and v.shortfall_kwh == pytest.approx(10.0, abs=1e-6)
    assert d.plan.vehicles[0].soc_at_departure["t1"] == pytest.approx(35.0 / 50.0, abs=1e-6)
    # 60 min late at 0.5 $/min plus 10 kWh short at the soft penalty of 1 $/kWh
    assert d.cost.lateness_usd == pytest.approx(30.0, abs=1e-4) and d.cost.penalty_usd == pytest.approx(10.0, abs=1e-4)


def test_swap_gives_the_trip_to_the_charged_idle_vehicle() -> None:
    p = problem([vehicle(1), vehicle(2)], [trip(1, 1.0, 30.0)], [0.1, 0.95])
    d = decide(p, tariff=TARIFF, policy=policy(["swap_vehicle", "manual_review"]))
    (step,) = d.trace.fallbacks
    assert step["result"] == "resolved"
    assert d.trace.trip_vehicles == {"t1": "v2"}
    assert d.violations == []
    plans = {vp.vehicle_id: vp for vp in d.plan.vehicles}
    assert plans["v2"].trip_ids == ["t1"] and plans["v1"].trip_ids == []


def test_manual_review_ends_the_chain_and_flags_the_decision() -> None:
    d = decide(short_van(), tariff=TARIFF, policy=policy(["manual_review"]))
    assert d.status == "fallback" and d.trace.manual_review
    assert [s["action"] for s in d.trace.fallbacks] == ["manual_review"]
    assert d.violations[0].shortfall_kwh == pytest.approx(20.0, abs=1e-6)


def test_allow_dc_fast_lifts_the_dc_forbid() -> None:
    p = problem([vehicle(1, dc=50.0)], [trip(1, 2.0, 30.0)], [0.1], n_dc=1)
    forbid = [{"id": "no-dc", "forbid": {"kind": "DC"}}]
    blocked = decide(p, tariff=TARIFF, policy=policy([], forbid))
    assert blocked.violations[0].shortfall_kwh == pytest.approx(20.0, abs=1e-6)
    d = decide(p, tariff=TARIFF, policy=policy(["allow_dc_fast", "manual_review"], forbid))
    (step,) = d.trace.fallbacks
    assert step["result"] == "resolved" and "no-dc" in step["change"]
    assert d.violations == []
    assert any(s.charger_id == "dc0" for s in d.plan.vehicles[0].sessions)


def test_an_action_with_nothing_to_change_is_skipped() -> None:
    d = decide(short_van(), tariff=TARIFF, policy=policy(["allow_dc_fast", "swap_vehicle", "manual_review"]))
    results = [s["result"] for s in d.trace.fallbacks]
    assert results[:2] == ["skipped: nothing to change"] * 2 and d.trace.manual_review


def test_feasible_plans_walk_no_chain() -> None:
    d = decide(problem([vehicle(1)], [trip(1, 6.0, 30.0)], [0.1]), tariff=TARIFF, policy=policy(["manual_review"]))
    assert d.trace.fallbacks == [] and d.status == "optimal"


@pytest.mark.parametrize(("p10", "confidence", "assumed"), [(0.5, 1.0, 0.5), (None, 0.5, 0.4)])
def test_stale_soc_is_replaced_by_its_p10(p10, confidence, assumed) -> None:
    p = problem([vehicle(1)], [trip(1, 6.0, 10.0)], [0.8])
    old = p.states[0].model_copy(
        update={"last_seen": NOW - timedelta(hours=3), "soc_p10": p10, "soc_confidence": confidence}
    )
    p = p.model_copy(update={"states": [old]})
    pol = policy([], stale_telemetry={"after_minutes": 60, "action": "assume_p10"})
    d = decide(p, tariff=TARIFF, policy=pol)
    (step,) = d.trace.fallbacks
    assert step["event"] == "stale_telemetry" and step["soc_assumed"] == pytest.approx(assumed)
    assert d.plan.vehicles[0].soc[0] == pytest.approx(assumed)
    review = decide(
        p, tariff=TARIFF, policy=policy([], stale_telemetry={"after_minutes": 60, "action": "manual_review"})
    )
    assert review.trace.manual_review and review.status == "fallback"
    assert review.plan.vehicles[0].soc[0] == pytest.approx(0.8)


def test_the_trace_says_which_rule_bound_and_why() -> None:
    d = decide(short_van(), tariff=TARIFF, policy=policy(["manual_review"]))
    assert d.trace.constraint_status == {"v1": {"min_soc:v1/t1:ready": "violated"}}
    # the hard rule's shortfall costs 100x the priority-3 penalty of 1 $/kWh: 20 kWh x 100 $/kWh
    assert d.trace.constraint_cost_usd["v1"]["min_soc:v1/t1:ready"] == pytest.approx(2000.0, abs=1e-3)
    text = d.trace.explanations["v1"]
    assert "Charger ac0" in text and "Rule ready applies (MinSoc)" in text and "20.0 kWh short" in text
    easy = decide(problem([vehicle(1)], [trip(1, 6.0, 10.0)], [0.1]), tariff=TARIFF, policy=policy([]))
    # 45 kWh needed by 06:00; the cheap window 00:00-04:00 delivers up to 40 kWh, so the target is exactly met
    assert easy.trace.constraint_status["v1"]["min_soc:v1/t1:ready"] == "binding"


def test_a_solver_failure_gives_a_flagged_edf_plan(monkeypatch) -> None:
    import sys

    decide_module = sys.modules["engine.decision.decide"]

    def broken(*_args, **_kwargs):
        raise SolverFailed("solver returned error")

    monkeypatch.setattr(decide_module, "plan_optimal", broken)
    d = decide(problem([vehicle(1)], [trip(1, 6.0, 10.0)], [0.1]), tariff=TARIFF)
    assert d.status == "fallback" and d.solver.status == "error"
    assert d.trace.repair_steps == [
        {"step": "solver_failed", "error": "solver returned error", "fallback_strategy": "edf"}
    ]
    # EDF charges at full power from the start: 10 kW in the first slots until the 13 kWh target (10 kWh + reserve)
    assert d.plan.vehicles[0].power_kw[0] == pytest.approx(10.0) and d.violations == []


@pytest.mark.parametrize("preferred", ["ac0", "slow"])
def test_prefer_steers_between_equal_chargers(preferred) -> None:
    from engine.domain import Charger

    p = problem([vehicle(1, ac=7.2)], [trip(1, 6.0, 10.0)], [0.1])
    slow = Charger(id="slow", depot_id="d", kind="AC", max_kw=7.2, connectors=["J1772"])
    p = p.model_copy(update={"chargers": [*p.chargers, slow]})  # both deliver the van's 7.2 kW: a tie
    rule = [{"id": "pref", "prefer": {"charger": preferred}}]
    d = decide(p, tariff=TARIFF, policy=policy([], rule))
    assert {s.charger_id for s in d.plan.vehicles[0].sessions} == {preferred}
    assert d.trace.constraint_status["v1"]["prefer:v1:pref"] == "followed"
    assert d.trace.objective_terms["prefer"] == pytest.approx(0.0, abs=1e-9)


def test_a_bug_in_model_building_is_raised_not_turned_into_an_edf_plan(monkeypatch) -> None:
    """Only a solver outcome (SolverFailed) falls back; an exception while building the model propagates."""
    import sys

    optimal_module = sys.modules["engine.schedule.optimal"]

    def buggy_model(_x):
        raise KeyError("energy_balance: slot 96 of a 96-slot horizon")

    monkeypatch.setattr(optimal_module, "create_model", buggy_model)
    with pytest.raises(KeyError, match="slot 96"):
        decide(problem([vehicle(1)], [trip(1, 6.0, 10.0)], [0.1]), tariff=TARIFF)


def faulted(p, charger_id: str):
    return p.model_copy(
        update={
            "chargers": [
                c.model_copy(update={"status": ChargerStatus.FAULTED}) if c.id == charger_id else c for c in p.chargers
            ]
        }
    )


def test_a_charger_out_of_service_walks_the_charger_unavailable_chain_first() -> None:
    """The van needs 40 kWh in 5 h: its 10 kW AC charger would do (50 kWh). With the AC charger faulted only the
    DC charger is left, which a rule forbids: the charger_unavailable chain lifts the forbid."""
    p = problem([vehicle(1, dc=50.0)], [trip(1, 5.0, 40.0)], [0.1], n_dc=1)
    forbid = [{"id": "no-dc", "forbid": {"kind": "DC"}}]
    chains = {"infeasible": ["manual_review"], "charger_unavailable": ["allow_dc_fast", "manual_review"]}
    pol = policy([], forbid).model_copy(update={"fallbacks": chains})
    assert decide(p, tariff=TARIFF, policy=pol).trace.fallbacks == []  # AC in service: nothing to walk
    d = decide(faulted(p, "ac0"), tariff=TARIFF, policy=pol)
    (step,) = d.trace.fallbacks
    assert (step["event"], step["action"], step["result"]) == ("charger_unavailable", "allow_dc_fast", "resolved")
    assert d.violations == [] and not d.trace.manual_review
    assert [s.charger_id for s in d.plan.vehicles[0].sessions] == ["dc0"]


def test_the_infeasible_chain_follows_when_the_charger_chain_does_not_resolve() -> None:
    p = faulted(problem([vehicle(1, dc=50.0)], [trip(1, 5.0, 40.0)], [0.1], n_dc=1), "ac0")
    forbid = [{"id": "no-dc", "forbid": {"kind": "DC"}}]
    chains = {"charger_unavailable": ["swap_vehicle"], "infeasible": ["allow_dc_fast", "manual_review"]}
    d = decide(p, tariff=TARIFF, policy=policy([], forbid).model_copy(update={"fallbacks": chains}))
    assert [(s["event"], s["action"], s["result"]) for s in d.trace.fallbacks] == [
        ("charger_unavailable", "swap_vehicle", "skipped: nothing to change"),  # no other vehicle
        ("infeasible", "allow_dc_fast", "resolved"),
    ]
    assert d.violations == []


def spiky_tariff(price: float, hours: float):
    """TARIFF with ``price`` [$/kWh] on top for the first ``hours`` of the day."""
    series = {"name": "spike", "starts": [NOW, NOW + timedelta(hours=hours), NOW + timedelta(hours=48)]}
    return TARIFF.model_copy(update={"price_series": PriceSeries(**series, prices=[price, 0.0, 0.0])})


def test_a_price_spike_walks_its_chain_and_keeps_what_lowers_the_spike_cost() -> None:
    """A hard 0.9 target leaves 20 kWh to buy, all inside a 5 $/kWh spike: 100 $. Relaxed to the policy's
    1 $/kWh shortfall penalty, buying nothing is cheaper: the spike cost goes to 0 and the step is kept."""
    p = problem([vehicle(1)], [trip(1, 6.0, 10.0)], [0.5])
    pol = policy([], fallbacks={"price_spike": ["relax_to_penalty"]})
    d = decide(p, tariff=spiky_tariff(5.0, 6.0), policy=pol)
    (step,) = d.trace.fallbacks
    assert (step["event"], step["action"], step["result"]) == ("price_spike", "relax_to_penalty", "resolved")
    assert step["spike_cost_usd_before"] == pytest.approx(100.0, abs=1e-4)
    assert step["spike_cost_usd_after"] == pytest.approx(0.0, abs=1e-6)
    assert d.status == "fallback" and d.violations
    calm = decide(p, tariff=spiky_tariff(0.2, 6.0), policy=pol)  # below the spike threshold: no chain
    assert calm.trace.fallbacks == [] and calm.violations == []


def test_a_price_spike_that_readiness_outweighs_is_undone() -> None:
    p = problem([vehicle(1)], [trip(1, 6.0, 10.0)], [0.5])
    pol = policy([], fallbacks={"price_spike": ["relax_to_penalty"]})
    pol = pol.model_copy(update={"objective": pol.objective.model_copy(update={"shortfall_usd_per_kwh": {3: 50.0}})})
    d = decide(p, tariff=spiky_tariff(5.0, 6.0), policy=pol)
    (step,) = d.trace.fallbacks
    assert step["result"] == "no improvement: undone" and d.violations == []


def test_stale_telemetry_walks_its_chain_before_the_infeasible_one() -> None:
    """The P10 assumption (0.1 of 50 kWh) leaves the hard target short in 2 h; the stale_telemetry chain relaxes
    it to a penalty and the infeasible chain is not needed."""
    p = problem([vehicle(1)], [trip(1, 2.0, 10.0)], [0.8])
    old = p.states[0].model_copy(update={"last_seen": NOW - timedelta(hours=3), "soc_p10": 0.1})
    p = p.model_copy(update={"states": [old]})
    pol = policy(
        ["manual_review"],
        stale_telemetry={"after_minutes": 60, "action": "assume_p10"},
        fallbacks={"stale_telemetry": ["relax_to_penalty"], "infeasible": ["manual_review"]},
    )
    d = decide(p, tariff=TARIFF, policy=pol)
    events = [(s["event"], s.get("action"), s.get("result")) for s in d.trace.fallbacks]
    assert events == [("stale_telemetry", "assume_p10", None), ("stale_telemetry", "relax_to_penalty", "resolved")]
    assert not d.trace.manual_review
