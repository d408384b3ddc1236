"""``fleetcharge tco ASSUMPTIONS.yaml [--scenario NAME] [--sensitivity] [--monte-carlo N] [--cluster ADDR]
--json``: the total cost of ownership of a fleet (:mod:`engine.tco`), its tornado and Monte Carlo percentiles;
sweeps run in a local process pool, or on the Dask cluster at ``--cluster``, with a progress bar on a
terminal."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from engine.errors import InputError
from service.cli_args import file_or_shipped, whole
from service.cli_operations import flag_problem
from service.shipped_paths import POLICIES_DIR, TCO_DIR


def assumptions_file(ref: str) -> Path:
    """A file, or the name of a shipped one (``demo_depot`` for examples/tco/demo_depot.yaml)."""
    return file_or_shipped(ref, TCO_DIR, "no such assumptions file or shipped one")


@contextmanager
def sweep_executor(cluster: str | None, workers: int) -> Iterator[Any]:
    """A Dask client on ``cluster``, else a local process pool of ``workers`` (none when 1: this process)."""
    if cluster:
        from service.planner import cluster_client

        try:
            client = cluster_client(cluster)
        except RuntimeError as err:
            raise InputError([flag_problem(f"--cluster: {err}", cluster)]) from None
        try:
            yield client
        finally:
            client.close()
        return
    if workers <= 1:
        yield None
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawned, not forked: the progress bar's thread is running when the workers start
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield pool


def _cmd_tco(args: argparse.Namespace) -> int:
    from rich.progress import Progress

    from engine.tco.calibrate import calibrated
    from engine.tco.load import load_assumptions
    from engine.tco.report import tco_report
    from engine.tco.sweeps import BATCH, ranged

    path = assumptions_file(args.assumptions)
    a = calibrated(load_assumptions(path, args.scenario), path.parent, POLICIES_DIR)
    # a sweep of more than one batch goes to the pool (or the cluster); a tornado or a small sample is one batch
    # of broadcast arithmetic, quicker here than a worker's start
    long_sweep = args.monte_carlo > BATCH or (args.sensitivity and "analysis.period" in ranged(a))
    workers = args.workers if args.workers is not None else (os.cpu_count() or 1)
    with (
        sweep_executor(args.cluster if long_sweep else None, workers if long_sweep else 1) as executor,
        Progress(transient=True, disable=not sys.stderr.isatty()) as bar,
    ):
        task = bar.add_task("TCO runs", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            out = tco_report(
                a, args.scenario, args.sensitivity, args.monte_carlo, args.seed, args.metric, executor, progress
            )
        except ValueError as err:
            raise InputError([flag_problem(str(err), str(path))]) from None
    if args.json:
        print(json.dumps(out, indent=2, default=str))
        return 0
    _print(out)
    return 0


def _print(out: dict[str, Any]) -> None:
    print(f"{out['name']}" + (f", scenario {out['scenario']}" if out["scenario"] else ""))
    for row in out["summary"]:
        print(
            f"  {row['depot']:<10} {row['vehicle_class']:<12} {row['powertrain']:<7} {row['vehicles']:>5} vehicles  "
            f"NPV {row['npv_fleet_usd']:>14,.2f} USD  {row['usd_per_km']:.3f} USD/km  {row['usd_per_mile']:.3f} USD/mi"
        )
    for row in out["comparison"]:
        payback = row["payback_year"] if row["payback_year"] is not None else "never"
        print(
            f"  {row['depot']:<10} {row['vehicle_class']:<12} EV - diesel {row['ev_minus_diesel_fleet_usd']:>14,.2f} USD"
            f"  payback {payback}"
        )
    if "tornado" in out:
        metric = out["tornado"]["metric"]
        print(f"tornado on {metric}:")
        for r in out["tornado"]["rows"][:15]:
            print(
                f"  {r['parameter']:<60} {r[f'{metric}_at_low']:>14,.0f} .. {r[f'{metric}_at_high']:>14,.0f}"
                f"  (swing {r['swing']:,.0f})"
            )
    if "monte_carlo" in out:
        mc = out["monte_carlo"]
        print(f"Monte Carlo, {mc['samples']} draws (seed {mc['seed']}), EV cheaper in {mc['ev_cheaper_share']:.1%}:")
        for metric, p in mc["metrics"].items():
            print(f"  {metric:<22} P10 {p['p10']:>14,.2f}  P50 {p['p50']:>14,.2f}  P90 {p['p90']:>14,.2f}")


def add_tco_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``tco``."""
    from engine.tco.sweeps import METRICS

    p = sub.add_parser("tco", help="total cost of ownership of a fleet from an assumptions file (examples/tco)")
    p.add_argument("assumptions", help="assumptions file, or the name of a shipped one (examples/tco/*.yaml)")
    p.add_argument("--scenario", default=None, help="a named scenario of the file (overrides of the base)")
    p.add_argument("--sensitivity", action="store_true", help="one-at-a-time sensitivity (tornado) over every range")
    p.add_argument("--monte-carlo", type=whole(0, 1_000_000), default=0, metavar="N", help="Monte Carlo draws")
    p.add_argument("--seed", type=whole(0), default=0, help="Monte Carlo seed [default: 0]")
    p.add_argument("--metric", choices=list(METRICS), default=None, help="what the tornado ranks by")
    p.add_argument("--cluster", default=None, metavar="ADDR", help="Dask scheduler for sweeps (tcp://host:8786)")
    p.add_argument(
        "--workers",
        type=whole(1, 256),
        default=None,
        help="local processes for sweeps of more than one batch of 2,000 draws [default: CPUs]",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_cmd_tco)
