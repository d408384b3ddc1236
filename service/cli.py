"""The ``fleetcharge`` command line: the engine's commands (bill, tariff, problem, policy, plan, demo) here, the
service's (serve, keys, ingest) in :mod:`service.cli_operations`. Bad input exits 2 with ``PATH:LINE: message``
lines on stderr; an unexpected error exits 1 with one line naming it (never a traceback)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from engine.errors import InputError
from engine.results import STRATEGIES
from service.cli_args import positive_seconds
from service.cli_chargers import add_charger_commands
from service.cli_exports import add_export_commands
from service.cli_operations import add_operations_commands, flag_problem, strategy_comparison_table
from service.cli_simulate import add_simulate_commands
from service.cli_tco import add_tco_commands
from service.shipped_paths import DEMO


def _cmd_bill(args: argparse.Namespace) -> int:
    from engine.io.load_csv import read_load_csv
    from engine.tariffs import bill, load_tariff

    tariff = load_tariff(args.tariff, timezone=args.timezone)
    load = read_load_csv(args.load, tariff.timezone)
    try:
        result = bill(load, tariff)
    except ValueError as exc:
        raise InputError([flag_problem(str(exc), args.load)]) from None
    if args.json:
        print(json.dumps(result.to_cli_json(), indent=2))
    else:
        for line in result.lines:
            print(
                f"{line.period}  {line.kind:<7} {line.name:<36} {line.quantity:12.3f} {line.unit:<5} "
                f"x {line.rate:10.5f} = {line.amount_usd:12.2f}"
            )
        print(
            f"energy {result.energy_usd:,.2f}  demand {result.demand_usd:,.2f}  fixed "
            f"{result.fixed_usd + result.minimum_usd:,.2f}  total {result.total_usd:,.2f} {result.currency}"
        )
    return 0


def _cmd_import_urdb(args: argparse.Namespace) -> int:
    from engine.tariffs import dump_tariff
    from engine.tariffs.files import load_urdb_tariff

    tariff = load_urdb_tariff(args.urdb, args.timezone)
    if args.name:
        tariff = tariff.model_copy(update={"name": args.name})
    dump_tariff(tariff, args.output, f"Imported from {Path(args.urdb).name} by fleetcharge tariff import-urdb")
    print(
        f"wrote {args.output}: {len(tariff.energy)} energy, {len(tariff.demand)} demand, "
        f"{len(tariff.fixed)} fixed charges",
        file=sys.stderr,
    )
    return 0


def _cmd_problem_convert(args: argparse.Namespace) -> int:
    from engine.io.problem_files import load_problem, problem_to_json, write_problem_folder

    problem = load_problem(args.path)
    out = Path(args.output)
    if out.suffix.lower() in (".json", ".yaml", ".yml"):
        out.write_text(problem_to_json(problem) + "\n", encoding="utf-8")
    else:
        write_problem_folder(problem, out)
    return 0


def _load_previous(path: str):
    """The plan of a previous Decision JSON (as printed by ``plan --json``)."""
    from pydantic import ValidationError

    from engine.errors import Problem, from_validation_error
    from engine.results import Decision

    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError([Problem(f"cannot read file: {exc.strerror}", "", path)]) from None
    try:
        return Decision.model_validate_json(text).plan
    except ValidationError as exc:
        raise from_validation_error(exc, path) from None


def _cmd_plan(args: argparse.Namespace) -> int:
    from engine.decision import decide
    from engine.io.problem_files import load_problem
    from service.progress import working

    problem = load_problem(args.problem)
    previous = _load_previous(args.previous) if args.previous else None
    policy = None
    if args.policy:
        from engine.policy import load_policy

        policy = load_policy(args.policy)
    with working(f"planning {len(problem.vehicles)} vehicles over {problem.horizon_hours:g} h ({args.strategy})"):
        decision = decide(
            problem,
            strategy=args.strategy,
            time_limit=args.time_limit,
            base=Path(args.problem),
            previous=previous,
            policy=policy,
        )
    if args.json:
        print(decision.model_dump_json(indent=2))
    else:
        from engine.summary import describe_decision

        print(describe_decision(decision))
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from engine.io.problem_files import load_problem
    from engine.summary import describe_problem, describe_tariff
    from engine.tariffs import load_tariff, resolve_tariff_path
    from service.progress import working

    problem = load_problem(args.path)
    tariff = load_tariff(resolve_tariff_path(problem.tariff, Path(args.path)))
    print(describe_problem(problem))
    print()
    print(describe_tariff(tariff))
    print()
    with working(f"planning {len(problem.vehicles)} vehicles with every strategy"):
        table = strategy_comparison_table(problem, tariff)
    print(table)
    return 0


def _cmd_policy_check(args: argparse.Namespace) -> int:
    from engine.policy import check_policy_file

    failed = False
    for path in args.paths:
        _policy, problems = check_policy_file(path)
        for problem in problems:
            print(str(problem), file=sys.stderr)
        failed |= bool(problems)
    return 2 if failed else 0


def _cmd_policy_explain(args: argparse.Namespace) -> int:
    from engine.policy import explain, load_policy

    print(explain(load_policy(args.path)))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and docs)."""
    parser = argparse.ArgumentParser(prog="fleetcharge", description="Decision engine for electric fleets.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("bill", help="bill a load profile under a tariff")
    p.add_argument("--tariff", required=True, help="our tariff YAML or a URDB / acnportal JSON file")
    p.add_argument("--load", required=True, help="CSV with columns start (ISO 8601) and kw")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--timezone", default=None, help="timezone for tariff formats that carry none (URDB)")
    p.set_defaults(func=_cmd_bill)

    tariff = sub.add_parser("tariff", help="tariff tools").add_subparsers(dest="tariff_command", required=True)
    p = tariff.add_parser("import-urdb", help="convert an OpenEI URDB JSON record into our YAML")
    p.add_argument("urdb")
    p.add_argument("-o", "--output", required=True)
    p.add_argument(
        "--timezone", required=True, help="IANA timezone of the utility, e.g. America/Los_Angeles (URDB names none)"
    )
    p.add_argument("--name", default=None)
    p.set_defaults(func=_cmd_import_urdb)

    problem = sub.add_parser("problem", help="planning problem tools").add_subparsers(
        dest="problem_command", required=True
    )
    p = problem.add_parser("convert", help="load a problem (file or CSV folder) and write canonical JSON")
    p.add_argument("path")
    p.add_argument("-o", "--output", required=True, help="OUT.json, or a folder to write CSVs")
    p.set_defaults(func=_cmd_problem_convert)

    policy = sub.add_parser("policy", help="policy file tools").add_subparsers(dest="policy_command", required=True)
    p = policy.add_parser("check", help="validate policy files: exit 0 if valid, else 2 and PATH:LINE:COL lines")
    p.add_argument("paths", nargs="+")
    p.set_defaults(func=_cmd_policy_check)
    p = policy.add_parser("explain", help="print a policy's rules in plain words")
    p.add_argument("path")
    p.set_defaults(func=_cmd_policy_explain)

    p = sub.add_parser("plan", help="plan charging for a problem and print the Decision")
    p.add_argument("problem", help="problem file (YAML/JSON) or CSV folder")
    p.add_argument("--json", action="store_true", help="print the Decision as JSON")
    p.add_argument("--strategy", default="optimal", choices=list(STRATEGIES))
    p.add_argument(
        "--time-limit", type=positive_seconds, default=None, help="solver time limit [s] (> 0); best plan found is kept"
    )
    p.add_argument("--policy", default=None, help="policy file: its rules shape the plan and show in trace.rules_fired")
    p.add_argument("--previous", default=None, help="last approved Decision JSON: penalise needless plan changes")
    p.set_defaults(func=_cmd_plan)

    p = sub.add_parser("demo", help="summarise the demo depot (or another problem) and its tariff")
    p.add_argument("path", nargs="?", default=str(DEMO))
    p.set_defaults(func=_cmd_demo)

    add_operations_commands(sub)
    add_charger_commands(sub)
    add_simulate_commands(sub)
    add_tco_commands(sub)
    add_export_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``fleetcharge`` console script."""
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except InputError as exc:
        for problem in exc.problems:
            print(str(problem), file=sys.stderr)
        return 2
    except Exception as exc:  # a bug, not bad input: one clear line (the traceback with FLEETCHARGE_DEBUG=1)
        if os.environ.get("FLEETCHARGE_DEBUG") == "1":
            raise
        print(
            f"fleetcharge {args.command}: internal error: {type(exc).__name__}: {exc} "
            "(this is a bug; FLEETCHARGE_DEBUG=1 shows the traceback)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
