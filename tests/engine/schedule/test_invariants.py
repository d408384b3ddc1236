"""Invariants over random small depots (hypothesis): limit never exceeded, energy balance closes, replay."""

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.decision import decide
from engine.schedule import ObjectiveWeights
from tests.engine.schedule.factory import problem, random_depots, trip, two_level_tariff, vehicle

W = ObjectiveWeights(target_reserve=0.05)


def check_energy_balance(d, p) -> None:
    """Physics from the problem alone, not from the plan's own arithmetic: each vehicle starts at its state's SOC
    and gains ``charge_efficiency * kW * dt`` per slot; its reported SOC follows that until it leaves, and at each
    departure it holds the target the trace names unless a violation reports the shortfall."""
    caps = {v.id: v for v in p.vehicles}
    soc0 = {s.vehicle_id: s.soc for s in p.states}
    dt = d.plan.slot_minutes / 60
    targets = d.trace.departure_targets
    short = {
        x.target.rsplit(":", 1)[1]: x.shortfall_kwh for x in d.violations if x.target.startswith("departure_target:")
    }
    for vp in d.plan.vehicles:
        v = caps[vp.vehicle_id]
        gained = np.concatenate([[0.0], np.cumsum(v.charge_efficiency * np.array(vp.power_kw) * dt)])
        energy = soc0[v.id] * v.battery_kwh + gained  # [kWh] at each slot boundary, before any trip
        trips = sorted((t for t in p.trips if t.vehicle_id == v.id), key=lambda t: t.departure)
        first = min((int((t.departure - p.now).total_seconds() // (dt * 3600)) for t in trips), default=len(vp.soc))
        reported = np.array(vp.soc[: first + 1]) * v.battery_kwh
        assert reported == pytest.approx(energy[: len(reported)], abs=1e-4), vp.vehicle_id
        if trips:
            t = trips[0]
            reached = energy[first]
            assert vp.soc_at_departure[t.id] * v.battery_kwh == pytest.approx(reached, abs=1e-4), t.id
            target = targets[v.id][t.id] * v.battery_kwh
            assert reached >= target - short.get(t.id, 0.0) - 1e-3, (t.id, reached, target, short.get(t.id))


def check_physical(d, p) -> None:
    """A charger serves one vehicle at a time; a vehicle is plugged into one charger at a time, draws power only
    while plugged and never more than its fastest inlet."""
    by_charger = {}
    for vp in d.plan.vehicles:
        for s in vp.sessions:
            by_charger.setdefault(s.charger_id, []).append((s.plug_in, s.plug_out))
    for spans in by_charger.values():
        spans.sort()
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))
    caps = {v.id: v for v in p.vehicles}
    t0, dt = d.plan.slot_starts[0], d.plan.slot_minutes * 60
    for vp in d.plan.vehicles:
        spans = sorted((s.plug_in, s.plug_out) for s in vp.sessions)
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans)), vp.vehicle_id
        slots = [(int((a - t0).total_seconds() // dt), int((b - t0).total_seconds() // dt)) for a, b in spans]
        for t, kw in enumerate(vp.power_kw):
            assert kw <= 1e-6 or any(a <= t < b for a, b in slots), (vp.vehicle_id, t, kw)
        v = caps[vp.vehicle_id]
        assert max(vp.power_kw) <= max(v.max_ac_kw, v.max_dc_kw) + 1e-6, vp.vehicle_id


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(p=random_depots(), strategy=st.sampled_from(["optimal", "edf", "llf"]))
def test_site_limit_never_exceeded_and_energy_balance_closes(p, strategy) -> None:
    d = decide(p, strategy=strategy, weights=W, tariff=two_level_tariff(demand_rate=5.0))
    limit = p.depots[0].grid_limit_kw
    assert max(d.plan.site_load_kw) <= limit + 1e-6
    check_energy_balance(d, p)
    check_physical(d, p)


@settings(max_examples=8, deadline=None)
@given(p=random_depots())
def test_replay_is_identical(p) -> None:
    tariff = two_level_tariff(demand_rate=5.0)
    a = decide(p, weights=W, tariff=tariff)
    b = decide(p, weights=W, tariff=tariff)
    assert a.model_dump(exclude={"created", "solver", "trace"}) == b.model_dump(exclude={"created", "solver", "trace"})
    assert a.decision_id == b.decision_id


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(
    p=random_depots(),
    low=st.sampled_from([4.0, 6.0, 9.0]),
    strategy=st.sampled_from(["optimal", "greedy", "balanced", "edf"]),
)
def test_a_charger_minimum_always_holds_and_so_does_the_site_limit(p, low, strategy) -> None:
    """AC chargers with a minimum power: every slot 0 or at least the minimum (capped by what the vehicle can draw),
    the site limit and the energy balance as for any plan."""
    p = p.model_copy(
        update={"chargers": [c.model_copy(update={"min_kw": low}) if c.kind == "AC" else c for c in p.chargers]}
    )
    d = decide(p, strategy=strategy, weights=W, tariff=two_level_tariff(demand_rate=5.0))
    assert max(d.plan.site_load_kw) <= p.depots[0].grid_limit_kw + 1e-6
    check_energy_balance(d, p)
    check_physical(d, p)
    kind = {c.id: c.kind for c in p.chargers}
    caps = {v.id: v for v in p.vehicles}
    for vp in d.plan.vehicles:
        floor = min(low, caps[vp.vehicle_id].max_ac_kw)
        t0, dt = d.plan.slot_starts[0], d.plan.slot_minutes
        for s in vp.sessions:
            if kind[s.charger_id] != "AC":
                continue
            a = int((s.plug_in - t0).total_seconds() // (dt * 60))
            b = int((s.plug_out - t0).total_seconds() // (dt * 60))
            for kw in vp.power_kw[a:b]:
                assert kw <= 1e-5 or kw >= floor - 1e-5, (vp.vehicle_id, s.charger_id, kw, floor)


@pytest.mark.parametrize("strategy", ["uncontrolled", "greedy", "balanced", "edf", "llf", "optimal"])
def test_all_strategies_share_the_plan_type(strategy) -> None:
    p = problem([vehicle(1), vehicle(2)], [trip(1, 6.0, 20.0), trip(2, 5.0, 10.0)], [0.2, 0.5], n_ac=1)
    d = decide(p, strategy=strategy, weights=W, tariff=two_level_tariff())
    assert d.plan.strategy == strategy and len(d.plan.vehicles) == 2
