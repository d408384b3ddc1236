"""``fleetcharge chargers add|rotate-key|list`` and ``fleetcharge reconcile``: the charge points allowed to connect to the OCPP endpoints and
their keys (security profiles 1 and 2). A key is printed once, alone on stdout; the store keeps only its hash."""

from __future__ import annotations

import argparse
import json
import sys

from engine.control.profiles import ChargerElectrics
from engine.errors import InputError
from service.cli_operations import flag_problem

DB_HELP = "SQLAlchemy URL or SQLite file [default: $FLEETCHARGE_DB or ./fleetcharge.db]"


def _registry(args: argparse.Namespace):
    from service.ocpp.registry import ChargerRegistry
    from service.settings import Settings
    from service.store import Store

    store = Store(Settings.from_env(db_url=args.db).db_url)
    return store, ChargerRegistry(store.engine)


def _cmd_add(args: argparse.Namespace) -> int:
    electrics = ChargerElectrics(
        rate_unit=args.unit, phases=args.phases, voltage_v=args.voltage, max_stack_level=args.max_stack_level
    )
    store, registry = _registry(args)
    try:
        key = registry.add(args.tenant, args.charger_id, electrics, args.depot, args.key)
    except ValueError as exc:
        raise InputError([flag_problem(str(exc), "--key" if "key" in str(exc) else "charger_id")]) from None
    store.audit(args.tenant, "cli", "charger.add", args.charger_id, {"depot_id": args.depot, **electrics.model_dump()})
    print(key)
    return 0


def _cmd_rotate(args: argparse.Namespace) -> int:
    store, registry = _registry(args)
    try:
        key = registry.rotate_key(args.tenant, args.charger_id, args.key)
    except ValueError as exc:
        raise InputError([flag_problem(str(exc), "--key")]) from None
    except LookupError as exc:
        raise InputError([flag_problem(f"{exc} (see `fleetcharge chargers list`)", "charger_id")]) from None
    store.audit(args.tenant, "cli", "charger.rotate_key", args.charger_id, {})
    print(key)
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    _store, registry = _registry(args)
    rows = [c.as_json() for c in registry.list(args.tenant)]
    if args.json:
        for r in rows:
            print(json.dumps(r))
        return 0
    print(f"{'charger':<16} {'depot':<10} {'unit':<4} {'phases':<6} {'protocol':<10} {'key rotated':<17} last seen")
    for r in rows:
        rotated = r["key_rotated"][:16].replace("T", " ")
        seen = r["last_seen"][:16].replace("T", " ") if r["last_seen"] else "never"
        print(
            f"{r['charger_id']:<16} {r['depot_id'] or '-':<10} {r['rate_unit']:<4} {r['phases']:<6} "
            f"{r['protocol'] or '-':<10} {rotated:<17} {seen}"
        )
    return 0


def _cmd_reconcile(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime, timedelta

    from service.ocpp.reconciliation import reconcile_tenant
    from service.telemetry_store import TelemetryStore

    now = datetime.now(UTC)
    since = now - timedelta(days=1)
    if args.since is not None:
        try:
            since = datetime.fromisoformat(args.since)
        except ValueError:
            raise InputError([flag_problem(f"not an ISO time: {args.since!r}", "--since")]) from None
        if since.tzinfo is None:
            raise InputError([flag_problem("give the time with its offset, e.g. 2026-12-07T00:00:00+00:00", "--since")])
    store, _charger_registry = _registry(args)
    report = reconcile_tenant(store, TelemetryStore(store), args.tenant, since, now)
    if args.json:
        print(json.dumps(report.as_json()))
        return 1 if report.drifts else 0
    print(
        f"{report.sessions} sessions from {since:%Y-%m-%d %H:%M} to {now:%Y-%m-%d %H:%M} UTC: {len(report.drifts)} drifts"
    )
    for d in report.drifts:
        diff = "" if d.difference is None else f"{d.difference:+.2f} {d.unit}"
        print(
            f"{d.check:<10} {d.charger_id:<12} {d.vehicle_id or '-':<10} {d.transaction_id or '-':<8} {diff:<14} {d.message}"
        )
    return 1 if report.drifts else 0


def _cmd_import_ocpi(args: argparse.Namespace) -> int:
    import httpx

    from service.ocpi_client import OcpiError, read_network

    try:
        network = read_network(args.url, args.token)
    except (OcpiError, httpx.HTTPError) as exc:
        raise InputError([flag_problem(str(exc), "--url")]) from None
    text = json.dumps(network.as_json(), indent=2)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    else:
        print(text)
    for note in network.as_json()["notes"]:
        print(f"note: {note}", file=sys.stderr)
    return 0


def add_charger_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``chargers`` on the top-level parser's subcommands."""
    chargers = sub.add_parser("chargers", help="OCPP charge points and their keys").add_subparsers(
        dest="chargers_command", required=True
    )
    p = chargers.add_parser("add", help="register a charge point; prints its key (give it to the charger)")
    p.add_argument("charger_id", help="its OCPP identity (the last part of its URL)")
    p.add_argument("--tenant", required=True)
    p.add_argument("--depot", default=None, help="the depot it stands in")
    p.add_argument("--unit", choices=("A", "W"), default="A", help="unit of its schedules: A per phase or W [A]")
    p.add_argument("--phases", type=int, choices=(1, 3), default=3, help="phases in use [3]")
    p.add_argument("--voltage", type=float, default=230.0, help="nominal phase voltage [V] [230]")
    p.add_argument("--max-stack-level", type=int, default=1, help="highest stack level it accepts [1]")
    p.add_argument("--key", default=None, help="its existing key (32-40 hex digits) [default: a new random one]")
    p.add_argument("--db", default=None, help=DB_HELP)
    p.set_defaults(func=_cmd_add)
    p = chargers.add_parser("rotate-key", help="a new key for a charge point (the old one stops working at once)")
    p.add_argument("charger_id")
    p.add_argument("--tenant", required=True)
    p.add_argument("--key", default=None, help="the new key (32-40 hex digits) [default: a new random one]")
    p.add_argument("--db", default=None, help=DB_HELP)
    p.set_defaults(func=_cmd_rotate)
    p = sub.add_parser("reconcile", help="plan vs charger meters vs telematics: drifts (exit 1 if any)")
    p.add_argument("--tenant", required=True)
    p.add_argument("--since", default=None, help="ISO time with offset [default: 24 h ago]")
    p.add_argument("--json", action="store_true", help="the report as one JSON object")
    p.add_argument("--db", default=None, help=DB_HELP)
    p.set_defaults(func=_cmd_reconcile)
    stations = sub.add_parser("stations", help="public charging networks").add_subparsers(
        dest="stations_command", required=True
    )
    p = stations.add_parser(
        "import-ocpi", help="read an OCPI 2.2.1 platform's locations and tariffs as public stations (JSON)"
    )
    p.add_argument("--url", required=True, help="the platform's 2.2.1 root, e.g. https://cpo.example.com/ocpi/2.2.1")
    p.add_argument("--token", required=True, help="the credentials token the platform gave (sent base64-encoded)")
    p.add_argument("-o", "--output", default=None, help="write the JSON here [default: stdout]")
    p.set_defaults(func=_cmd_import_ocpi)
    p = chargers.add_parser("list", help="a tenant's charge points: unit, protocol, key rotated, last seen")
    p.add_argument("--tenant", required=True)
    p.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    p.add_argument("--db", default=None, help=DB_HELP)
    p.set_defaults(func=_cmd_list)
