"""One cost model: the objective's terms, read from HiGHS's own solution, equal the reported cost term by term;
bill money is kept apart from the non-cash terms (issue 16.3)."""

from __future__ import annotations

import pytest

from engine.decision import decide, plan_cost
from engine.optim.handover import HighsLP
from engine.schedule import ObjectiveWeights, build_inputs
from engine.schedule.extract import read_solution
from engine.schedule.model import create_model
from engine.schedule.stability import previous_power
from tests.engine.schedule.factory import problem, trip, two_level_tariff, vehicle

TARIFF = two_level_tariff(demand_rate=4.0)
# every term weighted: wear, DC wear, shortfall, plan changes, preference, early and urgent steering, end value
WEIGHTS = ObjectiveWeights(
    target_reserve=0.0,
    end_value_usd_per_kwh=0.35,  # above the cheap price: energy left at the end has value
    prefer_early_usd_per_kwh=0.002,
    prefer_urgent_usd_per_kwh=0.004,
    plan_change_usd_per_kwh=0.05,
    shortfall_usd_per_kwh={1: 2.0, 2: 10.0, 3: 8.0, 4: 15.0, 5: 40.0},
)


def depot(socs: list[float]):
    vans = [vehicle(1, battery=60, ac=10.0), vehicle(2, battery=60, ac=10.0, dc=50.0), vehicle(3, battery=40)]
    # v3 needs 45 kWh in 2 h at 10 kW: 25 kWh short (priority 2: $10/kWh)
    trips = [trip(1, 6.0, 30.0), trip(2, 5.0, 40.0, priority=4), trip(3, 2.0, 45.0, priority=2)]
    return problem(vans, trips, socs, n_ac=2, n_dc=1, limit=60.0, building=[8.0] * 32)


def test_objective_terms_from_highs_equal_the_reported_cost_term_by_term() -> None:
    before = decide(depot([0.2, 0.1, 0.0]), weights=WEIGHTS, tariff=TARIFF)
    x = build_inputs(depot([0.35, 0.1, 0.0]), WEIGHTS, TARIFF)  # v1 reported fuller: the plan changes
    x.previous = previous_power(before.plan, x.slot_starts)
    x.vehicles[1].off_preference = {p.id for p in x.pools if p.kind == "AC"}  # as a Prefer DC rule would
    m = create_model(x)
    lp = HighsLP(m)
    assert lp.solve().status == "optimal"
    from_highs = {
        n: lp.evaluate(getattr(m, f"cost_{n}"))
        for n in ("energy", "demand", "wear", "penalty", "change", "prefer", "timing", "end")
    }
    assert sum(from_highs.values()) == pytest.approx(lp.objective_value(), abs=1e-6)
    cost, _bills = plan_cost(x, read_solution(m, x))
    reported = {n: getattr(cost, f"{n}_usd") for n in from_highs}
    assert reported == pytest.approx(from_highs, abs=1e-6)
    assert cost.objective_usd == pytest.approx(lp.objective_value(), abs=1e-6)
    # every term took part (a zero on both sides would prove nothing)
    assert all(abs(v) > 1e-4 for v in from_highs.values()), from_highs
    assert cost.penalty_usd == pytest.approx(10.0 * 25.0, abs=1e-4)  # v3 25 kWh short at $10/kWh, by hand


def test_bill_money_excludes_penalties() -> None:
    """The ACN complaint in miniature: a departure far short must not inflate the bill."""
    d = decide(depot([0.2, 0.1, 0.0]), weights=WEIGHTS, tariff=TARIFF)
    c = d.cost
    assert c.penalty_usd > 50.0
    assert c.bill_usd == pytest.approx(c.energy_usd + c.demand_usd + c.fees_usd, abs=1e-9)
    assert c.bill_usd < c.penalty_usd
    # energy: 8 kW building plus the plan's charging at the two-level prices, by the plan's own load
    dt = d.plan.slot_minutes / 60
    price = [0.10 if t.hour < 4 else 0.30 for t in d.plan.slot_starts]
    assert c.energy_usd == pytest.approx(sum(p * kw * dt for p, kw in zip(price, d.plan.site_load_kw, strict=True)))
