"""Decision API benchmark: a real server (``fleetcharge serve``, uvicorn, process pool) on loopback.

1. Overhead: the same problem planned by ``engine.schedule.decide`` in this process and through
   ``POST /v1/decisions`` one request at a time (after a warm-up that starts the workers); medians.
2. Load: N concurrent plan requests on the demo depot; all must answer 201. Meanwhile ``/health`` is polled every
   50 ms; its p50/p99 latency is reported.

Run: ``python bench/api.py [--requests 50] [--policy courier] [--workers 2] [--small-vehicles 12]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.io.problem_files import load_problem  # noqa: E402
from engine.policy import load_policy  # noqa: E402
from engine.schedule import decide  # noqa: E402
from engine.tariffs import load_tariff  # noqa: E402
from engine.tariffs.files import TARIFF_DIR  # noqa: E402


def demo_cut(n: int):
    """The demo depot cut to its first ``n`` vehicles and ``n // 2`` chargers (so sessions still compete)."""
    p = load_problem(ROOT / "examples" / "demo_depot")
    if n >= len(p.vehicles):
        return p
    keep = {v.id for v in p.vehicles[:n]}
    chargers = p.chargers[: max(1, n // 2)]
    return p.model_copy(
        update={
            "vehicles": [v for v in p.vehicles if v.id in keep],
            "chargers": chargers,
            "trips": [t for t in p.trips if t.vehicle_id in keep],
            "states": [s for s in p.states if s.vehicle_id in keep],
        }
    )


def start_server(port: int, workers: int, db: Path) -> tuple[subprocess.Popen, str]:
    cmd = [sys.executable, "-m", "engine.cli", "serve", "--port", str(port), "--db", str(db)]
    cmd += ["--workers", str(workers), "--no-summary", "--demo-request", str(db.with_suffix(".json"))]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    key = ""
    while not key:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("server exited before printing its demo key")
        m = re.search(r"(fc_[0-9a-f]{8}_\S+)", line)
        key = m.group(1) if m else ""
    # keep draining the server's stdout (uvicorn's access log), or it blocks once the pipe is full
    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
    for _ in range(200):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc, key
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("server did not answer /health")


async def post(client: httpx.AsyncClient, body: dict) -> tuple[int, float]:
    t0 = time.perf_counter()
    r = await client.post("/v1/decisions", json=body, timeout=3600)
    return r.status_code, time.perf_counter() - t0


async def poll_health(client: httpx.AsyncClient, stop: asyncio.Event, out: list[float]) -> None:
    while not stop.is_set():
        t0 = time.perf_counter()
        r = await client.get("/health", timeout=30)
        out.append(time.perf_counter() - t0)
        assert r.status_code == 200
        await asyncio.sleep(0.05)


async def load(base: str, key: str, body: dict, n: int) -> dict:
    headers = {"Authorization": f"Bearer {key}"}
    limits = httpx.Limits(max_connections=n + 5)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits) as client:
        stop, health = asyncio.Event(), []
        poller = asyncio.create_task(poll_health(client, stop, health))
        t0 = time.perf_counter()
        results = await asyncio.gather(*(post(client, body) for _ in range(n)))
        wall = time.perf_counter() - t0
        stop.set()
        await poller
    codes = [c for c, _ in results]
    health_ms = sorted(h * 1000 for h in health)
    return {
        "requests": n,
        "all_201": all(c == 201 for c in codes),
        "codes": {str(c): codes.count(c) for c in set(codes)},
        "wall_s": round(wall, 1),
        "latency_median_s": round(statistics.median(s for _, s in results), 2),
        "latency_max_s": round(max(s for _, s in results), 2),
        "health_samples": len(health_ms),
        "health_p50_ms": round(health_ms[len(health_ms) // 2], 1),
        "health_p99_ms": round(health_ms[min(len(health_ms) - 1, int(0.99 * len(health_ms)))], 1),
        "health_max_ms": round(health_ms[-1], 1),
    }


def overhead(base: str, key: str, problem, policy_name: str, repeats: int) -> dict:
    policy = load_policy(ROOT / "policies" / f"{policy_name}.yaml")
    tariff = load_tariff(TARIFF_DIR / f"{problem.tariff}.yaml")
    direct = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        decide(problem, policy=policy, tariff=tariff, time_limit=60)
        direct.append(time.perf_counter() - t0)
    body = {"problem": problem.model_dump(mode="json", by_alias=True), "policy": policy_name}
    headers = {"Authorization": f"Bearer {key}"}
    httpx.post(f"{base}/v1/decisions", json=body, headers=headers, timeout=600)  # warm the worker
    served = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        r = httpx.post(f"{base}/v1/decisions", json=body, headers=headers, timeout=600)
        served.append(time.perf_counter() - t0)
        assert r.status_code == 201, r.text
    d, s = statistics.median(direct), statistics.median(served)
    return {
        "vehicles": len(problem.vehicles),
        "direct_median_s": round(d, 3),
        "api_median_s": round(s, 3),
        "overhead_pct": round(100 * (s - d) / d, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--requests", type=int, default=50)
    ap.add_argument("--policy", default="courier")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--small-vehicles", type=int, default=12, help="vehicles in the overhead problem")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--skip-overhead", action="store_true")
    args = ap.parse_args()
    db = Path(tempfile.mkdtemp(prefix="fleetcharge-bench-")) / "api.db"
    proc, key = start_server(args.port, args.workers, db)
    base = f"http://127.0.0.1:{args.port}"
    try:
        out = {"machine": f"{os.cpu_count()} cores", "policy": args.policy, "workers": args.workers}
        if not args.skip_overhead:
            out["overhead_small"] = overhead(base, key, demo_cut(args.small_vehicles), args.policy, args.repeats)
            print(json.dumps(out, indent=2), flush=True)
        body = {"problem": demo_cut(10**6).model_dump(mode="json", by_alias=True), "policy": args.policy}
        out["load_demo"] = asyncio.run(load(base, key, body, args.requests))
        print(json.dumps(out, indent=2), flush=True)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
