"""Charger faults: a rejected profile, an answer after the call's timeout, a charger offline when its command is
given. Each ends as the command's rules say, and nothing is sent twice with effect."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from service.ocpp.simulated import Behaviour, connected
from tests.service.conftest import bearer, request_body, small_problem
from tests.service.ocpp.conftest import TENANT, Live
from tests.service.ocpp.test_dispatch import problem_now

pytestmark = pytest.mark.parametrize("live", ["jobs"], indirect=True)


def plan_and_approve(live: Live, client: httpx.AsyncClient, key: dict[str, str]) -> Any:
    async def go() -> str:
        body = request_body(small_problem(2))
        body["problem"] = problem_now(2)
        decision = (await client.post("/v1/decisions", json=body, headers=key)).json()
        approved = await client.post(f"/v1/decisions/{decision['decision_id']}/approve", headers=key)
        assert approved.status_code == 200, approved.text
        return decision["decision_id"]

    return go()


async def results(client: httpx.AsyncClient, decision_id: str, key: dict[str, str], n: int, wait_s: float = 30):
    end = time.monotonic() + wait_s
    rows: list[dict[str, Any]] = []
    while time.monotonic() < end:
        rows = (await client.get(f"/v1/decisions/{decision_id}/commands", headers=key)).json()
        if len(rows) == n and all(r["state"] == "done" for r in rows):
            return {r["command_id"].split("/")[3]: r["result"] for r in rows}
        await asyncio.sleep(0.1)
    raise AssertionError(f"commands not done: {rows}")


def test_a_rejected_profile_ends_the_command_as_rejected_after_one_attempt(live: Live) -> None:
    key = bearer(live.store.create_key(TENANT, frozenset({"admin"})))

    async def run() -> dict[str, Any]:
        async with (
            connected(live.ws, "ac0", live.keys["ac0"], "1.6", Behaviour(reject_profiles=True)),
            connected(live.ws, "ac1", live.keys["ac1"], "2.0.1", Behaviour(reject_profiles=True)),
            httpx.AsyncClient(base_url=live.http, timeout=60) as client,
        ):
            decision_id = await plan_and_approve(live, client, key)
            return await results(client, decision_id, key, 2)

    out = asyncio.run(run())
    assert {r["outcome"] for r in out.values()} == {"rejected"} and {r["attempts"] for r in out.values()} == {1}
    assert {s["answer"] for s in live.app.state.central.sessions.schedules(TENANT)} == {"rejected"}
    # each rejection is a charger event: audited, and the depot re-planned without the charger
    end = time.monotonic() + 30
    while time.monotonic() < end and len(live.store.list_decisions(TENANT)[0]) < 3:
        time.sleep(0.1)
    found = [e for e in live.store.audit_log(TENANT, limit=1000)[0] if e["action"] == "charger.event"]
    assert sorted((e["resource"].split(":")[1], e["detail"]["kind"]) for e in found) == [
        ("ac0", "rejected_profile"),
        ("ac1", "rejected_profile"),
    ]
    assert len(live.store.list_decisions(TENANT)[0]) == 3  # the decision and a re-plan per event


def test_an_answer_after_the_timeout_is_retried_and_the_profile_installed_once(live: Live) -> None:
    """The charger answers the first call 3 s late (the call's timeout is 2 s): the command is sent again after
    its backoff; the same profile id replaces itself, so the charger holds one profile."""
    key = bearer(live.store.create_key(TENANT, frozenset({"admin"})))

    async def run() -> tuple[dict[str, Any], int, int]:
        slow = Behaviour(answer_delay_s=3.0, late_answers=1)
        async with (
            connected(live.ws, "ac0", live.keys["ac0"], "1.6", slow) as sim0,
            connected(live.ws, "ac1", live.keys["ac1"], "2.0.1", Behaviour(answer_delay_s=3.0, late_answers=1)) as sim1,
            httpx.AsyncClient(base_url=live.http, timeout=60) as client,
        ):
            decision_id = await plan_and_approve(live, client, key)
            out = await results(client, decision_id, key, 2)
            return out, len(sim0.model.profiles), len(sim1.model.profiles)

    out, n0, n1 = asyncio.run(run())
    assert {r["outcome"] for r in out.values()} == {"confirmed"}
    assert {r["attempts"] for r in out.values()} == {2}
    assert (n0, n1) == (1, 1)
    assert len(live.app.state.central.sessions.schedules(TENANT)) == 2  # one record per command


def test_a_command_for_an_offline_charger_is_sent_when_it_connects(live: Live) -> None:
    key = bearer(live.store.create_key(TENANT, frozenset({"admin"})))

    async def run() -> tuple[dict[str, Any], int]:
        async with (
            connected(live.ws, "ac0", live.keys["ac0"], "1.6"),
            httpx.AsyncClient(base_url=live.http, timeout=60) as client,
        ):
            decision_id = await plan_and_approve(live, client, key)
            await asyncio.sleep(1.5)  # ac1 is offline through the first attempts
            async with connected(live.ws, "ac1", live.keys["ac1"], "2.0.1") as sim1:
                out = await results(client, decision_id, key, 2)
                return out, len(sim1.model.profiles)

    out, n1 = asyncio.run(run())
    assert out["ac0"]["attempts"] == 1 and out["ac1"]["attempts"] >= 2
    assert {r["outcome"] for r in out.values()} == {"confirmed"} and n1 == 1
