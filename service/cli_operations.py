"""The service's commands of the ``fleetcharge`` command line: ``serve``, ``keys``, ``ingest``, ``ingest-mqtt``."""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import logging
import logging.config
import os
import sys
from pathlib import Path

from engine.errors import InputError, Problem
from service.cli_args import whole
from service.shipped_paths import DEMO


def flag_problem(message: str, source: str) -> Problem:
    return Problem(message, "", str(source))


def strategy_comparison_table(problem, tariff) -> str:
    """The problem planned by every strategy (optimal first), as the summary's comparison table."""
    from engine.decision import decide
    from engine.summary import strategy_comparison

    return strategy_comparison([decide(problem, s, tariff=tariff) for s in ("optimal", "edf", "llf", "uncontrolled")])


GRACEFUL_SHUTDOWN_S = 5  # SIGTERM / SIGINT: how long open requests may finish before they are cancelled [s]


def _cmd_serve(args: argparse.Namespace) -> int:
    import multiprocessing

    import uvicorn

    from service.demo import seed_demo
    from service.logs import log_config
    from service.server import create_server
    from service.settings import Settings
    from service.store import Store

    taken = port_in_use(args.host, args.port)
    if taken:  # said before any key or curl line is printed for a server that would not start
        print(f"serve: --port {args.port}: {taken}; stop that server or choose another --port", file=sys.stderr)
        return 2
    settings = Settings.from_env(args.config, db_url=args.db, solver_workers=args.workers)
    logging.config.dictConfig(log_config(settings.log_format))
    logging.getLogger("fleetcharge.service").info("settings", extra={"settings": settings.public()})
    # the dashboard's server reads the API here, never at an address a page visitor chooses
    own = "127.0.0.1" if args.host in ("0.0.0.0", "::", "") else args.host
    os.environ.setdefault("FLEETCHARGE_API_URL", f"http://{own}:{args.port}")
    store = Store(settings.db_url)
    text, key = seed_demo(store, Path(args.demo_request), args.host, args.port)
    print(text, flush=True)
    if not args.no_summary:
        # in its own process: Pyomo captures solver output per process, and the server keeps its core
        base = f"http://{args.host}:{args.port}"
        multiprocessing.get_context("spawn").Process(
            target=_demo_comparison_and_decision, args=(base, key, str(args.demo_request)), daemon=True
        ).start()
    uvicorn.run(
        create_server(settings, store),
        host=args.host,
        port=args.port,
        log_level="info",
        log_config=log_config(settings.log_format),
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,  # then open requests are cancelled: their solves killed
    )
    return 0


def port_in_use(host: str, port: int) -> str | None:
    """Why the server could not listen on ``host:port`` (in use, or an address this machine does not have), or
    None when it can. Binds as uvicorn does (SO_REUSEADDR) and lets go at once."""
    import socket

    try:
        family, kind, proto, _name, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as exc:
        return f"{host!r} is not an address of this machine ({exc.strerror})"
    with socket.socket(family, kind, proto) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(address)
        except OSError as exc:
            return f"{host}:{port} is already in use" if exc.errno == errno.EADDRINUSE else f"{host}:{port}: {exc}"
    return None


def _demo_comparison_and_decision(base_url: str, key: str, request_path: str) -> None:
    """Print the demo strategy comparison, then plan the demo request through the API for the dashboard."""
    from service.demo import post_demo_decision

    _print_demo_comparison()
    print(post_demo_decision(base_url, key, Path(request_path)), flush=True)


def _print_demo_comparison() -> None:
    """The demo depot under every strategy (optimal vs the baselines), printed when ready."""
    from engine.io.problem_files import load_problem
    from engine.tariffs import load_tariff, resolve_tariff_path

    problem = load_problem(DEMO)
    tariff = load_tariff(resolve_tariff_path(problem.tariff, DEMO))
    table = strategy_comparison_table(problem, tariff)
    print(
        "\ndemo depot, plans by strategy (engine called directly, no policy: energy and demand at the default "
        "weights; the demo decision below is planned under the courier policy, which also weighs wear and "
        "penalties):\n" + table,
        flush=True,
    )


def _cmd_keys_create(args: argparse.Namespace) -> int:
    from service.auth import parse_scopes, prefix_of
    from service.settings import Settings
    from service.store import Store

    try:
        scopes = parse_scopes(args.scopes)
    except ValueError as exc:
        raise InputError([flag_problem(str(exc), "--scopes")]) from None
    if not args.tenant.strip():
        raise InputError([flag_problem("tenant must not be empty", "--tenant")])
    store = Store(Settings.from_env(db_url=args.db).db_url)
    key = store.create_key(args.tenant, scopes, args.label, _expiry(args.expires))
    store.audit(args.tenant, prefix_of(key), "key.create", "api_key", {"scopes": sorted(scopes), "by": "cli"})
    print(key)
    return 0


def _expiry(text: str | None):
    """``--expires`` as an aware datetime (None if not given); a clear error naming the flag otherwise."""
    from datetime import datetime

    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise InputError([flag_problem(f"not an ISO time: {text!r}", "--expires")]) from None
    if when.tzinfo is None:
        raise InputError([flag_problem("give the time with its offset, e.g. 2027-01-01T00:00:00+00:00", "--expires")])
    return when


def _key_store(args: argparse.Namespace):
    from service.settings import Settings
    from service.store import Store

    return Store(Settings.from_env(db_url=args.db).db_url)


def _cmd_keys_list(args: argparse.Namespace) -> int:
    rows = _key_store(args).list_keys(args.tenant)
    if args.json:
        for r in rows:
            print(json.dumps({k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in r.items()}))
        return 0
    print(
        f"{'prefix':<9} {'tenant':<16} {'state':<8} {'scopes':<28} {'label':<10} {'created':<20} {'expires':<20} last used"
    )
    for r in rows:
        when = {k: r[k].strftime("%Y-%m-%d %H:%M") if r[k] else "-" for k in ("created", "expires", "last_used")}
        print(
            f"{r['prefix']:<9} {r['tenant']:<16} {r['state']:<8} {','.join(r['scopes']):<28} {r['label'] or '-':<10} "
            f"{when['created']:<20} {when['expires']:<20} {when['last_used']}"
        )
    return 0


def _cmd_keys_revoke(args: argparse.Namespace) -> int:
    store = _key_store(args)
    found = store.key_info(args.prefix)
    if found is None or not store.revoke_key(args.prefix):
        raise InputError(
            [flag_problem(f"no active key with prefix {args.prefix!r} (see `fleetcharge keys list`)", "prefix")]
        )
    store.audit(found["tenant"], args.prefix, "key.revoke", f"api_key:{args.prefix}", {"by": "cli"})
    print(f"revoked {args.prefix} ({found['tenant']})")
    return 0


def _cmd_keys_rotate(args: argparse.Namespace) -> int:
    from service.auth import prefix_of

    store = _key_store(args)
    found = store.key_info(args.prefix)
    key = None if found is None else store.rotate_key(args.prefix, expires=_expiry(args.expires))
    if key is None:
        raise InputError(
            [flag_problem(f"no active key with prefix {args.prefix!r} (see `fleetcharge keys list`)", "prefix")]
        )
    store.audit(
        found["tenant"], args.prefix, "key.rotate", f"api_key:{args.prefix}", {"new": prefix_of(key), "by": "cli"}
    )
    print(key)
    return 0


def _read_payloads(path: str) -> list[tuple[int, object]]:
    """(line, payload) from JSON lines or CSV (header row; Fleetbook exports and our normalised columns)."""
    import csv

    from engine.errors import Problem

    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError([Problem(f"cannot read file: {exc.strerror}", "", path)]) from None
    if path.lower().endswith(".csv"):
        reader = csv.DictReader(text.splitlines())
        return [(reader.line_num, dict(row)) for row in reader]
    out: list[tuple[int, object]] = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.append((n, json.loads(line)))
        except ValueError as exc:
            out.append((n, {"unparseable_json_line": line[:2000], "error": str(exc)}))
    return out


def _cmd_ingest(args: argparse.Namespace) -> int:
    from engine.results import Decision
    from service.settings import Settings
    from service.store import Store
    from service.telemetry_store import TelemetryStore
    from service.triggers import TriggerWatch

    rows = _read_payloads(args.file)
    store = Store(Settings.from_env(db_url=args.db).db_url)
    watch = TriggerWatch(store, TelemetryStore(store))
    counts = {"accepted": 0, "duplicate": 0, "quarantined": 0}
    for start in range(0, len(rows), args.batch):
        chunk = rows[start : start + args.batch]
        outcomes, replans = watch.ingest(args.tenant, [p for _l, p in chunk])
        for stored in watch.plan_now(args.tenant, replans) if not args.no_triggers else []:
            trigger = Decision.model_validate(stored.decision).trace.trigger
            print(
                f"trigger {trigger.kind} ({trigger.vehicle_id}): decision {stored.decision_id} ({stored.status}, "
                f"{stored.mode})",
                file=sys.stderr,
            )
        for (line, _p), outcome in zip(chunk, outcomes, strict=True):
            counts[outcome.status] += 1
            if outcome.status == "quarantined":
                print(
                    f"{args.file}:{line}: {outcome.event_id or '-'}: {outcome.reason}: {outcome.message}",
                    file=sys.stderr,
                )
    print(json.dumps(counts))
    return 0


def _cmd_ingest_mqtt(args: argparse.Namespace) -> int:
    from service.mqtt_ingest import MqttIngest, parse_broker
    from service.settings import Settings
    from service.store import Store
    from service.telemetry_store import TelemetryStore

    try:
        parse_broker(args.broker)
    except ValueError as exc:
        raise InputError([flag_problem(str(exc), "--broker")]) from None
    ts = TelemetryStore(Store(Settings.from_env(db_url=args.db).db_url))
    ingest = MqttIngest(
        ts, args.tenant, args.broker, args.topic, args.client_id, on_status=lambda text: print(text, file=sys.stderr)
    )
    print(f"ingesting {args.topic} on {args.broker} for tenant {args.tenant}; Ctrl-C stops", file=sys.stderr)
    with contextlib.suppress(KeyboardInterrupt):
        ingest.run()
    print(json.dumps(ingest.counts))
    return 0


def add_operations_commands(sub: argparse._SubParsersAction) -> None:
    """Register serve, keys, ingest and ingest-mqtt on the top-level parser's subcommands."""
    p = sub.add_parser("ingest", help="ingest telemetry from JSON lines or CSV into the store")
    p.add_argument("file", help="JSON lines (one payload per line) or CSV (Fleetbook export or normalised columns)")
    p.add_argument("--db", default=None, help="store: SQLite file or database URL (default FLEETCHARGE_DB)")
    p.add_argument("--tenant", default="demo")
    p.add_argument("--batch", type=whole(1), default=5000, help="events per transaction")
    p.add_argument("--no-triggers", action="store_true", help="do not re-plan on triggering telemetry")
    p.set_defaults(func=_cmd_ingest)
    p = sub.add_parser("ingest-mqtt", help="subscribe to an MQTT broker and ingest telemetry")
    p.add_argument("--broker", required=True, help="mqtt://HOST:PORT")
    p.add_argument("--topic", default="fleet/+/telemetry")
    p.add_argument("--db", default=None, help="store: SQLite file or database URL (default FLEETCHARGE_DB)")
    p.add_argument("--tenant", default="demo")
    p.add_argument("--client-id", default="fleetcharge-ingest", help="persistent session id (redelivery)")
    p.set_defaults(func=_cmd_ingest_mqtt)

    p = sub.add_parser("serve", help="run the decision API (seeds the demo tenant and prints a demo key)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=whole(1, 65535), default=8000)
    p.add_argument(
        "--db", default=None, help="SQLAlchemy URL or SQLite file [default: $FLEETCHARGE_DB or ./fleetcharge.db]"
    )
    p.add_argument("--workers", type=whole(0), default=None, help="solver processes [default 2; 0 = threads]")
    p.add_argument(
        "--config", default=None, help="TOML settings file [default: $FLEETCHARGE_CONFIG]; see README 'Settings'"
    )
    p.add_argument("--demo-request", default="fleetcharge-demo-request.json", help="where to write the demo body")
    p.add_argument(
        "--no-summary",
        action="store_true",
        help="skip the demo strategy comparison and the demo decision planned through the API",
    )
    p.set_defaults(func=_cmd_serve)

    keys = sub.add_parser("keys", help="API keys").add_subparsers(dest="keys_command", required=True)
    p = keys.add_parser("create", help="create an API key; prints the key alone on stdout")
    p.add_argument("--tenant", required=True)
    p.add_argument("--scopes", required=True, help="comma-separated: read, plan, approve, admin")
    p.add_argument(
        "--db", default=None, help="SQLAlchemy URL or SQLite file [default: $FLEETCHARGE_DB or ./fleetcharge.db]"
    )
    p.add_argument("--expires", default=None, help="ISO time with offset when the key stops working [default: never]")
    p.add_argument("--label", default=None, help="what the key is for (shown in keys list)")
    p.set_defaults(func=_cmd_keys_create)
    db_help = "SQLAlchemy URL or SQLite file [default: $FLEETCHARGE_DB or ./fleetcharge.db]"
    p = keys.add_parser("list", help="every key: prefix, tenant, scopes, label, created, expires, last used, state")
    p.add_argument("--tenant", default=None, help="only this tenant's keys")
    p.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    p.add_argument("--db", default=None, help=db_help)
    p.set_defaults(func=_cmd_keys_list)
    for name, helptext, func in (
        ("revoke", "revoke a key by its prefix (it stops working at once)", _cmd_keys_revoke),
        (
            "rotate",
            "a new key with the same tenant, scopes and label; the old one revoked; prints the new key",
            _cmd_keys_rotate,
        ),
    ):
        p = keys.add_parser(name, help=helptext)
        p.add_argument("prefix", help="the 8 characters after 'fc_' (keys list shows them)")
        p.add_argument("--db", default=None, help=db_help)
        if name == "rotate":
            p.add_argument("--expires", default=None, help="ISO time with offset when the new key stops working")
        p.set_defaults(func=func)
