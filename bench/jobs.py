"""Asynchronous plans under a crash: N concurrent ``POST /v1/decisions`` with ``Prefer: respond-async`` against a
real server (``fleetcharge serve``, 2 solver processes, SQLite store and job store), the server and its solves
killed with SIGKILL once ``--kill-after`` jobs are done, started again on the same store, and every job followed
until it ends.

Each request is the demo depot under the courier policy with its first vehicle at its own SOC, so every job is a
solve of its own and a decision of its own. Reported: 202s, post latency, jobs done before the kill, seconds from
the restart until every job ended, jobs not done (lost or failed: target 0) and decisions stored (target: one per
job, none twice).
Run: ``python bench/jobs.py [--requests 100] [--kill-after 40] [--vehicles 68]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from api import demo_cut, session, varied  # noqa: E402

from service.store import Store  # noqa: E402


def start(port: int, db: Path, log: Path, settings: dict[str, str] | None = None) -> subprocess.Popen:
    """``fleetcharge serve`` on ``db`` in a process group of its own, once ``/health`` answers; ``settings``:
    more ``FLEETCHARGE_*`` variables."""
    cmd = [sys.executable, "-m", "service.cli", "serve", "--port", str(port), "--db", str(db), "--workers", "2"]
    cmd += ["--no-summary", "--demo-request", str(db.with_suffix(".json"))]
    env = {**os.environ, "FLEETCHARGE_REQUESTS_PER_KEY_S": "1000000", "FLEETCHARGE_BURST_PER_KEY": "1000000"}
    env |= settings or {}
    out = log.open("ab")
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"server did not answer /health: {log.read_text()[-2000:]}")


async def post_async(client: aiohttp.ClientSession, base: str, body: dict) -> tuple[int, float, str | None]:
    t0 = time.perf_counter()
    async with client.post(f"{base}/v1/decisions", json=body, headers={"Prefer": "respond-async"}) as r:
        data = await r.json()
        return r.status, time.perf_counter() - t0, data.get("job_id")


async def submit(base: str, key: str, bodies: list[dict]) -> list[tuple[int, float, str | None]]:
    async with session(key, len(bodies) + 5) as client:
        return await asyncio.gather(*(post_async(client, base, b) for b in bodies))


def states(base: str, key: str, jobs: list[str]) -> dict[str, str]:
    listed = httpx.get(f"{base}/v1/jobs?page_size=200", headers={"Authorization": f"Bearer {key}"}, timeout=30)
    by_id = {j["job_id"]: j["status"] for j in listed.json()["items"]}
    return {j: by_id.get(j, "missing") for j in jobs}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=100)
    ap.add_argument("--kill-after", type=int, default=40, help="jobs done before the server is killed")
    ap.add_argument("--vehicles", type=int, default=68)
    ap.add_argument("--port", type=int, default=8765)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="fleetcharge-jobs-"))
    db, log = tmp / "bench.db", tmp / "serve.log"
    key = Store(f"sqlite:///{db}").create_key("bench", frozenset({"read", "plan"}))
    base = f"http://127.0.0.1:{args.port}"
    problem = demo_cut(args.vehicles).model_dump(mode="json", by_alias=True)
    bodies = [varied({"problem": problem, "policy": "courier"}, i + 1) for i in range(args.requests)]

    proc = start(args.port, db, log)
    t0 = time.perf_counter()
    posted = asyncio.run(submit(base, key, bodies))
    post_s = time.perf_counter() - t0
    jobs = [j for code, _s, j in posted if code == 202 and j]
    done_before = 0
    while time.perf_counter() - t0 < 600:
        done_before = sum(s == "done" for s in states(base, key, jobs).values())
        if done_before >= args.kill_after:
            break
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_at = time.perf_counter() - t0

    t1 = time.perf_counter()
    proc = start(args.port, db, log)
    try:
        while time.perf_counter() - t1 < 1200:
            now = states(base, key, jobs)
            if all(s not in ("queued", "running") for s in now.values()):
                break
            time.sleep(0.5)
        after_restart_s = time.perf_counter() - t1
        listed = httpx.get(f"{base}/v1/decisions?page_size=200", headers={"Authorization": f"Bearer {key}"}).json()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)
    latencies = [s for _c, s, _j in posted]
    result = {
        "requests": args.requests,
        "vehicles": args.vehicles,
        "accepted_202": len(jobs),
        "post_wall_s": round(post_s, 2),
        "post_latency_median_s": round(statistics.median(latencies), 3),
        "post_latency_max_s": round(max(latencies), 3),
        "done_before_kill": done_before,
        "killed_at_s": round(killed_at, 1),
        "restart_to_all_ended_s": round(after_restart_s, 1),
        "statuses": {s: list(now.values()).count(s) for s in sorted(set(now.values()))},
        "not_done": sum(s != "done" for s in now.values()),
        "decisions_stored": listed["total"],
        "distinct_jobs": len(set(jobs)),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
