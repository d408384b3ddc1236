"""Scale benchmark: synthetic depots of N vehicles x 96 quarter-hour slots.

For N in 50, 200, 500, 1000: time to derive inputs, build the Pyomo model, hand it over to HiGHS
(:class:`engine.optim.handover.HighsLP`), solve, end to end (``decide``), a re-plan after one vehicle's SOC
changes (cold and warm), and peak memory; beside it the same LP built directly with highspy arrays (the floor of
this stack, timed with the garbage collector paused as ``decide`` runs), and that same floor LP built as a Pyomo
model and handed over like ours (what Pyomo alone adds, with none of our rows, names or cost terms). Ratios are
medians over interleaved rounds. Every vehicle has its own charger here, so the model stays an LP (charger
contention, which adds the session MIP, is measured by ``session_mip.py`` on the demo depot instead).
Run: ``python bench/scale.py [--sizes 50,200]``; each size runs in a fresh process for honest peak memory.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stages import optimisation_stages  # noqa: E402

from engine.decision import decide  # noqa: E402
from engine.domain import Charger, Depot, PlanningProblem, TimeSeries, Trip, Vehicle, VehicleState  # noqa: E402
from engine.optim.handover import HighsLP  # noqa: E402
from engine.optim.warm import WarmStart  # noqa: E402
from engine.schedule.inputs import build_inputs  # noqa: E402
from engine.tariffs import load_tariff  # noqa: E402

TZ = ZoneInfo("America/Los_Angeles")
NOW = datetime(2025, 7, 14, 15, 0, tzinfo=TZ)


def synthetic(n: int, seed: int = 1) -> PlanningProblem:
    """N vans returning 15:00-19:00 at 20-55 % SOC, leaving 05:00-09:00; grid limit scaled to the fleet."""
    rng = np.random.default_rng(seed)
    vehicles, chargers, trips, states = [], [], [], []
    for i in range(n):
        vid = f"v{i:04d}"
        battery = float(rng.uniform(70, 110))
        vehicles.append(
            Vehicle(
                id=vid, vehicle_class="van", depot_id="d", battery_kwh=battery, max_ac_kw=11.0, connectors=["J1772"]
            )
        )
        chargers.append(Charger(id=f"c{i:04d}", depot_id="d", kind="AC", max_kw=11.0, connectors=["J1772"]))
        dep = NOW + timedelta(hours=14, minutes=15 * int(rng.integers(0, 17)))
        need = float(rng.uniform(20, 50))
        trips.append(
            Trip(
                id=f"t{i:04d}",
                depot_id="d",
                vehicle_id=vid,
                departure=dep,
                return_time=dep + timedelta(hours=9),
                distance_km=need * 3,
                energy_kwh_p50=need,
                energy_kwh_p90=need * 1.15,
            )
        )
        states.append(
            VehicleState(
                vehicle_id=vid,
                soc=float(rng.uniform(0.2, 0.55)),
                last_seen=NOW,
                at_depot=False,
                depot_id="d",
                available_from=NOW + timedelta(minutes=15 * int(rng.integers(0, 17))),
            )
        )
    building = TimeSeries(start=NOW, step_minutes=15, values_kw=[60.0] * 96)
    depot = Depot(id="d", timezone="America/Los_Angeles", grid_limit_kw=60 + 5.0 * n, building_load_kw=building)
    return PlanningProblem(
        id=f"scale-{n}",
        now=NOW,
        horizon_hours=24,
        slot_minutes=15,
        tariff="sce_tou_8_d",
        depots=[depot],
        vehicles=vehicles,
        chargers=chargers,
        trips=trips,
        states=states,
    )


def highspy_floor(x) -> tuple[float, float, highspy.HighsLp]:
    """The same LP (energy balance folded into one row per departure) built with highspy arrays and solved:
    build and solve seconds [s] and the arrays."""
    with PauseGC():
        return _highspy_floor(x)


def _highspy_floor(x) -> tuple[float, float, highspy.HighsLp]:
    t0 = time.perf_counter()
    T, dt = x.n_slots, x.dt_h
    depot = next(iter(x.depots.values()))
    cols_cost, lower, upper, rows_lo, rows_hi = [], [], [], [], []
    a_index, a_value, a_start = [], [], []
    # columns: p[v,t] ..., short[v,k] ..., peak[c]
    slot_cols: dict[int, list[int]] = {}
    vehicle_rows = []
    col = 0
    for vi in x.vehicles:
        for kw in vi.pool_kw.values():
            for t in vi.charge_slots:
                cols_cost.append(float(depot.price[t]) * dt + 1e-6 * dt * t / T)
                lower.append(0.0)
                upper.append(kw)
                slot_cols.setdefault(t, []).append(col)
                vehicle_rows.append((vi, t, col))
                col += 1
    n_p = col
    short_cols = []
    for vi in x.vehicles:
        for dep in vi.departures:
            cols_cost.append(dep.penalty_usd_per_kwh)
            lower.append(0.0)
            upper.append(highspy.kHighsInf)
            short_cols.append((vi, dep, col))
            col += 1
    peaks = []
    for _name, rate, mask, _month, base in depot.demand:
        cols_cost.append(rate)
        lower.append(base)
        upper.append(highspy.kHighsInf)
        peaks.append((mask, col))
        col += 1
    rows: list[list[tuple[int, float]]] = []
    by_vehicle: dict[str, list[tuple[int, int]]] = {}
    for vi, t, c in vehicle_rows:
        by_vehicle.setdefault(vi.vehicle.id, []).append((t, c))
    for vi, dep, scol in short_cols:  # e0 + eta*dt*sum p + short >= target
        eta = vi.vehicle.charge_efficiency
        entries = [(c, eta * dt) for t, c in by_vehicle[vi.vehicle.id] if t < dep.slot]
        rows.append([*entries, (scol, 1.0)])
        rows_lo.append(dep.target_kwh - vi.e0_kwh)
        rows_hi.append(highspy.kHighsInf)
    for t in range(T):  # site limit and peaks
        cs = slot_cols.get(t, [])
        rows.append([(c, 1.0) for c in cs])
        rows_lo.append(-highspy.kHighsInf)
        rows_hi.append(depot.grid_limit_kw - float(depot.building_kw[t]))
        for mask, pcol in peaks:
            if mask[t]:
                rows.append([*((c, -1.0) for c in cs), (pcol, 1.0)])
                rows_lo.append(float(depot.building_kw[t]))
                rows_hi.append(highspy.kHighsInf)
    for r in rows:
        a_start.append(len(a_index))
        for c, v in r:
            a_index.append(c)
            a_value.append(v)
    h = highspy.Highs()
    h.silent()
    h.setOptionValue("threads", 1)
    h.setOptionValue("random_seed", 0)
    lp = highspy.HighsLp()
    lp.num_col_ = col
    lp.num_row_ = len(rows)
    lp.col_cost_ = np.array(cols_cost)
    lp.col_lower_ = np.array(lower)
    lp.col_upper_ = np.array(upper)
    lp.row_lower_ = np.array(rows_lo)
    lp.row_upper_ = np.array(rows_hi)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.array([*a_start, len(a_index)], dtype=np.int32)
    lp.a_matrix_.index_ = np.array(a_index, dtype=np.int32)
    lp.a_matrix_.value_ = np.array(a_value)
    h.passModel(lp)
    t1 = time.perf_counter()
    h.run()
    t2 = time.perf_counter()
    del n_p
    return t1 - t0, t2 - t1, lp


def floor_through_pyomo(lp: highspy.HighsLp) -> tuple[float, float, float, float]:
    """The floor's own LP (the same arrays) built as a Pyomo model in the fastest way measured (one indexed Var,
    bounds set on each, rows as flat ``LinearExpression``s, a bare variable where the coefficient is 1), handed to
    HiGHS by :class:`HighsLP` and solved with the values loaded: build, hand-over, solve + load seconds [s] and
    the objective. What Pyomo adds to this stack on an LP with no extra rows, names or cost terms at all."""
    with PauseGC():
        t0 = time.perf_counter()
        m = pyo.ConcreteModel()
        m.x = pyo.Var(range(lp.num_col_))
        xs = list(m.x.values())
        for v, lo, hi in zip(xs, list(lp.col_lower_), list(lp.col_upper_), strict=True):
            v.lb = None if lo <= -highspy.kHighsInf else lo
            v.ub = None if hi >= highspy.kHighsInf else hi
        start, index, value = list(lp.a_matrix_.start_), list(lp.a_matrix_.index_), list(lp.a_matrix_.value_)
        lower = [None if b <= -highspy.kHighsInf else b for b in lp.row_lower_]
        upper = [None if b >= highspy.kHighsInf else b for b in lp.row_upper_]

        def term(k: int):
            return xs[index[k]] if value[k] == 1.0 else MonomialTermExpression((value[k], xs[index[k]]))

        m.row = pyo.Constraint(
            range(lp.num_row_),
            rule=lambda _m, i: (lower[i], LinearExpression([term(k) for k in range(start[i], start[i + 1])]), upper[i]),
        )
        m.obj = pyo.Objective(
            expr=LinearExpression(
                [MonomialTermExpression((c, v)) for c, v in zip(list(lp.col_cost_), xs, strict=True) if c]
            )
        )
        t1 = time.perf_counter()
        h = HighsLP(m)
        t2 = time.perf_counter()
        info = h.solve(seed=0, threads=1)
        t3 = time.perf_counter()
    return t1 - t0, t2 - t1, t3 - t2, info.objective


def measure(n: int, rounds: int = 5) -> dict:
    """All figures for one size (run in its own process). The optimisation's stages, ``decide``, the floor and the
    floor's LP through Pyomo run interleaved, ``rounds`` times, so each ratio is taken within one round (the
    machine's speed drifts between rounds) and the median of the rounds is reported."""
    p = synthetic(n)
    tariff = load_tariff(ROOT / "tariffs/sce_tou_8_d.yaml")
    d = decide(p, tariff=tariff)
    states = list(p.states)
    states[0] = states[0].model_copy(update={"soc": min(1.0, states[0].soc + 0.1)})
    changed = p.model_copy(update={"states": states})
    s = time.perf_counter()
    decide(changed, tariff=tariff)
    replan = time.perf_counter() - s
    # warm re-plans (engine.optim.warm): the model and HiGHS kept, one vehicle's SOC changed each time
    warm = WarmStart()
    decide(p, tariff=tariff, warm=warm)
    warm_times, same_cost = [], True
    for k in range(1, 6):
        states = list(p.states)
        states[k] = states[k].model_copy(update={"soc": min(1.0, states[k].soc + 0.1)})
        q = p.model_copy(update={"states": states})
        s = time.perf_counter()
        dw = decide(q, tariff=tariff, warm=warm)
        warm_times.append(time.perf_counter() - s)
        same_cost &= abs(dw.cost.bill_usd - decide(q, tariff=tariff).cost.bill_usd) < 1e-6 * max(1.0, dw.cost.bill_usd)
    assert warm.history == ["cold"] + ["warm"] * 5, warm.history
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before the floors' models
    x = build_inputs(p, tariff=tariff)  # for the floor, which builds the same depot as arrays
    rows = []
    for _ in range(rounds):
        stage, info = optimisation_stages(p, None, tariff)
        s = time.perf_counter()
        decide(p, tariff=tariff)
        end = time.perf_counter() - s
        f_build, f_solve, lp = highspy_floor(x)
        via = floor_through_pyomo(lp)
        floor = f_build + f_solve
        rows.append(
            {
                **{f"{k}_s": v for k, v in stage.items()},
                "end_s": end,
                "floor_build_s": f_build,
                "floor_solve_s": f_solve,
                "via_build_s": via[0],
                "via_handover_s": via[1],
                "via_solve_s": via[2],
                "ratio_end": end / floor,
                "ratio_route": (stage["build"] + stage["handover"] + stage["highs"]) / floor,
                "ratio_via": sum(via[:3]) / floor,
            }
        )
    med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
    return {
        "n": n,
        **med,
        "replan_s": replan,
        "warm_replan_median_s": statistics.median(warm_times),
        "warm_replan_max_s": max(warm_times),
        "warm_same_cost_as_cold": same_cost,
        "peak_rss_mb": peak_rss_mb,
        "objective": info.objective,
        "violations": len(d.violations),
    }


def main() -> None:
    """Run each size in a fresh process and print a markdown table."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="50,200,500,1000")
    ap.add_argument("--one", type=int, default=None)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(measure(args.one)))
        return
    print(
        "| vehicles | inputs s | Pyomo build s | hand-over s | HiGHS + load s | end to end s | re-plan cold s | "
        "re-plan warm s (median, max of 5) | highspy floor build + solve s | end to end / floor | "
        "build + hand-over + HiGHS / floor | floor's LP through Pyomo: build + hand-over + solve s | its ratio | "
        "peak RSS MB |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for n in [int(s) for s in args.sizes.split(",")]:
        out = subprocess.run([sys.executable, __file__, "--one", str(n)], capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"| {n} | {r['inputs_s']:.2f} | {r['build_s']:.2f} | {r['handover_s']:.2f} | {r['highs_s']:.2f} | "
            f"{r['end_s']:.2f} | {r['replan_s']:.2f} | {r['warm_replan_median_s']:.2f}, "
            f"{r['warm_replan_max_s']:.2f}{'' if r['warm_same_cost_as_cold'] else ' (cost differs!)'} | "
            f"{r['floor_build_s']:.2f} + {r['floor_solve_s']:.2f} | {r['ratio_end']:.2f}x | {r['ratio_route']:.2f}x | "
            f"{r['via_build_s']:.2f} + {r['via_handover_s']:.2f} + {r['via_solve_s']:.2f} | {r['ratio_via']:.2f}x | "
            f"{r['peak_rss_mb']:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
