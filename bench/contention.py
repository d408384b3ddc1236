"""Charger contention benchmark: depots where vehicles outnumber plugs, planned by ``decide`` (default strategy).

Cases: the demo depot (68 vehicles, 34 chargers) under every shipped policy, with the session MIP of
``engine.schedule.sessions`` as the reference (``contention="session_mip"``, its 60 s limit and 0.5 % gap); the
synthetic depots of ``contention_depots.py`` at 200/100, 500/250, 1000/500 and 2000/1000 vehicles/chargers; an
e-bus line (``bus_line_problem``: buses charging at the garage and at two terminals' pantographs during layovers)
at 5- and 1-minute slots; a delivery depot whose trips are not given to vehicles (``assignment_problem``: 200
vans, 220 unpinned trips, 120 plugs, courier policy with ``assignment.enabled``).
Per case: seconds end to end (median of ``--runs``, each in a fresh process for honest peak memory), solver
status, gap to the LP relaxation's bound, departures short in the plan and in the relaxation, LP prices the
session search spent, peak RSS.
Run: ``python bench/contention.py [--sizes 200,500] [--runs 3] [--no-demo] [--reference-sizes 200] [--fleet 20x250] [--bus 60] [--assign 200x220]``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import statistics
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from contention_depots import assignment_problem, bus_line_problem, contention_problem  # noqa: E402

from engine.decision import decide  # noqa: E402
from engine.io.problem_files import load_problem  # noqa: E402
from engine.policy import load_policy  # noqa: E402
from engine.tariffs import load_tariff  # noqa: E402

POLICIES = ("none", "courier", "municipal_saver", "utility_service")
SIZES = {200: 100, 500: 250, 1000: 500, 2000: 1000}
REFERENCE_LIMIT = 600.0  # [s] the session MIP reference on synthetic depots: the 10 minutes


def _warm_up(_worker: int) -> None:
    """A small decision in a pool worker (imports and first solve done before the timing)."""
    decide(contention_problem(10, 5), tariff=load_tariff(ROOT / "tariffs/sce_tou_8_d.yaml"))


def one(case: str, contention: str, workers: int = 0, time_limit: float | None = None, warm: bool = False) -> dict:
    """One decision of a case, in this process; ``workers`` > 0: depot groups on a process pool of that size
    (started inside the timed span, or before it when ``warm``); ``time_limit`` [s]: the session MIP
    reference's clock."""
    tariff = load_tariff(ROOT / "tariffs/sce_tou_8_d.yaml")
    policy = None
    if case.startswith("demo:"):
        problem = load_problem(ROOT / "examples/demo_depot")
        name = case.split(":", 1)[1]
        policy = None if name == "none" else load_policy(ROOT / "policies" / f"{name}.yaml")
    elif case.startswith("bus:"):
        n, slot = (int(k) for k in case.split(":")[1:])
        problem = bus_line_problem(n, slot)
    elif case.startswith("assign:"):
        vans, trips = (int(k) for k in case.split(":")[1:])
        problem = assignment_problem(vans, trips, chargers=round(0.6 * vans))
        courier = load_policy(ROOT / "policies/courier.yaml")
        policy = courier.model_copy(update={"assignment": courier.assignment.model_copy(update={"enabled": True})})
    elif case.startswith("fleet:"):
        depots, n = (int(k) for k in case.split(":", 1)[1].split("x"))
        problem = contention_problem(n, n // 2, depots=depots)
    else:
        n = int(case.split(":", 1)[1])
        problem = contention_problem(n, SIZES[n])
    t0 = time.perf_counter()
    if workers:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            if warm:  # as a service keeps its pool: every worker has imported and planned once already
                list(pool.map(_warm_up, range(workers)))
                t0 = time.perf_counter()
            d = decide(problem, tariff=tariff, policy=policy, contention=contention, executor=pool)
    else:
        d = decide(problem, tariff=tariff, policy=policy, contention=contention, time_limit=time_limit)
    seconds = time.perf_counter() - t0
    steps = [s for s in d.trace.repair_steps if s["step"] in ("session_rounding", "session_choice")]
    chosen = next((s for s in d.trace.repair_steps if s["step"] == "trip_assignment"), None)
    step = steps[0] if steps else {}
    relaxation_short = [s.get("relaxation_short_departures") for s in steps]
    return {
        "seconds": seconds,
        "status": d.solver.status,
        "gap": d.solver.gap,
        "objective_usd": d.cost.objective_usd,
        "short": sum(v.shortfall_kwh > 1e-3 for v in d.violations if v.target.startswith("departure")),
        "relaxation_short": None if None in relaxation_short or not steps else sum(relaxation_short),
        "prices": sum(s.get("lp_prices") or 0 for s in steps) if steps else None,
        "groups": len(d.trace.depot_groups) or 1,
        "source": step.get("source") or step.get("start_source"),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "assignment": None
        if chosen is None
        else {
            "method": chosen["method"],
            "seconds": chosen["seconds"],
            "candidates": chosen["candidates"],
            "uncovered": sum(c.vehicle_id is None for c in d.trace.trip_assignment.values()),
        },
    }


def run(
    case: str, contention: str, runs: int, workers: int = 0, time_limit: float | None = None, warm: bool = False
) -> dict:
    """Median seconds of ``runs`` fresh processes; the other figures from the first (they are identical)."""
    outs = []
    extra = ["--workers", str(workers)] + ([] if time_limit is None else ["--time-limit", str(time_limit)])
    extra += ["--warm"] if warm else []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, __file__, "--one", case, "--contention", contention, *extra],
            capture_output=True,
            text=True,
            check=True,
        )
        outs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    first = outs[0]
    assert all(o["objective_usd"] == first["objective_usd"] for o in outs), "same input, different plans"
    return {**first, "seconds": statistics.median(o["seconds"] for o in outs)}


def row(case: str, r: dict, ref: dict | None = None) -> str:
    gap = "-" if r["gap"] is None else f"{100 * r['gap']:.3f} %"
    vs = "-" if ref is None else f"{ref['objective_usd']:,.2f} ({ref['status']}, {ref['seconds']:.1f} s)"
    return (
        f"| {case} | {r['seconds']:.2f} | {r['status']} | {gap} | {r['objective_usd']:,.2f} | {vs} | "
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
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--time-limit", type=float, default=None)
    ap.add_argument("--warm", action="store_true", help="--one with --workers: pool warmed before the timing")
    ap.add_argument("--reference-sizes", default="200", help="synthetic sizes that get the session MIP reference")
    ap.add_argument("--fleet", default="20x250", help="DEPOTSxVEHICLES for the many-depot case ('' to skip)")
    ap.add_argument("--bus", default="60", help="buses of the e-bus line with terminal chargers ('' to skip)")
    ap.add_argument("--assign", default="200x220", help="VANSxTRIPS of the assignment case ('' to skip)")
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.contention, args.workers, args.time_limit, args.warm)))
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
    references = {int(s) for s in args.reference_sizes.split(",") if s}
    for n in [int(s) for s in args.sizes.split(",") if s]:
        case = f"synthetic:{n}"
        ref = run(case, "session_mip", 1, time_limit=REFERENCE_LIMIT) if n in references else None
        print(row(f"synthetic {n}/{SIZES[n]}", run(case, "rounding", args.runs if n <= 500 else 1), ref), flush=True)
    for slot in (5, 1) if args.bus else ():
        r = run(f"bus:{args.bus}:{slot}", "rounding", args.runs)
        print(row(f"e-bus line, {args.bus} buses, terminal pantographs, {slot}-minute slots", r), flush=True)
    if args.assign:
        vans, trips = args.assign.split("x")
        r = run(f"assign:{vans}:{trips}", "rounding", args.runs)
        a = r["assignment"]
        print(row(f"assignment, {vans} vans / {trips} unpinned trips / {round(0.6 * int(vans))} plugs", r), flush=True)
        print(
            f"\nassignment: {a['method']} model, {a['candidates']} candidate pairs, {a['seconds']:.2f} s to choose, "
            f"{a['uncovered']} trips uncovered",
            flush=True,
        )
    if args.fleet:
        case = f"fleet:{args.fleet}"
        depots, n = args.fleet.split("x")
        serial = run(case, "rounding", args.runs)
        pooled = run(case, "rounding", args.runs, workers=2)
        warmed = run(case, "rounding", args.runs, workers=2, warm=True)
        assert pooled["objective_usd"] == serial["objective_usd"] == warmed["objective_usd"], (
            "pool and serial plans differ"
        )
        label = f"{depots} depots x {n}/{int(n) // 2}"
        print(row(f"{label}, serial", serial), flush=True)
        print(row(f"{label}, 2 processes (pool started in the timing)", pooled), flush=True)
        print(row(f"{label}, 2 processes (pool warm)", warmed), flush=True)
        print(
            f"\n{label}: {serial['groups']} depot groups; 2 processes / serial wall = "
            f"{pooled['seconds'] / serial['seconds']:.2f} cold, {warmed['seconds'] / serial['seconds']:.2f} warm"
        )


if __name__ == "__main__":
    main()
