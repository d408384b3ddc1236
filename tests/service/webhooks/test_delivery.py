"""Webhook delivery end to end: a subscriber on 127.0.0.1 verifies each request with its secret (the Standard
Webhooks reference library), answers 500 twice and then 200 (retried, same message id, delivered once), and
later 410 (the subscription is disabled and gets nothing more)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from aiohttp import web
from standardwebhooks.webhooks import Webhook

from service.ocpp.simulated import connected
from tests.service.conftest import bearer, request_body, small_problem
from tests.service.ocpp.conftest import TENANT, Live, free_port
from tests.service.ocpp.test_dispatch import problem_now, shifted

pytestmark = pytest.mark.parametrize("live", ["jobs"], indirect=True)


class Subscriber:
    """Answers with the next status of ``answers`` (200 once they run out) and keeps what it verified."""

    def __init__(self, answers: list[int]) -> None:
        self.answers, self.secret = answers, ""
        self.received: list[dict[str, Any]] = []

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.text()
        headers = {k.lower(): v for k, v in request.headers.items()}
        payload = Webhook(self.secret).verify(body, headers)  # raises on a bad signature or an old timestamp
        self.received.append({"id": headers["webhook-id"], "type": payload["type"], "data": payload["data"]})
        return web.Response(status=self.answers.pop(0) if self.answers else 200)


async def serve(sub: Subscriber) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_post("/hook", sub.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}/hook"


def test_events_are_signed_retried_delivered_once_and_a_410_unsubscribes(live: Live, monkeypatch) -> None:
    live.app.state.webhooks.backoff_s = 0.2
    admin = bearer(live.store.create_key(TENANT, frozenset({"admin"})))
    sub = Subscriber([500, 500, 200, 410])

    async def run() -> tuple[dict, list[dict], list[dict]]:
        runner, url = await serve(sub)
        try:
            async with httpx.AsyncClient(base_url=live.http, timeout=60) as client:
                made = (
                    await client.post(
                        "/v1/webhooks", json={"url": url, "events": ["charger.unavailable"]}, headers=admin
                    )
                ).json()
                sub.secret = made["secret"]
                body = request_body(small_problem(2))
                body["problem"] = problem_now(2)
                assert (await client.post("/v1/decisions", json=body, headers=admin)).status_code == 201
                async with (
                    connected(live.ws, "ac0", live.keys["ac0"], "1.6") as sim0,
                    connected(live.ws, "ac1", live.keys["ac1"], "1.6") as sim1,
                ):
                    await sim1.status("Faulted", "GroundFailure")
                    await _until(lambda: len(sub.received) >= 3)
                    await sim0.status("Faulted", "OverCurrentFailure")
                    await _until(lambda: len(sub.received) >= 4)
                    await _until(lambda: not _enabled(live, made["id"]))
                    await sim1.status("Available")
                    await sim1.status("Unavailable")  # a third event: nobody is subscribed any more
                    await asyncio.sleep(1.0)
                listed = (await client.get("/v1/webhooks", headers=admin)).json()
                deliveries = (await client.get("/v1/webhooks/deliveries", headers=admin)).json()
                return made, listed, deliveries
        finally:
            await runner.cleanup()

    made, listed, deliveries = asyncio.run(run())
    assert made["secret"].startswith("whsec_") and all(s.get("secret") is None for s in listed)
    first, second = sub.received[0]["id"], sub.received[3]["id"]
    assert [r["id"] for r in sub.received] == [first, first, first, second]  # retried with the same id
    assert first != second and len(sub.received) == 4  # nothing after the 410
    assert sub.received[0]["data"]["charger_id"] == "ac1" and sub.received[3]["data"]["event"] == "faulted"
    assert [(d["attempt"], d["status"]) for d in deliveries] == [(1, 500), (2, 500), (3, 200), (1, 410)]
    assert listed[0]["enabled"] is False and "410" in listed[0]["disabled_reason"]


def _enabled(live: Live, subscription_id: int) -> bool:
    from service.webhooks.subscriptions import Subscriptions

    sub = Subscriptions(live.store.engine).get(TENANT, subscription_id)
    return sub is not None and sub.enabled


async def _until(condition: Any, seconds: float = 20.0) -> None:
    end = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > end:
            raise AssertionError("timed out")
        await asyncio.sleep(0.05)


def test_a_bad_url_or_event_type_is_named(live: Live) -> None:
    admin = bearer(live.store.create_key(TENANT, frozenset({"admin"})))
    reader = bearer(live.store.create_key(TENANT, frozenset({"read"})))
    with httpx.Client(base_url=live.http, timeout=30) as client:
        bad_url = client.post("/v1/webhooks", json={"url": "ftp://x"}, headers=admin)
        assert bad_url.status_code == 422 and "url" in bad_url.text
        bad_event = client.post("/v1/webhooks", json={"url": "https://x.example", "events": ["nope"]}, headers=admin)
        assert bad_event.status_code == 422 and "nope" in bad_event.text
        assert client.post("/v1/webhooks", json={"url": "https://x.example"}, headers=reader).status_code == 403
        made = client.post("/v1/webhooks", json={"url": "https://x.example"}, headers=admin).json()
        rotated = client.post(f"/v1/webhooks/{made['id']}/rotate", headers=admin).json()
        assert rotated["secret"] != made["secret"] and rotated["secret"].startswith("whsec_")
        assert client.post("/v1/webhooks/999/rotate", headers=admin).status_code == 404


def test_a_triggered_re_plan_sends_its_new_alerts(live: Live) -> None:
    """Two vans that cannot both be ready in 2 h; a charger faults: the re-plan's new alert (the van that depended
    on it) reaches an ``alert.raised`` subscriber once, signed; conditions already raised are not sent again."""
    live.app.state.webhooks.backoff_s = 0.2
    admin = bearer(live.store.create_key(TENANT, frozenset({"admin"})))
    sub = Subscriber([])

    async def run() -> None:
        runner, url = await serve(sub)
        try:
            async with httpx.AsyncClient(base_url=live.http, timeout=60) as client:
                made = (
                    await client.post("/v1/webhooks", json={"url": url, "events": ["alert.raised"]}, headers=admin)
                ).json()
                sub.secret = made["secret"]
                body = request_body(small_problem(2))
                real = datetime.now(UTC)
                start = real - timedelta(minutes=real.minute % 15, seconds=real.second, microseconds=real.microsecond)
                p = small_problem(2, hours=2.0, energy=25.0).model_dump(mode="json", by_alias=True)
                body["problem"] = shifted(p, start - datetime.fromisoformat(p["now"]))
                assert (await client.post("/v1/decisions", json=body, headers=admin)).status_code == 201
                async with connected(live.ws, "ac1", live.keys["ac1"], "1.6") as sim1:
                    await sim1.status("Faulted", "GroundFailure")
                    await _until(lambda: any("charger_offline" in r["data"]["key"] for r in sub.received))
                    await asyncio.sleep(1.0)
        finally:
            await runner.cleanup()

    asyncio.run(run())
    assert {r["type"] for r in sub.received} == {"alert.raised"}
    ids = [r["id"] for r in sub.received]
    assert len(ids) == len(set(ids))  # delivered once each
    keys = [r["data"]["key"] for r in sub.received]
    assert all(not k.startswith(("soc_below_target", "plan_infeasible")) or keys.count(k) == 1 for k in keys)
    offline = next(r["data"] for r in sub.received if r["data"]["key"].startswith("charger_offline"))
    assert offline["priority"] in ("P1", "P2") and offline["departures"] and offline["action"]
