"""Session-choice MIP on the demo depot: seconds, MIP status and gap, total cost and the start HiGHS began from.

The demo depot's 68 vehicles share fewer chargers than they have dwells, so every optimal plan needs the session
MIP (:mod:`engine.schedule.sessions`, started from :mod:`engine.schedule.session_start`). One row per policy:
none, the three shipped ones, and municipal_saver with ``demand_weight: 0`` (no demand charge in the objective:
the LP crowds every vehicle into the cheap window, the hardest session choice of the set). Default time limit
(60 s) and gap (0.5 %). Run: ``python bench/session_mip.py``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.decision import decide  # noqa: E402
from engine.frames import readiness  # noqa: E402
from engine.io.problem_files import load_problem  # noqa: E402
from engine.policy.schema import Policy  # noqa: E402


def policy(name: str, demand_weight: float | None = None) -> Policy:
    """A shipped policy, optionally with its demand weight replaced."""
    data = yaml.safe_load((ROOT / "policies" / f"{name}.yaml").read_text(encoding="utf-8"))
    if demand_weight is not None:
        data["objective"]["demand_weight"] = demand_weight
    return Policy.model_validate(data)


def main() -> None:
    """Print one markdown row per policy."""
    problem = load_problem(ROOT / "examples/demo_depot")
    cases = {
        "none": None,
        "courier": policy("courier"),
        "municipal_saver": policy("municipal_saver"),
        "utility_service": policy("utility_service"),
        "municipal_saver, demand_weight 0": policy("municipal_saver", 0.0),
    }
    print(
        "| policy | seconds | MIP status, gap | total cost $ | ready departures | start: source, LP cost $, seconds | "
        "MIP seconds | LP bound $ |"
    )
    print("| --- | ---: | --- | ---: | ---: | --- | ---: | ---: |")
    for name, pol in cases.items():
        s = time.perf_counter()
        d = decide(problem, policy=pol)
        seconds = time.perf_counter() - s
        step = next((r for r in d.trace.repair_steps if r["step"] == "session_choice"), None)
        ready, departures = readiness(d, problem)
        if step is None:
            mip, start, mip_s, bound = "no session MIP", "-", "-", "-"
        else:
            gap = step["mip_gap"]
            mip = f"{step['mip_status']}, {'-' if gap is None else f'{100 * gap:.2f} %'}"
            start = f"{step['start_source']}, {step['start_objective']:,.2f}, {step['start_seconds']:.1f}"
            mip_s = f"{step['mip_seconds']:.1f}"
            bound = f"{step['lp_objective']:,.2f}"
        print(
            f"| {name} | {seconds:.1f} | {mip} | {d.cost.bill_usd:,.2f} | {ready}/{departures} | {start} | {mip_s} | {bound} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
