"""Crash safety: SIGKILL ``fleetcharge serve`` in the middle of large batch ingests, restart it, and every event
that was acknowledged is stored exactly once; re-sending what was in flight completes the log without doubles."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from service.store import Store
from service.telemetry_store import TelemetryStore

BIN = Path(sys.executable).parent
BATCH = 5000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(db: Path, port: int, log: Path) -> subprocess.Popen:
    cmd = [str(BIN / "fleetcharge"), "serve", "--host", "127.0.0.1", "--port", str(port), "--db", str(db)]
    cmd += ["--workers", "0", "--no-summary", "--demo-request", str(db.parent / "req.json")]
    with log.open("ab") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    pytest.fail(f"server did not start: {log.read_text()[-2000:]}")


def _batch(n: int, start: datetime) -> list[dict]:
    return [
        {
            "event_id": f"crash-{n}-{i}",
            "vehicle_id": f"V-{i % 60 + 1:02d}",
            "source": "crash-test",
            "event_time": (start + timedelta(seconds=i)).isoformat(),
            "type": "soc",
            "values": {"soc_pct": 20 + i % 70},
            "payload_version": "1",
        }
        for i in range(BATCH)
    ]


@pytest.mark.long
def test_sigkill_mid_ingest_loses_no_acknowledged_event(tmp_path) -> None:
    db = tmp_path / "crash.db"
    store = Store(f"sqlite:///{db}")
    key = store.create_key("demo", frozenset({"ingest", "read"}))
    store.dispose()
    port = _free_port()
    log = tmp_path / "serve.log"
    proc = _serve(db, port, log)
    headers = {"Authorization": f"Bearer {key}"}
    start = datetime.now(UTC) - timedelta(days=1)
    batches = {n: _batch(n, start + timedelta(hours=n)) for n in range(12)}
    acknowledged: list[int] = []
    in_flight: list[int] = []

    def send() -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=60) as client:
            for n, events in batches.items():
                in_flight.append(n)
                try:
                    r = client.post("/v1/telemetry", json={"events": events})
                except httpx.HTTPError:
                    return
                if r.status_code == 200 and r.json()["accepted"] == BATCH:
                    acknowledged.append(n)

    sender = threading.Thread(target=send)
    sender.start()
    while len(acknowledged) < 4:
        time.sleep(0.01)
    time.sleep(0.15)  # the next batch is being received or written
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    sender.join(30)
    assert 4 <= len(acknowledged) < len(batches)

    proc = _serve(db, port, log)
    try:
        ts = TelemetryStore(Store(f"sqlite:///{db}"))
        stored = ts.count_events("demo")
        # every acknowledged batch is there; the one in flight is there completely or not at all
        assert stored in (BATCH * len(acknowledged), BATCH * (len(acknowledged) + 1))
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=60) as client:
            for n in batches:  # the client re-sends everything it was not sure of, and more
                out = client.post("/v1/telemetry", json={"events": batches[n]}).json()
                if n in acknowledged:
                    assert out["duplicate"] == BATCH
                assert out["accepted"] + out["duplicate"] == BATCH
        assert ts.count_events("demo") == BATCH * len(batches)  # exactly once each
    finally:
        proc.terminate()
        proc.wait(15)
