"""``fleetcharge kpis``, ``fleetcharge export`` and ``fleetcharge shadow-report``: the store's KPIs, decisions, alerts, charger sessions and a
vehicle's telemetry as JSON, CSV or Parquet files, the same rows the API answers (:mod:`service.exports`)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from engine.errors import InputError
from service.cli_operations import flag_problem

DB_HELP = "SQLAlchemy URL or SQLite file [default: $FLEETCHARGE_DB or ./fleetcharge.db]"
KINDS = ("decisions", "alerts", "sessions", "kpis", "telemetry")


def _time(text: str | None, flag: str, default: datetime) -> datetime:
    if text is None:
        return default
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise InputError([flag_problem(f"not an ISO time: {text!r}", flag)]) from None
    if when.tzinfo is None:
        raise InputError([flag_problem("give the time with its offset, e.g. 2026-12-07T00:00:00+00:00", flag)])
    return when


def _store(args: argparse.Namespace):
    from service.settings import Settings
    from service.store import Store

    return Store(Settings.from_env(db_url=args.db).db_url)


def _period(args: argparse.Namespace) -> tuple[datetime, datetime]:
    now = datetime.now(UTC)
    start, end = _time(args.start, "--from", now - timedelta(days=1)), _time(args.end, "--to", now)
    if end <= start:
        raise InputError([flag_problem("must be after --from", "--to")])
    return start, end


def rows_of(args: argparse.Namespace) -> list[dict]:
    """The rows of ``args.kind`` from the store."""
    from service.alerts.store import AlertStore
    from service.kpis import depot_kpis
    from service.ocpp.sessions import ChargerSessions
    from service.telemetry_store import TelemetryStore

    store = _store(args)
    start, end = _period(args)
    if args.kind == "kpis":
        if not args.depot:
            raise InputError([flag_problem("kpis need a depot", "--depot")])
        return [depot_kpis(store, args.tenant, args.depot, start, end)]
    if args.kind == "decisions":
        rows, _n = store.decision_summaries(args.tenant, args.depot, start, None, limit=100_000, offset=0)
        return [
            {
                "decision_id": r.decision_id,
                "created": r.created.isoformat(),
                "status": r.status,
                "mode": r.mode,
                "depots": r.depots,
                "strategy": r.strategy,
                "policy": r.policy_name,
                "bill_usd": r.bill_usd,
            }
            for r in rows
            if r.created <= end
        ]
    if args.kind == "alerts":
        return AlertStore(store.engine).list(args.tenant, None, args.depot, limit=100_000)
    if args.kind == "sessions":
        return [s.as_json() for s in ChargerSessions(store.engine).of_tenant(args.tenant, start) if s.started < end]
    if not args.vehicle:
        raise InputError([flag_problem("telemetry is exported per vehicle", "--vehicle")])
    return TelemetryStore(store).events_of(args.tenant, args.vehicle, 10_000_000, start, end)


def _write(rows: list[dict], fmt: str, output: str | None) -> None:
    from service.exports import table_bytes

    data = table_bytes(rows, fmt)  # type: ignore[arg-type]  # checked by argparse's choices
    if output is None:
        if fmt == "parquet":
            raise InputError([flag_problem("Parquet is binary: write it to a file", "--output")])
        sys.stdout.write(data.decode())
        return
    Path(output).write_bytes(data)
    print(f"{len(rows)} rows written to {output}", file=sys.stderr)


def _cmd_export(args: argparse.Namespace) -> int:
    _write(rows_of(args), args.format, args.output)
    return 0


def _cmd_kpis(args: argparse.Namespace) -> int:
    args.kind = "kpis"
    (row,) = rows_of(args)
    if args.json:
        print(json.dumps(row, default=str))
        return 0
    if args.format != "json" or args.output:
        _write([row], args.format, args.output)
        return 0
    print(f"KPIs of depot {row['depot']} from {row['from']} to {row['to']}")
    for key, value in row.items():
        if key not in ("depot", "from", "to"):
            print(f"  {key}: {json.dumps(value) if isinstance(value, dict) else value}")
    return 0


def _cmd_shadow(args: argparse.Namespace) -> int:
    from engine.shadow import load_dispatch_log
    from service.shadow import depot_shadow_report

    if bool(args.sessions) != bool(args.departures):
        raise InputError([flag_problem("give both the sessions and the departures of the log", "--departures")])
    log = load_dispatch_log(args.sessions, args.departures) if args.sessions else None
    start, end = _period(args)
    if not args.depot:
        raise InputError([flag_problem("the report is per depot", "--depot")])
    table, summary = depot_shadow_report(_store(args), args.tenant, args.depot, start, end, log)
    if args.format == "json" and not args.output:
        print(json.dumps({"summary": summary, "rows": table.to_dict("records")}, default=str, indent=1))
        return 0
    _write(table.to_dict("records"), args.format, args.output)
    return 0


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--tenant", required=True)
    p.add_argument("--depot", default=None)
    p.add_argument("--from", dest="start", default=None, help="ISO time with offset [default: 24 h ago]")
    p.add_argument("--to", dest="end", default=None, help="ISO time with offset [default: now]")
    p.add_argument("--format", default="json", choices=["json", "csv", "parquet"])
    p.add_argument("-o", "--output", default=None, help="write here [default: stdout; Parquet needs a file]")
    p.add_argument("--db", default=None, help=DB_HELP)


def add_export_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``kpis`` and ``export``."""
    p = sub.add_parser("kpis", help="a depot's operations KPIs over a period, from the store")
    _common(p)
    p.add_argument("--json", action="store_true", help="one JSON object")
    p.set_defaults(func=_cmd_kpis)
    p = sub.add_parser("export", help="decisions, alerts, sessions, KPIs or a vehicle's telemetry as a file")
    p.add_argument("kind", choices=KINDS)
    _common(p)
    p.add_argument("--vehicle", default=None, help="the vehicle (telemetry)")
    p.set_defaults(func=_cmd_export)
    p = sub.add_parser("shadow-report", help="a depot's shadow plans against what dispatch did, per day and vehicle")
    _common(p)
    p.add_argument("--sessions", default=None, help="dispatch log: sessions CSV (vehicle_id,charger_id,plug_in,...)")
    p.add_argument("--departures", default=None, help="dispatch log: departures CSV (vehicle_id,trip_id,departure,soc)")
    p.set_defaults(func=_cmd_shadow)
