"""Route options for a batch of 500 random routes (10-20 stops, 30 stations) with the batch heuristic on 2
processes (target < 10 s), and the exact fixed-route charging solvers on frvcpy's sample routes (instance
tc0c40s8cf0, 16,000 Wh at the start): per route the duration against the published optimum and the wall time of
the labelling solver and of the MIP, then their medians and slowest (target: each route exact in < 100 ms).

Run: ``python bench/routing.py [--repeat N]`` (``make bench`` runs it).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
DATA = ROOT / "tests" / "data" / "evrp" / "frvcpy"


def network_routes(n_routes: int, seed: int = 11) -> list:
    """Random last-mile routes: a depot in a 60 x 60 km square, 400 customers, 30 stations (DC 50 kW or AC 22 kW,
    prices and availability drawn), each route 10-20 customers in sweep order; matrices per route over its own
    nodes and the stations (road distance 1.3 x straight, 35 km/h, 0.3 kWh/km, 60 kWh vans leaving with 25-45)."""
    import math

    import numpy as np

    from engine.routing.fixed_route import ChargingFunction, FixedRoute, Station

    rng = np.random.default_rng(seed)
    customers = rng.uniform(-30, 30, (400, 2))
    hubs = rng.uniform(-30, 30, (30, 2))
    dc = ChargingFunction(time_h=[0, 0.82, 1.1, 1.4], charge=[0, 40, 52, 60])
    ac = ChargingFunction(time_h=[0, 2.73], charge=[0, 60])
    kinds = rng.random(30) < 0.4
    prices = np.where(kinds, rng.uniform(0.45, 0.65, 30), rng.uniform(0.18, 0.3, 30))
    avail = np.where(kinds, rng.uniform(0.6, 0.85, 30), rng.uniform(0.85, 0.99, 30))
    routes = []
    for _ in range(n_routes):
        k = int(rng.integers(10, 21))
        picked = customers[rng.choice(400, size=k, replace=False)]
        picked = picked[np.argsort(np.arctan2(picked[:, 1], picked[:, 0]))]
        xy = np.vstack([[0.0, 0.0], picked, hubs])
        d = 1.3 * np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
        stations = [
            Station(
                node=k + 1 + j,
                function=dc if kinds[j] else ac,
                price_per_unit=float(prices[j]),
                availability=float(avail[j]),
                reliability=0.97,
            )
            for j in range(30)
        ]
        routes.append(
            FixedRoute(
                route=[0, *range(1, k + 1), 0],
                q_init=float(rng.uniform(25, 45)),
                q_max=60.0,
                t_max=14.0,
                time_h=(d / 35.0).tolist(),
                energy=(d * 0.3).tolist(),
                process_h=[0.0] + [0.1] * k + [0.0] * 30,
                stations=stations,
            )
        )
        assert math.isfinite(float(d.max()))
    return routes


def _options(route):
    from engine.routing.options import route_options

    return route_options(route, candidates=5)


def batch(n_routes: int, jobs: int) -> None:
    """Options for ``n_routes`` routes with the batch heuristic on ``jobs`` processes; the exact labels on a few."""
    from concurrent.futures import ProcessPoolExecutor

    routes = network_routes(n_routes)
    t0 = time.perf_counter()
    with ProcessPoolExecutor(jobs) as pool:
        answers = list(pool.map(_options, routes, chunksize=10))
    seconds = time.perf_counter() - t0
    feasible = sum(a.feasible for a in answers)
    print(
        f"batch: options for {n_routes} routes of 10-20 stops, 30 stations, {jobs} processes: {seconds:.2f} s "
        f"({feasible} feasible)"
    )
    quality(routes[:30], answers[:30])


def quality(routes: list, answers: list) -> None:
    """The heuristic's fastest and balanced options against the exact labels (two stations in a row, every
    station) for the same objective, on routes both find feasible."""
    from engine.policy.schema import Routing
    from engine.routing.labels import Weights, solve_by_labels

    routing = Routing()
    balanced = Weights(time=routing.value_of_time_usd_per_h, price=1.0, risk=routing.failed_stop_usd)
    gaps: dict[str, list[float]] = {"fastest": [], "balanced": []}
    t0 = time.perf_counter()
    for route, fast in zip(routes, answers, strict=True):
        if not fast.feasible:
            continue
        p = route.model_copy(update={"q_min": max(route.q_min, routing.min_arrival_soc * route.q_max)})
        ours = {o.label: o for o in fast.options}
        exact = solve_by_labels(p)
        gaps["fastest"].append(ours["fastest"].duration_h / exact.duration_h - 1)
        best = solve_by_labels(p, weights=balanced)
        if best.feasible and "balanced" in ours:
            gaps["balanced"].append(ours["balanced"].score_usd / best.objective - 1)
    seconds = time.perf_counter() - t0
    for label, g in gaps.items():
        print(
            f"  the heuristic's {label} against the exact {label} on {len(g)} routes: mean +{100 * sum(g) / len(g):.2f} %, "
            f"worst +{100 * max(g):.2f} %"
        )
    print(f"  (the exact labels for those routes: {seconds:.1f} s in one process)")


def main() -> None:
    from engine.routing.fixed_route import solve_fixed_route
    from engine.routing.formats import read_frvcpy
    from engine.routing.labels import solve_by_labels

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="labelling runs per route (the median counts)")
    parser.add_argument("--routes", type=int, default=500, help="routes of the batch")
    parser.add_argument("--jobs", type=int, default=2, help="processes of the batch")
    args = parser.parse_args()
    batch(args.routes, args.jobs)
    cases = {"readme": {"route": [0, 40, 12, 33, 38, 16, 0], "obj": 7.339}}
    cases |= json.loads((DATA / "routes_expected_durations_sample.json").read_text())
    labels_ms, mip_ms = [], []
    for name, case in cases.items():
        p = read_frvcpy(DATA / "frvcpy-instance_tc0c40s8cf0.json", case["route"], 16000)
        runs = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            plan = solve_by_labels(p)
            runs.append(1000 * (time.perf_counter() - t0))
        t0 = time.perf_counter()
        mip = solve_fixed_route(p)
        mip_ms.append(1000 * (time.perf_counter() - t0))
        labels_ms.append(statistics.median(runs))
        print(
            f"{name:<22} published {case['obj']:.6f} h  labels {plan.duration_h:.6f} h in {labels_ms[-1]:6.1f} ms"
            f"  MIP {mip.duration_h:.6f} h in {mip_ms[-1]:7.1f} ms"
        )
    print(f"labels: median {statistics.median(labels_ms):.1f} ms, slowest {max(labels_ms):.1f} ms")
    print(f"MIP:    median {statistics.median(mip_ms):.1f} ms, slowest {max(mip_ms):.1f} ms")


if __name__ == "__main__":
    main()
