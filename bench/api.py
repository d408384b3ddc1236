"""Decision API benchmark: a real server (``fleetcharge serve``, uvicorn, process pool) on loopback.

1. Overhead: the same problem planned by ``engine.decision.decide`` in this process and through
   ``POST /v1/decisions`` one request at a time (after a warm-up that starts the workers); medians.
2. Load: N concurrent plan requests on the demo depot; all must answer 201. Meanwhile ``/health`` is polled every
   50 ms; its p50/p99 latency is reported.
3. Waves (``--waves-s``): waves of ``--wave`` concurrent plan requests (a 12-vehicle cut of the demo depot, each
   request's first vehicle at its own SOC so every request is a solve of its own and a stored decision of its
   own) for that many seconds, one solve process killed with SIGKILL half way: every request must be answered
   (201, or 503 for the killed solve), the solver back to full strength after; ``/health`` p99 meanwhile.
4. Reads: ``--wave`` concurrent ``GET /v1/decisions`` (a page of 50 of the decisions the waves stored); p50 / p95.

The load comes from one aiohttp session (about 0.2 ms of client CPU a request; httpx's async client spent 5-20
ms a request at 200 concurrent connections on this machine, so the client, not the server, set the latencies).
``/health`` is polled from a process of its own over one kept-alive connection, as a load balancer's probe
would, so its latency is the server's and not the load generator's event loop.

The server runs with the per-key rate limit lifted (``FLEETCHARGE_REQUESTS_PER_KEY_S``): one key sends it all.
Run: ``python bench/api.py [--requests 50] [--policy courier] [--workers 2] [--small-vehicles 12]
[--waves-s 120] [--wave 200]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path

import aiohttp
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.decision import decide  # noqa: E402
from engine.io.problem_files import load_problem  # noqa: E402
from engine.policy import load_policy  # noqa: E402
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
    cmd = [sys.executable, "-m", "service.cli", "serve", "--port", str(port), "--db", str(db)]
    cmd += ["--workers", str(workers), "--no-summary", "--demo-request", str(db.with_suffix(".json"))]
    env = {**os.environ, "FLEETCHARGE_REQUESTS_PER_KEY_S": "1000000", "FLEETCHARGE_BURST_PER_KEY": "1000000"}
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
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


async def post(session: aiohttp.ClientSession, base: str, body: dict) -> tuple[int, float]:
    t0 = time.perf_counter()
    async with session.post(f"{base}/v1/decisions", json=body) as r:
        await r.read()
        return r.status, time.perf_counter() - t0


async def timed_get(session: aiohttp.ClientSession, url: str) -> tuple[int, float]:
    t0 = time.perf_counter()
    async with session.get(url) as r:
        await r.read()
        return r.status, time.perf_counter() - t0


def _probe_health(port: int, stop: Connection, out: Connection) -> None:
    """In a process of its own: ``GET /health`` every 50 ms on one kept-alive connection until told to stop;
    sends back the latencies [s] (a failed probe counts as infinitely slow)."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    times: list[float] = []
    while not stop.poll():
        t0 = time.perf_counter()
        try:
            conn.request("GET", "/health")
            r = conn.getresponse()
            r.read()
            ok = r.status == 200
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            ok = False
        times.append(time.perf_counter() - t0 if ok else float("inf"))
        time.sleep(0.05)
    out.send(times)


class HealthProbe:
    """``/health`` polled every 50 ms from another process while the ``with`` block runs; ``ms`` after it."""

    def __init__(self, port: int) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._stop_r, self._stop_w = ctx.Pipe(duplex=False)
        self._out_r, self._out_w = ctx.Pipe(duplex=False)
        self._proc = ctx.Process(target=_probe_health, args=(port, self._stop_r, self._out_w), daemon=True)
        self.ms: list[float] = []

    def __enter__(self) -> HealthProbe:
        self._proc.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop_w.send(True)
        self.ms = [t * 1000 for t in self._out_r.recv()]
        self._proc.join(timeout=10)

    def summary(self) -> dict:
        return {
            "health_samples": len(self.ms),
            "health_failed": sum(1 for t in self.ms if t == float("inf")),
            "health_p50_ms": round(percentile(self.ms, 0.5), 1),
            "health_p99_ms": round(percentile(self.ms, 0.99), 1),
            "health_max_ms": round(max(self.ms), 1),
        }


def session(key: str, connections: int) -> aiohttp.ClientSession:
    timeout = aiohttp.ClientTimeout(total=3600)
    # idle connections closed after 3 s, before uvicorn closes them at 5 s (a request sent on a connection the
    # server is closing would fail without reaching it)
    connector = aiohttp.TCPConnector(limit=connections, keepalive_timeout=3)
    return aiohttp.ClientSession(headers={"Authorization": f"Bearer {key}"}, connector=connector, timeout=timeout)


async def load(base: str, port: int, key: str, body: dict, n: int) -> dict:
    async with session(key, n + 5) as client:
        with HealthProbe(port) as probe:
            t0 = time.perf_counter()
            results = await asyncio.gather(*(post(client, base, body) for _ in range(n)))
            wall = time.perf_counter() - t0
    codes = [c for c, _ in results]
    return {
        "requests": n,
        "all_201": all(c == 201 for c in codes),
        "codes": {str(c): codes.count(c) for c in set(codes)},
        "wall_s": round(wall, 1),
        "latency_median_s": round(statistics.median(s for _, s in results), 2),
        "latency_max_s": round(max(s for _, s in results), 2),
        **probe.summary(),
    }


def solve_processes() -> list[int]:
    """Pids of running solve processes (``fleetcharge-solve``), from /proc."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip().startswith("fleetcharge-sol"):
                    out.append(int(entry.name))
            except OSError:
                continue
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def varied(body: dict, i: int) -> dict:
    """``body`` with its first vehicle's SOC lowered by ``i`` x 1e-5: the same depot, another decision."""
    states = [dict(s) for s in body["problem"]["states"]]
    states[0]["soc"] = round(states[0]["soc"] - (i % 10_000) * 1e-5, 6)
    return {**body, "problem": {**body["problem"], "states": states}}


async def waves(base: str, port: int, key: str, body: dict, wave: int, seconds: float) -> dict:
    """Waves of ``wave`` concurrent plan requests for ``seconds``; one solve killed half way (module doc)."""
    import signal

    codes: dict[str, int] = {}
    killed: list[int] = []
    async with session(key, wave + 5) as client:
        with HealthProbe(port) as probe:
            t0 = time.perf_counter()
            n = 0

            async def killer() -> None:
                await asyncio.sleep(seconds / 2)
                while not killed and time.perf_counter() - t0 < seconds:
                    pids = solve_processes()
                    if pids:
                        os.kill(pids[0], signal.SIGKILL)
                        killed.append(pids[0])
                    await asyncio.sleep(0.05)

            kill_task = asyncio.create_task(killer())
            while time.perf_counter() - t0 < seconds:
                bodies = [varied(body, n + i) for i in range(wave)]
                results = await asyncio.gather(*(post(client, base, b) for b in bodies))
                n += len(results)
                for c, _s in results:
                    codes[str(c)] = codes.get(str(c), 0) + 1
            wall = time.perf_counter() - t0
            await kill_task
        async with client.get(f"{base}/health") as r:
            state = (await r.json())["solver"]
        async with client.get(f"{base}/health/ready") as r:
            ready = r.status
        url = f"{base}/v1/decisions?page_size=50"
        reads = await asyncio.gather(*(timed_get(client, url) for _ in range(wave)))
        async with client.get(url) as r:
            page = await r.json()
    read_s = [t for _c, t in reads]
    return {
        "wave": wave,
        "requests": n,
        "answered": sum(codes.values()),
        "codes": codes,
        "wall_s": round(wall, 1),
        "solves_killed": len(killed),
        "solver_after": state,
        "ready_after": ready,
        **probe.summary(),
        "reads": len(reads),
        "reads_all_200": all(c == 200 for c, _t in reads),
        "read_rows": len(page["items"]),
        "decisions_stored": page["total"],
        "read_p50_s": round(percentile(read_s, 0.5), 3),
        "read_p95_s": round(percentile(read_s, 0.95), 3),
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
    ap.add_argument("--waves-s", type=float, default=120.0, help="seconds of plan-request waves (0: skip)")
    ap.add_argument("--wave", type=int, default=200, help="concurrent requests per wave, and concurrent reads")
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
        out["load_demo"] = asyncio.run(load(base, args.port, key, body, args.requests))
        print(json.dumps(out, indent=2), flush=True)
        if args.waves_s > 0:
            small = {
                "problem": demo_cut(args.small_vehicles).model_dump(mode="json", by_alias=True),
                "policy": args.policy,
            }
            out["waves"] = asyncio.run(waves(base, args.port, key, small, args.wave, args.waves_s))
            print(json.dumps(out, indent=2), flush=True)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
