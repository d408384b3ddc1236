"""Charger contention benchmark: depots where vehicles outnumber plugs, planned by ``decide`` (default strategy).

Cases: the demo depot (68 vehicles, 34 chargers) under every shipped policy, with the session MIP of
``engine.schedule.sessions`` as the reference (``contention="session_mip"``, its 60 s limit and 0.5 % gap); the
synthetic depots of ``contention_depots.py`` at 200/100, 500/250, 1000/500 and 2000/1000 vehicles/chargers.
Per case: seconds end to end (median of ``--runs``, each in a fresh process for honest peak memory), solver
status, gap to the LP relaxation's bound, departures short in the plan and in the relaxation, LP prices the
session search spent, peak RSS.
Run: ``python bench/contention.py [--sizes 200,500] [--runs 3] [--no-demo]``.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from contention_depots import contention_problem  # noqa: E402

from engine.io.problem_files import load_problem  # noqa: E402
from engine.policy import load_policy  # noqa: E402
from engine.schedule import decide  # noqa: E402
from engine.tariffs import load_tariff  # noqa: E402

POLICIES = ("none", "courier", "municipal_saver", "utility_service")
SIZES = {200: 100, 500: 250, 1000: 500, 2000: 1000}


def one(case: str, contention: str) -> dict:
    """One decision of a case, in this process."""
    tariff = load_tariff(ROOT / "tariffs/sce_tou_8_d.yaml")
    policy = None
    if case.startswith("demo:"):
        problem = load_problem(ROOT / "examples/demo_depot")
        name = case.split(":", 1)[1]
        policy = None if name == "none" else load_policy(ROOT / "policies" / f"{name}.yaml")
    else:
        n = int(case.split(":", 1)[1])
        problem = contention_problem(n, SIZES[n])
    t0 = time.perf_counter()
    d = decide(problem, tariff=tariff, policy=policy, contention=contention)
    seconds = time.perf_counter() - t0
    step = next((s for s in d.trace["repair_steps"] if s["step"] in ("session_rounding", "session_choice")), {})
    return {
        "seconds": seconds,
        "status": d.solver.status,
        "gap": d.solver.gap,
        "total_usd": d.cost.total_usd,
        "short": sum(v.shortfall_kwh > 1e-3 for v in d.violations if v.target.startswith("departure")),
        "relaxation_short": step.get("relaxation_short_departures"),
        "prices": step.get("lp_prices"),
        "source": step.get("source") or step.get("start_source"),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run(case: str, contention: str, runs: int) -> dict:
    """Median seconds of ``runs`` fresh processes; the other figures from the first (they are identical)."""
    outs = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, __file__, "--one", case, "--contention", contention],
            capture_output=True,
            text=True,
            check=True,
        )
        outs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    first = outs[0]
    assert all(o["total_usd"] == first["total_usd"] for o in outs), "same input, different plans"
    return {**first, "seconds": statistics.median(o["seconds"] for o in outs)}


def row(case: str, r: dict, ref: dict | None = None) -> str:
    gap = "-" if r["gap"] is None else f"{100 * r['gap']:.3f} %"
    vs = "-" if ref is None else f"{ref['total_usd']:,.2f} ({ref['status']}, {ref['seconds']:.1f} s)"
    return (
        f"| {case} | {r['seconds']:.2f} | {r['status']} | {gap} | {r['total_usd']:,.2f} | {vs} | "
        f"{r['short']} / {r['relaxation_short'] if r['relaxation_short'] is not None else '-'} | "
        f"{r['prices'] if r['prices'] is not None else '-'} | {r['peak_rss_mb']:.0f} |"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="200,500,1000,2000")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-demo", action="store_true")
    ap.add_argument("--one", default=None)
    ap.add_argument("--contention", default="rounding")
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.contention)))
        return
    print(
        "| case | seconds (median) | status | gap to LP bound | total cost $ | session MIP reference $ | "
        "departures short: plan / relaxation | LP prices | peak RSS MB |"
    )
    print("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    if not args.no_demo:
        for name in POLICIES:
            case = f"demo:{name}"
            ref = run(case, "session_mip", 1)
            print(row(case, run(case, "rounding", args.runs), ref), flush=True)
    for n in [int(s) for s in args.sizes.split(",") if s]:
        case = f"synthetic:{n}"
        print(row(f"synthetic {n}/{SIZES[n]}", run(case, "rounding", args.runs if n <= 500 else 1)), flush=True)


if __name__ == "__main__":
    main()
