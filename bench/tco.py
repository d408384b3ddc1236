"""TCO of the demo depot's fleet (examples/tco/demo_depot.yaml): the calibration from the depot plan, one TCO,
the tornado, and Monte Carlo sweeps of 10,000 and 100,000 draws in this process and on a local pool of 2
spawned processes (median of ``--repeat`` runs each), with the check that the pool gives the same percentiles;
and NREL T3CO's published cases reproduced (relative error).

Run: ``python bench/tco.py [--repeat N]`` (``make bench`` runs it).
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]


def timed(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def fleet_5x3(path: Path):
    """5 vehicle classes at each of 3 depots (15 classes, 45 ranged assumptions): the demo file's van and box
    truck, and three variants of the van (a long-range van, a small van, a shuttle: distance, consumption and
    price scaled), at three copies of its depot with the depot's energy priced instead of calibrated (0.12, 0.16,
    0.20 USD/kWh; demand 900, 1,400, 2,000 USD/vehicle/yr)."""
    import copy

    import yaml

    from engine.tco.load import assumptions_from_data

    data = yaml.safe_load(path.read_text())
    depot0, van, truck = data["depots"][0], *data["vehicle_classes"]
    variants = {"van_long_range": (1.3, 1.1, 1.25), "small_van": (0.8, 0.7, 0.75), "shuttle": (1.1, 1.2, 1.4)}
    depots, classes = [], []
    for k, (price, demand) in enumerate(((0.12, 900), (0.16, 1400), (0.20, 2000))):
        d = copy.deepcopy(depot0)
        d["id"] = f"depot-{k + 1}"
        d["energy"] = {
            "price": {"value": price, "unit": "USD/kWh", "source": "bench", "range": [price * 0.7, price * 1.4]},
            "demand": {"value": demand, "unit": "USD/vehicle/yr", "source": "bench", "range": [0, demand * 2]},
        }
        depots.append(d)
        for base in (van, truck):
            c = copy.deepcopy(base)
            c["id"], c["depot"] = f"{base['id']}-{k + 1}", d["id"]
            classes.append(c)
        for name, (distance, consumption, price_factor) in variants.items():
            c = copy.deepcopy(van)
            c["id"], c["depot"] = f"{name}-{k + 1}", d["id"]
            c["annual_distance"]["value"] *= distance
            c["annual_distance"]["range"] = [x * distance for x in c["annual_distance"]["range"]]
            c["ev"]["consumption"]["value"] *= consumption
            c["ev"]["consumption"]["range"] = [x * consumption for x in c["ev"]["consumption"]["range"]]
            c["ev"]["acquisition"]["price"]["value"] *= price_factor
            c["ev"]["acquisition"]["price"]["range"] = [
                x * price_factor for x in c["ev"]["acquisition"]["price"]["range"]
            ]
            classes.append(c)
    data.update(depots=depots, vehicle_classes=classes, scenarios={})
    return assumptions_from_data(data, "bench 5 classes x 3 depots")


def main() -> None:
    from engine.shipped import POLICIES, shipped_dir
    from engine.tco.calibrate import calibrated
    from engine.tco.load import load_assumptions
    from engine.tco.model import tco
    from engine.tco.sweeps import monte_carlo, tornado

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    path = ROOT / "examples" / "tco" / "demo_depot.yaml"
    base = load_assumptions(path)
    seconds, a = timed(lambda: calibrated(base, path.parent, shipped_dir(POLICIES)), args.repeat)
    print(f"calibration from the demo depot's plan (courier, optimal): {seconds:.2f} s")
    seconds, result = timed(lambda: tco(a), args.repeat)
    print(f"one TCO (2 classes x 2 powertrains x 8 years, with tables): {seconds * 1000:.1f} ms")
    print(f"  EV fleet NPV {result.total('ev'):,.2f} USD, diesel {result.total('diesel'):,.2f} USD")
    seconds, table = timed(lambda: tornado(a, "ev_minus_diesel_usd"), args.repeat)
    print(f"tornado over {len(table)} ranged assumptions: {seconds * 1000:.1f} ms")
    for samples in (10_000, 100_000):
        serial_s, serial = timed(lambda n=samples: monte_carlo(a, n, seed=1), args.repeat)
        with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
            monte_carlo(a, 400, seed=0, executor=pool)  # start the workers
            pool_s, pooled = timed(lambda n=samples, p=pool: monte_carlo(a, n, seed=1, executor=p), args.repeat)
        same = pooled["metrics"] == serial["metrics"]
        m = serial["metrics"]["ev_minus_diesel_usd"]
        print(
            f"Monte Carlo {samples:,} draws: serial {serial_s:.2f} s, 2 processes {pool_s:.2f} s "
            f"(ratio {pool_s / serial_s:.2f}), same percentiles: {same}; EV - diesel P10 {m['p10']:,.0f} "
            f"P50 {m['p50']:,.0f} P90 {m['p90']:,.0f} USD, EV cheaper in {serial['ev_cheaper_share']:.1%}"
        )
    big = fleet_5x3(path)
    print(f"5 classes x 3 depots: {len(big.vehicle_classes)} classes, {len(tornado(big))} ranged assumptions")
    serial_s, serial = timed(lambda: monte_carlo(big, 10_000, seed=1), args.repeat)
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        started = time.perf_counter()
        cold = monte_carlo(big, 10_000, seed=1, executor=pool)
        cold_s = time.perf_counter() - started
        pool_s, pooled = timed(lambda p=pool: monte_carlo(big, 10_000, seed=1, executor=p), args.repeat)
    same = pooled["metrics"] == serial["metrics"] == cold["metrics"]
    print(
        f"Monte Carlo 10,000 draws, 5 classes x 3 depots: serial {serial_s:.2f} s, 2 processes {pool_s:.2f} s "
        f"(with the pool's start {cold_s:.2f} s), same percentiles: {same} (target < 10 s)"
    )
    sys.path.insert(0, str(ROOT))
    import pytest

    rc = pytest.main(["-q", str(ROOT / "tests" / "engine" / "tco" / "test_t3co.py"), "-p", "no:cacheprovider"])
    print(f"NREL T3CO cases (BEV 2020, diesel 2020, T2CO diesel) reproduced to 1e-9: {'yes' if rc == 0 else 'NO'}")


if __name__ == "__main__":
    main()
