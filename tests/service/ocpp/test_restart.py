"""Commands survive the service (issue 19.5): a command given before a kill -9 is sent after the restart, once;
one answered before the crash is not sent again."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from typing import Any

import httpx
import pytest

from engine.control.profiles import ChargerElectrics
from service.ocpp.registry import ChargerRegistry
from service.ocpp.sessions import ChargerSessions
from service.ocpp.simulated import connected
from service.store import Store
from tests.service.conftest import request_body, small_problem
from tests.service.ocpp.test_dispatch import problem_now
from tests.service.test_shutdown import serve


def _commands(port: int, key: str, decision_id: str) -> dict[str, Any]:
    rows = httpx.get(
        f"http://127.0.0.1:{port}/v1/decisions/{decision_id}/commands",
        headers={"Authorization": f"Bearer {key}"},
        timeout=10,
    ).json()
    return {r["command_id"].split("/")[3]: r for r in rows}


def _wait(port: int, key: str, decision_id: str, done: set[str], seconds: float = 60) -> dict[str, Any]:
    end = time.monotonic() + seconds
    rows: dict[str, Any] = {}
    while time.monotonic() < end:
        rows = _commands(port, key, decision_id)
        if {c for c, r in rows.items() if r["state"] == "done"} >= done:
            return rows
        time.sleep(0.1)
    raise AssertionError(rows)


@pytest.mark.long
def test_a_command_pending_at_a_kill_is_sent_after_the_restart_once(tmp_path) -> None:
    db = tmp_path / "api.db"
    store = Store(f"sqlite:///{db}")
    admin = store.create_key("acme", frozenset({"admin"}))
    registry = ChargerRegistry(store.engine)
    keys = {c: registry.add("acme", c, ChargerElectrics(rate_unit="W"), "d") for c in ("ac0", "ac1")}
    store.dispose()
    auth = {"Authorization": f"Bearer {admin}"}
    proc, port, _ = serve(tmp_path)
    ws = f"ws://127.0.0.1:{port}"
    try:

        async def before() -> str:
            async with connected(ws, "ac0", keys["ac0"], "1.6"):
                body = request_body(small_problem(2))
                body["problem"] = problem_now(2)
                async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
                    decision = (await client.post("/v1/decisions", json=body, headers=auth)).json()
                    approved = await client.post(f"/v1/decisions/{decision['decision_id']}/approve", headers=auth)
                    assert approved.status_code == 200, approved.text
                await asyncio.to_thread(_wait, port, admin, decision["decision_id"], {"ac0"})
                return decision["decision_id"]

        decision_id = asyncio.run(before())
        rows = _commands(port, admin, decision_id)
        assert rows["ac0"]["state"] == "done" and rows["ac1"]["state"] == "running"  # ac1 is offline
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(30)
    finally:
        proc.kill()
    proc, port, _ = serve(tmp_path)
    ws = f"ws://127.0.0.1:{port}"
    try:

        async def after() -> tuple[dict[str, Any], int, int]:
            async with connected(ws, "ac0", keys["ac0"], "2.0.1") as sim0, connected(ws, "ac1", keys["ac1"]) as sim1:
                rows = await asyncio.to_thread(_wait, port, admin, decision_id, {"ac0", "ac1"})
                await asyncio.sleep(1.0)  # time for a wrongly repeated ac0 command to arrive
                return rows, len(sim0.model.profiles), len(sim1.model.profiles)

        rows, n0, n1 = asyncio.run(after())
    finally:
        proc.kill()
    assert rows["ac1"]["result"]["outcome"] == "confirmed" and n1 == 1
    assert rows["ac0"]["result"]["attempts"] == 1 and n0 == 0  # answered before the crash: not sent again
    store = Store(f"sqlite:///{db}")
    sent = ChargerSessions(store.engine).schedules("acme")
    assert sorted(s["charger_id"] for s in sent) == ["ac0", "ac1"]
