"""The exact fixed-route charging solvers on frvcpy's sample routes (instance tc0c40s8cf0, 16,000 Wh at the
start): per route the duration against the published optimum and the wall time of the labelling solver and of
the MIP, then their medians and slowest. Issue 21's target: each route exact in < 100 ms.

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


def main() -> None:
    from engine.routing.fixed_route import solve_fixed_route
    from engine.routing.formats import read_frvcpy
    from engine.routing.labels import solve_by_labels

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="labelling runs per route (the median counts)")
    args = parser.parse_args()
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
