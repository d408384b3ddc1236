"""The session MIP as improvement step (engine.schedule.repair, engine.schedule.sessions with kept windows):
windows outside the choice hold their chargers, the kept window is an option, one session per dwell."""

from __future__ import annotations

import numpy as np
import pytest

from engine.optim.solve import solve
from engine.schedule import ObjectiveWeights
from engine.schedule.extract import read_solution
from engine.schedule.inputs import build_inputs
from engine.schedule.model import create_model
from engine.schedule.session_start import session_start, start_arrays
from engine.schedule.sessions import Need, add_session_choice, needs_from, occupied, options_of
from tests.engine.schedule.factory import problem, trip, two_level_tariff, vehicle

W = ObjectiveWeights(target_reserve=0.0, wear_usd_per_kwh=0.0, dc_wear_extra_usd_per_kwh=0.0)


def _two_vans():
    """Two vans (50 kWh at 20 %, 10 kW) each needing 10 kWh more by 06:00 for a 20 kWh trip, one 10 kW charger,
    cheap 00-04 (slots 0-15) at 0.10 $/kWh."""
    p = problem([vehicle(0), vehicle(1)], [trip(0, 6.0, 20.0), trip(1, 6.0, 20.0)], [0.2, 0.2], n_ac=1)
    x = build_inputs(p, W, two_level_tariff())
    m = create_model(x)
    solve(m)
    return m, x, read_solution(m, x)


def test_a_kept_window_holds_its_charger_and_the_free_van_charges_around_it():
    # van 0 keeps slots 0-7 on the only charger; van 1 must charge its hour in slots 8-15 (still cheap):
    # 2 x 10 kWh x 0.10 $/kWh = $2.00
    m, x, sol = _two_vans()
    need = next(n for n in needs_from(x, sol) if n.vehicle.vehicle.id == "v1")
    pool = need.pool
    fixed = {("v0", 0): (pool, 0, 8)}
    add_session_choice(m, x, [need], fixed)
    assert occupied(fixed) == {(pool, t): 1 for t in range(8)}
    start = session_start(m, x, [need], sol, held=occupied(fixed))
    mip = solve(m, mip_gap=0.0, start=None if start is None else start_arrays(m, start))
    assert mip.status == "optimal"
    after = read_solution(m, x)
    v0, v1 = after.power["v0"][pool], after.power["v1"][pool]
    assert np.all(v0[8:] <= 1e-9) and v0[:8].sum() * x.dt_h == pytest.approx(10.0, abs=1e-6)
    assert np.all(v1[:8] <= 1e-9) and v1[8:16].sum() * x.dt_h == pytest.approx(10.0, abs=1e-6)
    assert m.cost_energy.expr() == pytest.approx(2.00, abs=1e-6)


def test_the_kept_window_is_an_option_and_the_only_start():
    m, x, sol = _two_vans()
    base = next(n for n in needs_from(x, sol) if n.vehicle.vehicle.id == "v1")
    odd = (17, 3)  # not among the generated options: a window the rounding chose
    assert odd not in options_of(base)
    need = Need(base.vehicle, base.pool, base.dwell, base.slots, base.lp_session, odd)
    assert odd in options_of(need)
    add_session_choice(m, x, [need], {("v0", 0): (base.pool, 0, 16)})
    start = session_start(m, x, [need], sol, held=occupied({("v0", 0): (base.pool, 0, 16)}))
    assert start is not None and start.source == "kept_windows"
    chosen = [options_of(need)[o] for (_k, o), v in start.values.items() if v == 1.0]
    assert chosen == [odd]


def test_needs_of_one_dwell_on_two_pools_share_one_session():
    # a van that takes AC and DC gets a need on each pool; at most one of its options may be chosen
    p = problem([vehicle(0, dc=50.0)], [trip(0, 6.0, 40.0)], [0.2], n_ac=1, n_dc=1)
    x = build_inputs(p, W, two_level_tariff())
    m = create_model(x)
    solve(m)
    sol = read_solution(m, x)
    base = needs_from(x, sol)[0]
    pools = sorted(x.vehicles[0].pool_kw)
    assert len(pools) == 2
    needs = [Need(base.vehicle, g, base.dwell, base.slots, None) for g in pools]
    add_session_choice(m, x, needs)
    assert len(m.session_choice) == 1
    mip = solve(m, mip_gap=0.0)
    assert mip.status == "optimal"
    assert sum(v for v in (m.x[k].value for k in m.N)) == pytest.approx(1.0)
    after = read_solution(m, x)
    drawn = [g for g in pools if after.power["v0"][g].sum() > 1e-6]
    assert len(drawn) == 1
