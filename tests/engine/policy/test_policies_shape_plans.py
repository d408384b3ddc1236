"""The same problem under the three shipped policies gives visibly different plans, and says why."""

from pathlib import Path

import numpy as np
import pytest

from engine.decision import decide
from engine.io.problem_files import load_problem
from engine.policy import load_policy

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def small_depot():
    """The demo depot cut to 12 vans, 2 trucks, 6 AC and 1 DC charger, 300 kW."""
    p = load_problem(ROOT / "examples/demo_depot")
    keep = {f"V-{i:02d}" for i in range(1, 13)} | {"T-01", "T-02"}
    chargers = {f"AC-{i:02d}" for i in range(1, 7)} | {"DC-01"}
    depot = p.depots[0].model_copy(update={"grid_limit_kw": 300.0})
    return p.model_copy(
        update={
            "depots": [depot],
            "vehicles": [v for v in p.vehicles if v.id in keep],
            "chargers": [c for c in p.chargers if c.id in chargers],
            "trips": [t for t in p.trips if t.vehicle_id in keep],
            "states": [s for s in p.states if s.vehicle_id in keep],
        }
    )


@pytest.fixture(scope="module")
def decisions(small_depot):
    return {
        n: decide(small_depot, policy=load_policy(ROOT / f"policies/{n}.yaml"))
        for n in ("courier", "utility_service", "municipal_saver")
    }


def test_three_policies_give_different_plans(decisions) -> None:
    plans = {n: np.array([v.power_kw for v in d.plan.vehicles]) for n, d in decisions.items()}
    names = list(plans)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert not np.allclose(plans[a], plans[b]), (a, b)
    assert len({round(d.cost.objective_usd, 2) for d in decisions.values()}) == 3


def test_municipal_never_uses_dc_on_peak_and_says_so(decisions, small_depot) -> None:
    d = decisions["municipal_saver"]
    on_peak = [16 <= t.hour < 21 for t in d.plan.slot_starts]

    def dc_kwh(decision, peak: bool) -> float:
        """Energy drawn through the DC charger on peak (or off peak) [kWh]."""
        dt = decision.plan.slot_minutes / 60
        total = 0.0
        for vp in decision.plan.vehicles:
            for s in vp.sessions:
                if s.charger_id == "DC-01":
                    k0 = decision.plan.slot_starts.index(s.plug_in)
                    k1 = (
                        decision.plan.slot_starts.index(s.plug_out)
                        if s.plug_out in decision.plan.slot_starts
                        else len(on_peak)
                    )
                    total += sum(vp.power_kw[k] * dt for k in range(k0, k1) if on_peak[k] == peak)
        return total

    assert dc_kwh(d, peak=True) == pytest.approx(0.0, abs=1e-6)
    # a truck back at 16:00 nearly empty and out again at 20:00: only DC can fill it, and the rule keeps it off DC
    rushed = small_depot.model_copy(
        update={
            "trips": [
                t.model_copy(update={"departure": t.departure.replace(day=14, hour=20), "return_time": t.return_time})
                if t.vehicle_id == "T-01"
                else t
                for t in small_depot.trips
            ],
            "states": [s.model_copy(update={"soc": 0.05}) if s.vehicle_id == "T-01" else s for s in small_depot.states],
        }
    )
    free = decide(rushed)
    assert dc_kwh(free, peak=True) > 50.0  # without a policy the DC charger serves the truck on peak
    ruled = decide(rushed, policy=load_policy(ROOT / "policies/municipal_saver.yaml"))
    assert dc_kwh(ruled, peak=True) == pytest.approx(0.0, abs=1e-6)
    rules = {f.rule for f in d.trace.rules_fired}
    assert {"no-dc-on-peak", "health-cap", "defer-when-dear"} <= rules
    assert any(c.endswith(":no-dc-on-peak") for cs in d.trace.constraints.values() for c in cs)
    assert d.trace.policy.name == "municipal_saver"


def test_courier_early_wave_is_ready_or_listed(decisions, small_depot) -> None:
    d = decisions["courier"]
    early = {f.entity for f in d.trace.rules_fired if f.rule == "early-wave-ready"}
    assert early
    short = {v.target: v.shortfall_kwh for v in d.violations}
    battery = {v.id: v.battery_kwh for v in small_depot.vehicles}
    for entity in early:
        vid, trip = entity.split("/")
        vp = next(v for v in d.plan.vehicles if v.vehicle_id == vid)
        lack = (0.8 - vp.soc_at_departure[trip]) * battery[vid]  # [kWh] below the rule's 80 %
        # ready, or this very departure is listed short by at least what it lacks (not just any violation)
        assert lack <= 1e-6 or short.get(f"departure_target:{vid}:{trip}", 0.0) >= lack - 1e-3, (entity, lack)
