"""Charger events re-plan the depot (issue 19.6): a fault, an offline charger, a session the charger cuts short.
Each is audited once, lowers the charger's reliability and makes a decision whose trigger names it."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from service.ocpp.simulated import connected
from tests.service.conftest import bearer, request_body, small_problem
from tests.service.ocpp.conftest import TENANT, Live
from tests.service.ocpp.test_dispatch import problem_now


def first_decision(client: httpx.Client, key: dict[str, str]) -> dict[str, Any]:
    body = request_body(small_problem(2))
    body["problem"] = problem_now(2)
    created = client.post("/v1/decisions", json=body, headers=key)
    assert created.status_code == 201, created.text
    return created.json()


def decisions_after(client: httpx.Client, key: dict[str, str], n: int, seconds: float = 30) -> list[dict[str, Any]]:
    end = time.monotonic() + seconds
    items: list[dict[str, Any]] = []
    while time.monotonic() < end:
        items = client.get("/v1/decisions", headers=key).json()["items"]
        if len(items) >= n:
            return [client.get(f"/v1/decisions/{i['decision_id']}", headers=key).json() for i in items]
        time.sleep(0.1)
    raise AssertionError(f"{len(items)} decisions, expected {n}")


def events(live: Live) -> list[dict[str, Any]]:
    return [e for e in live.store.audit_log(TENANT, limit=1000)[0] if e["action"] == "charger.event"]


def reliability(client: httpx.Client, key: dict[str, str], charger: str) -> float:
    return next(c["reliability"] for c in client.get("/v1/chargers", headers=key).json() if c["charger_id"] == charger)


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_a_faulted_charger_re_plans_its_depot_without_it(live: Live, version: str) -> None:
    key = bearer(live.store.create_key(TENANT, frozenset({"admin"})))

    async def run() -> tuple[dict, list[dict], float]:
        async with (
            connected(live.ws, "ac0", live.keys["ac0"], version),
            connected(live.ws, "ac1", live.keys["ac1"], version) as sim1,
        ):
            with httpx.Client(base_url=live.http, timeout=60) as client:
                first = await asyncio.to_thread(first_decision, client, key)
                await sim1.status("Faulted", "GroundFailure")
                await sim1.status("Faulted", "GroundFailure")  # the same status again: no second event
                items = await asyncio.to_thread(decisions_after, client, key, 2)
                await asyncio.sleep(0.5)
                return first, items, reliability(client, key, "ac1")

    first, items, score = asyncio.run(run())
    assert len(items) == 2
    replan = items[0]
    trigger = replan["trace"]["trigger"]
    assert trigger["kind"] == "charger_unavailable" and trigger["event"] == "faulted"
    assert trigger["charger_id"] == "ac1" and trigger["based_on"] == first["decision_id"]
    assert all(s["charger_id"] != "ac1" for v in replan["plan"]["vehicles"] for s in v["sessions"])
    assert any(s["charger_id"] == "ac1" for v in first["plan"]["vehicles"] for s in v["sessions"])
    assert [e["detail"]["kind"] for e in events(live)] == ["faulted"]
    assert score == pytest.approx(1 / 3)  # (1 + 0 completed) / (2 + 0 + 1 failure)


def test_a_charger_that_stays_away_past_the_grace_is_offline_and_a_blip_is_nothing(live: Live) -> None:
    key = bearer(live.store.create_key(TENANT, frozenset({"admin"})))

    async def run() -> list[dict]:
        async with connected(live.ws, "ac0", live.keys["ac0"], "2.0.1"):
            with httpx.Client(base_url=live.http, timeout=60) as client:
                await asyncio.to_thread(first_decision, client, key)
                async with connected(live.ws, "ac1", live.keys["ac1"], "2.0.1"):
                    pass
                async with connected(live.ws, "ac1", live.keys["ac1"], "2.0.1"):  # back within the 1 s grace
                    await asyncio.sleep(1.5)
                    assert events(live) == []
                return await asyncio.to_thread(decisions_after, client, key, 2)  # gone for good now

    items = asyncio.run(run())
    assert [e["detail"]["kind"] for e in events(live)] == ["offline"]
    assert items[0]["trace"]["trigger"]["event"] == "offline"
    assert all(s["charger_id"] != "ac1" for v in items[0]["plan"]["vehicles"] for s in v["sessions"])


def test_a_session_the_charger_cuts_short_re_plans_and_counts_against_it(live: Live) -> None:
    key = bearer(live.store.create_key(TENANT, frozenset({"admin"})))

    async def run() -> tuple[list[dict], float]:
        async with (
            connected(live.ws, "ac0", live.keys["ac0"], "1.6") as sim0,
            connected(live.ws, "ac1", live.keys["ac1"], "1.6") as sim1,
        ):
            with httpx.Client(base_url=live.http, timeout=60) as client:
                first = await asyncio.to_thread(first_decision, client, key)
                sims = {"ac0": sim0, "ac1": sim1}
                charger, vehicle = next(
                    (s["charger_id"], v["vehicle_id"]) for v in first["plan"]["vehicles"] for s in v["sessions"]
                )
                sim = sims[charger]
                await sim.plug_in(vehicle)
                await sim.unplug("PowerLoss")  # hours before the planned plug-out
                items = await asyncio.to_thread(decisions_after, client, key, 2)
                await asyncio.sleep(0.3)
                return items, reliability(client, key, charger)

    items, score = asyncio.run(run())
    (event,) = events(live)
    assert event["detail"]["kind"] == "stopped_early" and event["detail"]["by"] == "charger"
    assert items[0]["trace"]["trigger"]["event"] == "stopped_early"
    assert score == pytest.approx(1 / 3)  # the session the charger ended counts as a failure


def test_a_charger_dropping_offline_mid_session_re_plans_and_its_late_stop_counts_the_energy_once(live: Live) -> None:
    """The charger of a running session loses its connection: past the grace it is offline (a re-plan without it);
    when it comes back it sends what it queued (a meter value and the stop) and the session closes with its
    metered energy, once."""
    key = bearer(live.store.create_key(TENANT, frozenset({"admin"})))

    async def run() -> tuple[str, str, list[dict]]:
        with httpx.Client(base_url=live.http, timeout=60) as client:
            first = await asyncio.to_thread(first_decision, client, key)
            charger, vehicle = next(
                (s["charger_id"], v["vehicle_id"]) for v in first["plan"]["vehicles"] for s in v["sessions"]
            )
            other = "ac1" if charger == "ac0" else "ac0"
            async with connected(live.ws, other, live.keys[other], "1.6"):
                async with connected(live.ws, charger, live.keys[charger], "1.6") as sim:
                    tx = await sim.plug_in(vehicle)
                    sim.model.meter_wh += 4000
                    await sim.report_meter(11000.0)
                    model = sim.model
                items = await asyncio.to_thread(decisions_after, client, key, 2)  # offline past the 1 s grace
                async with connected(live.ws, charger, live.keys[charger], "1.6") as back:
                    back.model = model  # the same charger: its transaction and meter survived the outage
                    back.model.meter_wh += 1500
                    await back.report_meter(6000.0)
                    await back.unplug("EVDisconnected")
                    back.model.transaction_id = tx
                    await back.unplug("EVDisconnected")  # sent again: it never saw our answer
            return charger, tx, items

    charger, tx, items = asyncio.run(run())
    assert items[0]["trace"]["trigger"]["event"] == "offline"
    assert all(s["charger_id"] != charger for v in items[0]["plan"]["vehicles"] for s in v["sessions"])
    session = live.app.state.central.sessions.get(charger, tx)
    assert session is not None and session.stopped is not None
    assert session.energy_wh == pytest.approx(5500.0)  # 4 kWh before the outage + 1.5 kWh after, counted once
    stops = [
        e
        for e in live.app.state.telemetry.events_of(TENANT, session.vehicle_id)
        if e["values"].get("state") == "stopped"
    ]
    assert len(stops) == 1
