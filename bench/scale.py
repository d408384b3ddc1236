"""Scale benchmark: synthetic depots of N vehicles x 96 quarter-hour slots.

For N in 50, 200, 500, 1000: time to derive inputs, build the Pyomo model, hand it over to HiGHS
(:class:`engine.schedule.handover.HighsLP`), solve, end to end (``decide``), a re-plan after one vehicle's SOC
changes (cold and warm), and peak memory; beside it the same LP built directly with highspy arrays (the floor of
this stack, timed with the garbage collector paused as ``decide`` runs). Every vehicle has its own charger here, so the model
stays an LP (charger contention, which adds the session MIP, is measured by the demo depot instead).
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

import numpy as np
from pyomo.common.gc_manager import PauseGC

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stages import optimisation_stages  # noqa: E402

from engine.domain import Charger, Depot, PlanningProblem, TimeSeries, Trip, Vehicle, VehicleState  # noqa: E402
from engine.schedule import decide  # noqa: E402
from engine.schedule.inputs import build_inputs  # noqa: E402
from engine.schedule.warm import WarmStart  # noqa: E402
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


def highspy_floor(x) -> tuple[float, float]:
    """The same LP (energy balance folded into one row per departure) built with highspy arrays and solved."""
    with PauseGC():
        return _highspy_floor(x)


def _highspy_floor(x) -> tuple[float, float]:
    import highspy

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
    return t1 - t0, t2 - t1


def measure(n: int) -> dict:
    """All figures for one size (run in its own process)."""
    p = synthetic(n)
    tariff = load_tariff(ROOT / "tariffs/sce_tou_8_d.yaml")
    stage, info = optimisation_stages(p, None, tariff)
    x = build_inputs(p, tariff=tariff)  # for the floor, which builds the same depot as arrays
    ends = []
    for _ in range(3):
        s = time.perf_counter()
        d = decide(p, tariff=tariff)
        ends.append(time.perf_counter() - s)
    states = list(p.states)
    states[0] = states[0].model_copy(update={"soc": min(1.0, states[0].soc + 0.1)})
    changed = p.model_copy(update={"states": states})
    s = time.perf_counter()
    decide(changed, tariff=tariff)
    replan = time.perf_counter() - s
    # warm re-plans (engine.schedule.warm): the model and HiGHS kept, one vehicle's SOC changed each time
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
        same_cost &= abs(dw.cost.total_usd - decide(q, tariff=tariff).cost.total_usd) < 1e-6 * max(
            1.0, dw.cost.total_usd
        )
    assert warm.history == ["cold"] + ["warm"] * 5, warm.history
    floor_build, floor_solve = highspy_floor(x)
    return {
        "n": n,
        "inputs_s": stage["inputs"],
        "build_s": stage["build"],
        "handover_s": stage["handover"],
        "solve_s": stage["highs"],
        "solver_reported_s": info.seconds,
        "end_to_end_median_s": statistics.median(ends),
        "replan_s": replan,
        "warm_replan_median_s": statistics.median(warm_times),
        "warm_replan_max_s": max(warm_times),
        "warm_same_cost_as_cold": same_cost,
        "floor_build_s": floor_build,
        "floor_solve_s": floor_solve,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
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
        "| vehicles | inputs s | Pyomo build s | hand-over s | HiGHS + load s | end to end (median of 3) s | re-plan cold s | "
        "re-plan warm s (median, max of 5) | highspy floor build + solve s | ratio | build + hand-over + HiGHS / floor | "
        "peak RSS MB |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for n in [int(s) for s in args.sizes.split(",")]:
        out = subprocess.run([sys.executable, __file__, "--one", str(n)], capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        floor = r["floor_build_s"] + r["floor_solve_s"]
        print(
            f"| {n} | {r['inputs_s']:.2f} | {r['build_s']:.2f} | {r['handover_s']:.2f} | {r['solve_s']:.2f} | "
            f"{r['end_to_end_median_s']:.2f} | {r['replan_s']:.2f} | {r['warm_replan_median_s']:.2f}, "
            f"{r['warm_replan_max_s']:.2f}{'' if r['warm_same_cost_as_cold'] else ' (cost differs!)'} | "
            f"{r['floor_build_s']:.2f} + "
            f"{r['floor_solve_s']:.2f} | {r['end_to_end_median_s'] / floor:.1f}x | "
            f"{(r['build_s'] + r['handover_s'] + r['solve_s']) / floor:.1f}x | {r['peak_rss_mb']:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
