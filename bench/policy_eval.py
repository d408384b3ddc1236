"""Benchmark: compile a 20-rule policy and evaluate it on 1,000 vehicles + 1,000 trips + 200 chargers.

Targets: < 200 ms per evaluation; 1,000 evaluations in a loop grow RSS by < 50 MB. Run:
``python bench/policy_eval.py [--loops 1000]``.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.policy.conditions import parse_condition
from engine.policy.evaluate import fire, fire_reference
from engine.policy.isolated import IsolatedRules

TEMPLATES = [
    'vehicle.class == "{c}" and trip.priority >= {p}',
    'trip.departure < "{t}"',
    "vehicle.soc < {s}",
    'charger.kind == "DC" and charger.max_kw >= {k}',
    'not (vehicle.class == "{c}") or trip.priority == {p}',
]


def rules() -> dict:
    rng = np.random.default_rng(3)
    out = {}
    for i in range(20):
        text = TEMPLATES[i % len(TEMPLATES)].format(
            c=rng.choice(["van", "box_truck"]),
            p=int(rng.integers(1, 6)),
            t=f"0{int(rng.integers(5, 10))}:00",
            s=round(rng.random(), 2),
            k=int(rng.choice([50, 150])),
        )
        out[f"rule-{i:02d}"] = parse_condition(text)
    return out


def subjects() -> list:
    rng = np.random.default_rng(4)
    out = []
    for i in range(1000):
        out.append(
            (
                f"V{i:04d}/T{i:04d}",
                {
                    "vehicle": {"class": str(rng.choice(["van", "box_truck"])), "soc": round(float(rng.random()), 3)},
                    "trip": {
                        "priority": int(rng.integers(1, 6)),
                        "departure": f"0{int(rng.integers(5, 10))}:{int(rng.integers(0, 6))}0",
                    },
                },
            )
        )
    for i in range(200):
        out.append(
            (
                f"C{i:03d}",
                {"charger": {"kind": str(rng.choice(["AC", "DC"])), "max_kw": float(rng.choice([19.2, 150]))}},
            )
        )
    return out


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize() / 2**20


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--loops", type=int, default=1000)
    ap.add_argument("--in-process", action="store_true", help="call fire() here instead of IsolatedRules")
    args = ap.parse_args()
    r, s = rules(), subjects()
    assert fire(r, s) == fire_reference(r, s)
    isolated = None if args.in_process else IsolatedRules()
    evaluate = fire if isolated is None else isolated.fire
    if isolated is not None:
        assert isolated.fire(r, s) == fire_reference(r, s)
    print("mode:", "in process" if isolated is None else "IsolatedRules (child recycled every 20 evaluations)")
    times = []
    start = rss_mb()
    for i in range(args.loops):
        t0 = time.perf_counter()
        fired = evaluate(r, s)
        times.append((time.perf_counter() - t0) * 1000)
        if i == 9:
            warm = rss_mb()
    end = rss_mb()
    print(
        f"evaluation (20 rules, 1,200 subjects, {len(fired)} firings): median {statistics.median(times):.0f} ms, "
        f"p95 {np.percentile(times, 95):.0f} ms; RSS {start:.0f} MB -> {warm:.0f} MB after 10 -> {end:.0f} MB after "
        f"{args.loops} (growth after warm-up {end - warm:+.1f} MB)"
    )
    if isolated is not None:
        isolated.close()


if __name__ == "__main__":
    main()
