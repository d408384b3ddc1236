"""``/v1/kpis`` over a store holding a week of re-plans: the depot KPIs of its last day (``service.kpis.depot_kpis``,
what the endpoint and the dashboard call). The demo depot under courier, one decision every ``--every`` minutes,
each with the problem's ``now`` and its trips moved on (the plan itself is the same: what is measured is reading
the store).

    python bench/kpis.py [--decisions 1000] [--every 10] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from engine.decision.decide import decide
from engine.io.problem_files import load_problem
from engine.policy import load_policy
from service.decisions import record_decision
from service.kpis import depot_kpis
from service.store import Store

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--decisions", type=int, default=1000)
    ap.add_argument("--every", type=float, default=10.0, help="minutes between two decisions")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    folder = ROOT / "examples" / "demo_depot"
    problem = load_problem(folder)
    policy = load_policy(ROOT / "policies" / "courier.yaml")
    decision = decide(problem, "optimal", policy=policy, base=folder)
    store = Store(f"sqlite:///{tempfile.mkdtemp()}/kpis.db")
    step = timedelta(minutes=args.every)
    for i in range(args.decisions):
        trips = [
            t.model_copy(update={"departure": t.departure + i * step, "return_time": t.return_time + i * step})
            for t in problem.trips
        ]
        p = problem.model_copy(update={"now": problem.now + i * step, "trips": trips})
        d = decision.model_copy(update={"decision_id": f"d{i:06d}", "created": decision.created + i * step})
        record_decision(store, "acme", "bench", d, p, policy, "courier", "optimal")
    end = problem.now + args.decisions * step
    start = end - timedelta(days=1)
    depot = problem.depots[0].id
    times = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        kpis = depot_kpis(store, "acme", depot, start, end)
        times.append(time.perf_counter() - t0)
    read = len(store.decisions_planning("acme", depot, start, end))
    print(
        f"{args.decisions} decisions {args.every:g} min apart, KPIs of the last day: "
        f"{statistics.median(times):.2f} s median of {args.runs} ({read} decisions read; "
        f"departure readiness {kpis.get('departure_readiness')})"
    )


if __name__ == "__main__":
    main()
