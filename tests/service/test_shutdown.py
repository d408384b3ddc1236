"""``fleetcharge serve`` leaves no process behind: SIGTERM and SIGINT end every solve, and after a SIGKILL of the
server its solve processes exit by themselves (issue 15: the hung server ignored SIGTERM, orphaned workers were
found idle 31 minutes later)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from service.store import Store
from tests.service.test_ingest_crash import _free_port

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]
sys.path.append(str(ROOT / "bench"))  # last: bench/ocpp.py must not shadow the ocpp library


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (from /proc: parent links)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z":
                children.setdefault(int(fields[1]), []).append(int(entry.name))
    out, todo = set(), [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.add(c)
            todo.append(c)
    return out


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def serve(tmp_path: Path) -> tuple[subprocess.Popen, int, str]:
    db = tmp_path / "api.db"
    key = Store(f"sqlite:///{db}").create_key("acme", frozenset({"read", "plan"}))
    port = _free_port()
    cmd = [str(BIN / "fleetcharge"), "serve", "--host", "127.0.0.1", "--port", str(port), "--db", str(db)]
    cmd += ["--workers", "2", "--no-summary", "--demo-request", str(tmp_path / "req.json")]
    log = (tmp_path / "serve.log").open("ab")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc, port, key
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    pytest.fail(f"server did not start: {(tmp_path / 'serve.log').read_text()[-2000:]}")


def start_long_solve(port: int, key: str) -> threading.Thread:
    """A 500-vehicle decision (a few seconds of solving) posted from a thread that may be cut off."""
    from contention_depots import contention_problem

    problem = contention_problem(500, 250).model_dump(mode="json", by_alias=True)
    body = json.dumps({"problem": problem, "policy": "courier"})

    def post() -> None:
        with contextlib.suppress(httpx.HTTPError):  # the server may stop before it answers
            httpx.post(
                f"http://127.0.0.1:{port}/v1/decisions",
                content=body,
                headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
                timeout=120,
            )

    t = threading.Thread(target=post, daemon=True)
    t.start()
    return t


def wait_for(predicate, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def busy(port: int) -> bool:
    return httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).json()["solver"]["busy"] > 0


@pytest.mark.long
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_ends_every_solve_and_leaves_no_process(tmp_path, sig):
    proc, port, key = serve(tmp_path)
    try:
        start_long_solve(port, key)
        assert wait_for(lambda: busy(port), 60), "the solve did not start"
        below = descendants(proc.pid)
        assert below, "a solve runs in a process below the server"
        os.kill(proc.pid, sig)
        proc.wait(20)
        assert wait_for(lambda: not any(alive(p) for p in below), 10), [p for p in below if alive(p)]
    finally:
        proc.kill()


@pytest.mark.long
def test_after_a_sigkill_of_the_server_its_solves_exit_by_themselves(tmp_path):
    proc, port, key = serve(tmp_path)
    try:
        start_long_solve(port, key)
        assert wait_for(lambda: busy(port), 60), "the solve did not start"
        below = descendants(proc.pid)
        proc.kill()
        proc.wait(10)
        assert wait_for(lambda: not any(alive(p) for p in below), 15), [p for p in below if alive(p)]
    finally:
        proc.kill()
