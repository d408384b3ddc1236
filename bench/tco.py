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
    sys.path.insert(0, str(ROOT))
    import pytest

    rc = pytest.main(["-q", str(ROOT / "tests" / "engine" / "tco" / "test_t3co.py"), "-p", "no:cacheprovider"])
    print(f"NREL T3CO cases (BEV 2020, diesel 2020, T2CO diesel) reproduced to 1e-9: {'yes' if rc == 0 else 'NO'}")


if __name__ == "__main__":
    main()
