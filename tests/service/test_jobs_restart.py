"""Asynchronous plans survive the server (issue 18.1): jobs accepted before a kill -9 or a stop signal are planned
after ``fleetcharge serve`` starts again on the same store, each recorded once."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.service.test_shutdown import serve

ROOT = Path(__file__).resolve().parents[2]
sys.path.append(str(ROOT / "bench"))  # last: bench/ocpp.py must not shadow the ocpp library

JOBS = 4


def _post_jobs(port: int, key: str) -> list[str]:
    """Four different 120-vehicle depots (most of a second of solving each), posted asynchronously."""
    from contention_depots import contention_problem

    out = []
    for seed in range(JOBS):
        problem = contention_problem(120, 60, seed=seed).model_dump(mode="json", by_alias=True)
        r = httpx.post(
            f"http://127.0.0.1:{port}/v1/decisions",
            content=json.dumps({"problem": problem, "policy": "courier"}),
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json", "Prefer": "respond-async"},
            timeout=30,
        )
        assert r.status_code == 202, r.text
        out.append(r.json()["job_id"])
    return out


def _states(port: int, key: str, jobs: list[str]) -> dict[str, dict]:
    auth = {"Authorization": f"Bearer {key}"}
    return {j: httpx.get(f"http://127.0.0.1:{port}/v1/jobs/{j}", headers=auth, timeout=10).json() for j in jobs}


@pytest.mark.long
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_jobs_accepted_before_the_server_stops_are_planned_after_it_starts_again(tmp_path, sig) -> None:
    proc, port, key = serve(tmp_path)
    try:
        jobs = _post_jobs(port, key)
        end = time.monotonic() + 120
        while time.monotonic() < end:
            states = _states(port, key, jobs)
            if any(s["status"] == "done" for s in states.values()):
                break
            time.sleep(0.1)
        if sig == signal.SIGKILL:  # the whole process group, solves included: a crash of the machine's service
            os.killpg(proc.pid, sig)
        else:
            os.kill(proc.pid, sig)
        proc.wait(30)
    finally:
        proc.kill()
    left = [j for j, s in states.items() if s["status"] != "done"]
    assert 0 < len(left) < JOBS, states  # the stop came with jobs done and jobs still to do
    proc, port, _ = serve(tmp_path)
    try:
        end = time.monotonic() + 180
        while time.monotonic() < end:
            states = _states(port, key, jobs)
            if all(s["status"] not in ("queued", "running") for s in states.values()):
                break
            time.sleep(0.2)
        auth = {"Authorization": f"Bearer {key}"}
        listed = httpx.get(f"http://127.0.0.1:{port}/v1/decisions?page_size=50", headers=auth, timeout=10).json()
    finally:
        proc.kill()
    assert {s["status"] for s in states.values()} == {"done"}, states
    decisions = {s["decision_id"] for s in states.values()}
    assert len(decisions) == JOBS
    assert listed["total"] == JOBS and {d["decision_id"] for d in listed["items"]} == decisions  # each once
