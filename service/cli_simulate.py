"""``fleetcharge simulate SCENARIO --policy P --days N [--seed S] --json`` (a scenario of ``examples/scenarios``
with the engine in the loop, its KPIs, a progress bar on a terminal; :mod:`engine.simulate`) and ``fleetcharge
route ROUTE.json --json`` (charging stops for a route as options; :mod:`engine.routing.options`)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from engine.errors import InputError
from engine.results import STRATEGIES
from service.cli_args import file_or_shipped, whole
from service.cli_operations import flag_problem
from service.shipped_paths import POLICIES_DIR, SCENARIOS_DIR


def _policy(ref: str | None):
    """A policy file, or the name of a shipped one (``courier``); None for ``--policy none``."""
    from engine.policy import load_policy

    if ref is None or ref == "none":
        return None
    return load_policy(file_or_shipped(ref, POLICIES_DIR, "--policy: no such file or shipped policy"))


def _cmd_simulate(args: argparse.Namespace) -> int:
    from rich.progress import Progress

    from engine.simulate.outcome import kpis
    from engine.simulate.run import simulate
    from engine.simulate.scenario import scenario_inputs

    scenario_file = file_or_shipped(args.scenario, SCENARIOS_DIR, "no such scenario file or shipped scenario")
    inputs = scenario_inputs(scenario_file)
    scenario, problem, tariff, base = inputs.scenario, inputs.problem, inputs.tariff, inputs.base
    policy = _policy(args.policy)
    days = args.days or scenario.days
    shown = sys.stderr.isatty()
    with Progress(transient=True, disable=not shown) as bar:
        task = bar.add_task(f"simulating {scenario.name}", total=days)

        def progress(day: int, total: int) -> None:
            bar.update(task, completed=day)

        sim = simulate(scenario, problem, tariff, policy, args.strategy, days, args.seed, base, progress, args.mode)
    out = {
        "scenario": scenario.name,
        "policy": None if policy is None else policy.metadata.name,
        "strategy": args.strategy,
        "seed": sim.seed,
        "mode": None if sim.controller is None else sim.controller.mode,
        "kpis": kpis(sim),
    }
    if args.json:
        print(json.dumps(out, indent=2, default=str))
        return 0
    k = out["kpis"]
    print(f"{scenario.name}: {days} day(s), policy {out['policy']}, strategy {args.strategy}, seed {sim.seed}")
    for key, value in k.items():
        if not isinstance(value, dict):
            print(f"  {key}: {value}")
    return 0


def _cmd_route(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from engine.errors import from_validation_error
    from engine.io.yaml_lines import load_yaml_with_lines
    from engine.routing.fixed_route import FixedRoute
    from engine.routing.options import route_options

    path = Path(args.route)
    if not path.is_file():
        raise InputError([flag_problem("no such route file", str(path))])
    data, locations = load_yaml_with_lines(path)  # JSON is YAML: the same file:line on every mistake
    try:
        route = FixedRoute.model_validate(data)
    except ValidationError as exc:
        raise from_validation_error(exc, str(path), locations, model=FixedRoute) from None
    policy = _policy(args.policy)
    out = route_options(route, policy.routing if policy is not None else None)
    if args.json:
        print(out.model_dump_json(indent=2))
        return 0 if out.feasible else 1
    if not out.feasible:
        print(f"infeasible: {out.reason}" + (f"; {out.alternative}" if out.alternative else ""))
        return 1
    for o in out.options:
        stops = ", ".join(f"{s.station} after stop {s.after} ({s.depart - s.arrive:.1f})" for s in o.stops) or "none"
        print(
            f"{o.label:<12} {o.duration_h:7.3f} h  {o.charging_usd:8.2f} $  risk {o.failure_risk:6.1%}  stops: {stops}"
        )
        print(f"{'':<12} {o.why}")
    return 0


def add_simulate_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``simulate``."""
    p = sub.add_parser("simulate", help="simulate depot days of a scenario with the engine in the loop; print KPIs")
    p.add_argument("scenario", help="scenario file, or the name of a shipped one (examples/scenarios/*.yaml)")
    p.add_argument("--policy", default="none", help="policy file or shipped name (courier, ...); 'none' for no policy")
    p.add_argument("--days", type=whole(1, 366), default=None, help="days to simulate [default: the scenario's]")
    p.add_argument("--seed", type=whole(0), default=None, help="random seed [default: the scenario's]")
    p.add_argument("--strategy", default="optimal", choices=list(STRATEGIES), help="'uncontrolled': no controller")
    p.add_argument(
        "--mode", default=None, choices=["shadow", "assisted", "automated"], help="override the policy's mode"
    )
    p.add_argument("--json", action="store_true", help="print the KPIs as JSON")
    p.set_defaults(func=_cmd_simulate)
    p = sub.add_parser("route", help="charging stops for a route: fastest, cheapest, lowest risk, balanced")
    p.add_argument("route", help="route file (JSON or YAML: the fields of engine.routing.fixed_route.FixedRoute)")
    p.add_argument("--policy", default="none", help="policy file or shipped name: its routing weights")
    p.add_argument("--json", action="store_true", help="print the options as JSON")
    p.set_defaults(func=_cmd_route)
