"""200 charge points on one service: ``N`` simulated OCPP charge points (``service/ocpp/simulated.py``, half 1.6J,
half 2.0.1) connected over WebSockets to one ``fleetcharge serve`` process (SQLite store and job store), each with
a vehicle plugged in, sending a heartbeat and a meter value every ``--interval`` seconds. Then ``--rounds``
re-plans: a decision for the whole depot is posted and approved, and every charger gets its new TxProfile as a
durable command, read back with GetCompositeSchedule.

Reported per re-plan: the solve [s], the approve answer [s] and the time from the approval until every command is
confirmed (target < 2 s); for the whole run: the service's CPU [s and % of one core] while idle with heartbeats
and meter values, and during the re-plans, and messages lost (calls a charger sent without an answer, and meter
readings not stored as telemetry: target 0).
Run: ``python bench/ocpp.py [--chargers 200] [--interval 10] [--steady 30] [--rounds 3]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psutil
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[1]
# this file is named ocpp.py: its folder must not shadow the ocpp library
sys.path = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from engine.control.profiles import ChargerElectrics  # noqa: E402
from engine.domain import Charger, Depot, PlanningProblem, Trip, Vehicle, VehicleState  # noqa: E402
from service.ocpp.registry import ChargerRegistry  # noqa: E402
from service.ocpp.simulated import connected  # noqa: E402
from service.store import Store  # noqa: E402
from service.tables import telemetry_events  # noqa: E402

sys.path.insert(1, str(ROOT / "bench"))  # the ocpp library is imported by now: bench/ocpp.py no longer shadows it
from jobs import start as start_service  # noqa: E402

TENANT = "bench"


def depot_problem(n: int, soc: float) -> PlanningProblem:
    """``n`` 60 kWh vans at ``soc`` on ``n`` 11 kW AC chargers named like the charge points, leaving in 8 h with
    30 kWh trips; the plan starts at the current quarter hour."""
    real = datetime.now(UTC)
    now = real - timedelta(minutes=real.minute % 15, seconds=real.second, microseconds=real.microsecond)
    vehicles = [
        Vehicle(id=f"v{i:03d}", vehicle_class="van", depot_id="d", battery_kwh=60, max_ac_kw=11, connectors=["Type2"])
        for i in range(n)
    ]
    chargers = [Charger(id=f"cp{i:03d}", depot_id="d", kind="AC", max_kw=11, connectors=["Type2"]) for i in range(n)]
    trips = [
        Trip(
            id=f"t{i:03d}",
            depot_id="d",
            vehicle_id=f"v{i:03d}",
            departure=now + timedelta(hours=8),
            return_time=now + timedelta(hours=16),
            distance_km=100,
            energy_kwh_p50=30,
            energy_kwh_p90=30,
        )
        for i in range(n)
    ]
    states = [
        VehicleState(vehicle_id=v.id, soc=soc, last_seen=now, at_depot=True, depot_id="d", available_from=now)
        for v in vehicles
    ]
    return PlanningProblem(
        id="bench-ocpp",
        now=now,
        horizon_hours=9,
        slot_minutes=15,
        tariff="sce_tou_8_d",
        depots=[Depot(id="d", timezone="UTC", grid_limit_kw=n * 6.0)],
        vehicles=vehicles,
        chargers=chargers,
        trips=trips,
        states=states,
    )


def start(port: int, db: Path, log: Path, interval: int) -> subprocess.Popen:
    """The service (``bench/jobs.py``'s start) giving chargers a heartbeat every ``interval`` [s]."""
    return start_service(
        port, db, log, {"FLEETCHARGE_OCPP_HEARTBEAT_S": str(interval), "FLEETCHARGE_LOG_FORMAT": "text"}
    )


def cpu_s(proc: psutil.Process) -> float:
    """CPU of the service process and its children (solver processes) [s]."""
    total = 0.0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


class Fleet:
    """The simulated charge points and what they sent."""

    def __init__(self) -> None:
        self.sims: list[Any] = []
        self.calls = 0
        self.unanswered = 0
        self.readings = 0

    async def call(self, coro: Any) -> None:
        self.calls += 1
        try:
            await asyncio.wait_for(coro, 30)
        except Exception:
            self.unanswered += 1

    async def tick(self, sim: Any, interval: float, stop: asyncio.Event, offset: float) -> None:
        """A heartbeat and a meter value every ``interval`` [s], from ``offset`` [s] (chargers booted at different
        times do not report in step)."""
        from ocpp.v16 import call as c16
        from ocpp.v201 import call as c201

        heartbeat = c16.Heartbeat() if sim.protocol == "ocpp1.6" else c201.Heartbeat()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), offset)
        while not stop.is_set():
            await self.call(sim.call(heartbeat))
            sim.model.meter_wh += 11000 * interval / 3600
            self.readings += 1
            await self.call(sim.report_meter(11000.0))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)


async def run(args: argparse.Namespace, port: int, keys: dict[str, str], proc: psutil.Process, admin: str) -> dict:
    base = f"http://127.0.0.1:{port}"
    fleet = Fleet()
    stop = asyncio.Event()
    async with contextlib.AsyncExitStack() as stack:
        for i in range(args.chargers):
            cid = f"cp{i:03d}"
            version = "1.6" if i % 2 == 0 else "2.0.1"
            sim = await stack.enter_async_context(connected(f"ws://127.0.0.1:{port}", cid, keys[cid], version))
            await sim.plug_in(f"v{i:03d}")
            fleet.sims.append(sim)
        n = len(fleet.sims)
        tickers = [
            asyncio.create_task(fleet.tick(s, args.interval, stop, args.interval * k / n))
            for k, s in enumerate(fleet.sims)
        ]
        await asyncio.sleep(2)
        c0, t0 = cpu_s(proc), time.monotonic()
        await asyncio.sleep(args.steady)
        idle_cpu, idle_s = cpu_s(proc) - c0, time.monotonic() - t0
        rounds = []
        auth = {"Authorization": f"Bearer {admin}"}
        async with httpx.AsyncClient(base_url=base, timeout=300) as client:
            for r in range(args.rounds):
                problem = depot_problem(args.chargers, 0.2 + 0.05 * r)
                body = {"problem": problem.model_dump(mode="json", by_alias=True), "policy": "courier"}
                c1, own = cpu_s(proc), time.process_time()
                t_solve = time.perf_counter()
                created = await client.post("/v1/decisions", json=body, headers=auth)
                solve_s = time.perf_counter() - t_solve
                assert created.status_code == 201, created.text
                did = created.json()["decision_id"]
                t_approve, wall = time.perf_counter(), time.time()
                approved = await client.post(f"/v1/decisions/{did}/approve", headers=auth)
                approve_s = time.perf_counter() - t_approve
                assert approved.status_code == 200, approved.text
                while True:  # slow polling: a listing of 200 commands is work for the service too
                    rows = (await client.get(f"/v1/decisions/{did}/commands", headers=auth)).json()
                    if len(rows) == args.chargers and all(row["state"] == "done" for row in rows):
                        break
                    await asyncio.sleep(0.5)
                # when the last command ended, from the command's own record
                confirmed_s = max(datetime.fromisoformat(row["updated"]).timestamp() for row in rows) - wall
                outcomes = sorted({row["result"]["outcome"] for row in rows})
                rounds.append(
                    {
                        "solve_s": solve_s,
                        "approve_s": approve_s,
                        "confirmed_s": confirmed_s,
                        "outcomes": outcomes,
                        "cpu_s": cpu_s(proc) - c1,
                        "client_cpu_s": time.process_time() - own,
                    }
                )
        stop.set()
        await asyncio.gather(*tickers)
    return {"idle_cpu_s": idle_cpu, "idle_s": idle_s, "rounds": rounds, "fleet": fleet}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chargers", type=int, default=200)
    parser.add_argument("--interval", type=int, default=10, help="heartbeat and meter value period [s]")
    parser.add_argument("--steady", type=float, default=30, help="seconds of heartbeats and meter values measured")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--port", type=int, default=8797)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "ocpp.db"
        store = Store(f"sqlite:///{db}")
        admin = store.create_key(TENANT, frozenset({"admin"}))
        registry = ChargerRegistry(store.engine)
        keys = {
            f"cp{i:03d}": registry.add(TENANT, f"cp{i:03d}", ChargerElectrics(rate_unit="A"), "d")
            for i in range(args.chargers)
        }
        store.put_fleet(TENANT, "depot", depot_problem(args.chargers, 0.2).model_dump(mode="json", by_alias=True))
        proc = start(args.port, db, Path(tmp) / "serve.log", args.interval)
        try:
            out = asyncio.run(run(args, args.port, keys, psutil.Process(proc.pid), admin))
            with store.engine.connect() as conn:
                stored = conn.execute(
                    select(func.count())
                    .select_from(telemetry_events)
                    .where(telemetry_events.c.source.like("ocpp:%"), telemetry_events.c.values_json.like("%charging%"))
                ).scalar_one()
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(30)
    fleet = out["fleet"]
    print(f"{args.chargers} charge points (half 1.6J, half 2.0.1), heartbeat + meter value every {args.interval} s")
    print(
        f"idle: service CPU {out['idle_cpu_s']:.2f} s over {out['idle_s']:.1f} s "
        f"({100 * out['idle_cpu_s'] / out['idle_s']:.1f} % of one core)"
    )
    for k, r in enumerate(out["rounds"], 1):
        print(
            f"re-plan {k}: solve {r['solve_s']:.2f} s, approve answered {r['approve_s']:.2f} s, all "
            f"{args.chargers} confirmed {r['confirmed_s']:.2f} s after the approval (outcomes {r['outcomes']}), "
            f"service CPU {r['cpu_s']:.2f} s, the 200 simulated chargers' CPU {r['client_cpu_s']:.2f} s"
        )
    print(f"median time to all confirmed: {statistics.median(r['confirmed_s'] for r in out['rounds']):.2f} s")
    print(
        f"messages: {fleet.calls} calls from chargers, {fleet.unanswered} unanswered; {fleet.readings} meter "
        f"readings sent, {stored} stored as telemetry; lost {fleet.unanswered + max(fleet.readings - stored, 0)}"
    )


if __name__ == "__main__":
    main()
