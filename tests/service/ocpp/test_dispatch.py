"""An approved decision reaches the chargers: the right profiles arrive (read back through GetCompositeSchedule
slot by slot against the plan, by hand), meter values flow back and the sessions close with the plan's energy."""

from __future__ import annotations

import asyncio
import math
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from service.ocpp.simulated import charge_slots, connected
from tests.service.conftest import bearer, request_body, small_problem
from tests.service.ocpp.conftest import TENANT, Live

SLOT = timedelta(minutes=15)


def shifted(value: Any, delta: timedelta) -> Any:
    """Every ISO time in a JSON value moved by ``delta``."""
    if isinstance(value, dict):
        return {k: shifted(v, delta) for k, v in value.items()}
    if isinstance(value, list):
        return [shifted(v, delta) for v in value]
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T":
        try:
            return (datetime.fromisoformat(value) + delta).isoformat()
        except ValueError:
            return value
    return value


def problem_now(n: int = 2) -> dict[str, Any]:
    """small_problem(n) moved so that its ``now`` is the start of the current quarter hour."""
    p = small_problem(n).model_dump(mode="json", by_alias=True)
    real = datetime.now(UTC)
    slot_start = real - timedelta(minutes=real.minute % 15, seconds=real.second, microseconds=real.microsecond)
    return shifted(p, slot_start - datetime.fromisoformat(p["now"]))


def expected_limit(kw: float, unit: str) -> float:
    """By hand: W = 1000 kW; A = 1000 kW / (230 V x 3 phases); rounded down to 0.1."""
    value = kw * 1000 if unit == "W" else kw * 1000 / 690
    return math.floor(value * 10 + 1e-6) / 10


def wait_commands(client: httpx.Client, decision_id: str, n: int, key: dict[str, str]) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        rows = client.get(f"/v1/decisions/{decision_id}/commands", headers=key).json()
        if len(rows) == n and all(r["state"] == "done" for r in rows):
            return rows
        time.sleep(0.1)
    raise AssertionError(f"commands not done: {rows}")


@pytest.mark.parametrize("live", ["jobs"], indirect=True)
@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_an_approved_plan_is_followed_by_the_chargers(live: Live, version: str) -> None:
    approver = bearer(live.store.create_key(TENANT, frozenset({"read", "plan", "approve"})))
    units = {"ac0": "W", "ac1": "A"}

    async def run() -> dict[str, Any]:
        async with (
            connected(live.ws, "ac0", live.keys["ac0"], version) as sim0,
            connected(live.ws, "ac1", live.keys["ac1"], version) as sim1,
        ):
            sims = {"ac0": sim0, "ac1": sim1}
            async with httpx.AsyncClient(base_url=live.http, timeout=60) as client:
                created = await client.post("/v1/decisions", json=request_body_now(), headers=approver)
                assert created.status_code == 201, created.text
                decision = created.json()
                # the vehicle planned on ac0 plugs in before the approval: its profile binds to the transaction
                sessions = {s["charger_id"]: (v, s) for v in decision["plan"]["vehicles"] for s in v["sessions"]}
                plugged_vehicle = sessions["ac0"][0]["vehicle_id"]
                tx = await sim0.plug_in(plugged_vehicle)
                approved = await client.post(f"/v1/decisions/{decision['decision_id']}/approve", headers=approver)
                assert approved.status_code == 200, approved.text
                rows = await asyncio.to_thread(
                    wait_commands, httpx.Client(base_url=live.http), decision["decision_id"], 2, approver
                )
            out: dict[str, Any] = {"decision": decision, "rows": rows, "tx": tx, "energy": {}}
            for charger, sim in sims.items():
                _vehicle, session = sessions[charger]
                [profile] = sim.model.profiles.values()  # one profile per charger: ours
                out[charger] = profile
                slots = round((datetime.fromisoformat(session["plug_out"]) - profile.start) / SLOT)
                if charger == "ac0":
                    out["energy"][charger] = await charge_slots(sim, slots, 900, profile.start)
                    await sim.unplug()
            return out

    def request_body_now() -> dict[str, Any]:
        body = request_body(small_problem(2))
        body["problem"] = problem_now(2)
        return body

    out = asyncio.run(run())
    assert {r["result"]["outcome"] for r in out["rows"]} == {"confirmed"}, [
        r["result"] for r in out["rows"]
    ]  # read back through GetCompositeSchedule
    plan = out["decision"]["plan"]
    starts = [datetime.fromisoformat(s) for s in plan["slot_starts"]]
    for charger, unit in units.items():
        profile = out[charger]
        vp = next(v for v in plan["vehicles"] if any(s["charger_id"] == charger for s in v["sessions"]))
        assert profile.purpose == ("TxProfile" if charger == "ac0" else "TxDefaultProfile")
        assert profile.transaction_id == (out["tx"] if charger == "ac0" else None)
        assert profile.unit == unit and profile.stack_level == (1 if charger == "ac0" else 2)
        first = starts.index(profile.start)
        for k in range(first, len(starts)):
            offset = (starts[k] - profile.start).total_seconds()
            if offset >= profile.duration_s:
                break
            limit = [lim for s, lim in profile.periods if s <= offset][-1]
            assert limit == expected_limit(vp["power_kw"][k], unit), (charger, k)
    # the plugged session closes with the plan's energy from its first dispatched slot on (0.1 W resolution)
    vp = next(v for v in plan["vehicles"] if any(s["charger_id"] == "ac0" for s in v["sessions"]))
    first = starts.index(out["ac0"].start)
    planned_wh = sum(vp["power_kw"][first:]) * 250
    session = live.app.state.central.sessions.get("ac0", out["tx"])
    assert session.stopped is not None
    assert session.energy_wh == pytest.approx(out["energy"]["ac0"], abs=1)
    assert session.energy_wh == pytest.approx(planned_wh, abs=len(vp["power_kw"]) * 0.1 * 0.25 + 1)
    sent = live.app.state.central.sessions.schedules(TENANT)
    assert sorted(s["charger_id"] for s in sent) == ["ac0", "ac1"] and {s["answer"] for s in sent} == {"accepted"}
    audit = [e for e in live.store.audit_log(TENANT)[0] if e["action"] == "decision.dispatch"]
    assert len(audit) == 1


@pytest.mark.parametrize("live", ["jobs"], indirect=True)
def test_a_decision_dispatched_again_sends_no_command_twice(live: Live) -> None:
    """The commands of an approval go out as one batch. Dispatched again as it is, the decision gives the same
    command ids and sends nothing; dispatched again once the vehicle planned on ac0 has plugged in, only ac0 gets a
    new command (a TxProfile for the transaction), and ac1's unchanged schedule is not sent a second time."""
    key = bearer(live.store.create_key(TENANT, frozenset({"admin"})))

    async def run() -> dict[str, Any]:
        async with (
            connected(live.ws, "ac0", live.keys["ac0"], "1.6") as sim0,
            connected(live.ws, "ac1", live.keys["ac1"], "2.0.1") as sim1,
            httpx.AsyncClient(base_url=live.http, timeout=60) as client,
        ):
            body = request_body(small_problem(2))
            body["problem"] = problem_now(2)
            decision = (await client.post("/v1/decisions", json=body, headers=key)).json()
            did = decision["decision_id"]
            assert (await client.post(f"/v1/decisions/{did}/approve", headers=key)).status_code == 200
            out: dict[str, Any] = {
                "rows": await asyncio.to_thread(wait_commands, httpx.Client(base_url=live.http), did, 2, key)
            }
            out["calls"] = [(sim0.calls_received, sim1.calls_received)]
            out["same"] = await client.post(f"/v1/decisions/{did}/dispatch", headers=key)
            await asyncio.sleep(1.0)  # time for a wrongly repeated command to arrive
            out["calls"].append((sim0.calls_received, sim1.calls_received))
            out["listed"] = (await client.get(f"/v1/decisions/{did}/commands", headers=key)).json()
            planned = next(
                v for v in decision["plan"]["vehicles"] if any(x["charger_id"] == "ac0" for x in v["sessions"])
            )
            await sim0.plug_in(planned["vehicle_id"])
            out["plugged"] = await client.post(f"/v1/decisions/{did}/dispatch", headers=key)
            out["after"] = await asyncio.to_thread(wait_commands, httpx.Client(base_url=live.http), did, 4, key)
            out["calls"].append((sim0.calls_received, sim1.calls_received))
            return out

    out = asyncio.run(run())
    first = sorted(r["command_id"] for r in out["rows"])
    assert out["same"].status_code == 202, out["same"].text
    assert sorted(c["command_id"] for c in out["same"].json()["commands"]) == first and out["listed"] == out["rows"]
    # SetChargingProfile and GetCompositeSchedule each, then nothing more; then ClearChargingProfile on ac0 and its
    # TxProfile with the read-back, nothing on ac1
    assert out["calls"] == [(2, 2), (2, 2), (5, 2)]
    again = sorted(c["command_id"] for c in out["plugged"].json()["commands"])
    new = [c.split("/", 3)[3] for c in again if c not in first]
    assert (
        len(again) == 3 and new[0].startswith("ac0/clear/tx_default-") and new[1].startswith("ac0/set_schedule/tx-")
    ), again
    assert sorted(r["result"]["outcome"] for r in out["after"]) == ["accepted", "confirmed", "confirmed", "confirmed"]
    sent = live.app.state.central.sessions.schedules(TENANT)
    assert sorted((s["charger_id"], s["schedule"]["purpose"], s["answer"]) for s in sent) == [
        ("ac0", "tx", "accepted"),
        ("ac0", "tx_default", "accepted"),
        ("ac0", "tx_default", "cleared"),
        ("ac1", "tx_default", "accepted"),
    ]


@pytest.mark.parametrize("live", ["jobs"], indirect=True)
def test_a_shadow_decision_is_never_dispatched_and_a_read_key_cannot_dispatch(live: Live) -> None:
    admin = bearer(live.store.create_key(TENANT, frozenset({"admin"})))
    reader = bearer(live.store.create_key(TENANT, frozenset({"read"})))
    with httpx.Client(base_url=live.http, timeout=60) as client:
        body = request_body(small_problem(2), policy="municipal_saver")
        body["problem"] = problem_now(2)
        decision = client.post("/v1/decisions", json=body, headers=admin).json()
        refused = client.post(f"/v1/decisions/{decision['decision_id']}/dispatch", headers=admin)
        assert refused.status_code == 409 and "shadow" in refused.json()["detail"]
        body["policy"] = "courier"
        assisted = client.post("/v1/decisions", json=body, headers=admin).json()
        not_yet = client.post(f"/v1/decisions/{assisted['decision_id']}/dispatch", headers=admin)
        assert not_yet.status_code == 409 and "approve it" in not_yet.json()["detail"]
        assert client.post(f"/v1/decisions/{assisted['decision_id']}/dispatch", headers=reader).status_code == 403
    assert not [e for e in live.store.audit_log(TENANT)[0] if e["action"] == "decision.dispatch"]


@pytest.mark.parametrize("live", ["jobs"], indirect=True)
def test_remote_start_and_stop_are_durable_commands_refused_in_shadow_mode(live: Live) -> None:
    approver = bearer(live.store.create_key(TENANT, frozenset({"read", "plan", "approve"})))
    reader = bearer(live.store.create_key(TENANT, frozenset({"read"})))

    async def run() -> dict[str, Any]:
        async with (
            connected(live.ws, "ac0", live.keys["ac0"], "2.0.1") as sim,
            httpx.AsyncClient(base_url=live.http, timeout=60) as client,
        ):
            out: dict[str, Any] = {}
            start = {"vehicle_id": "v1"}
            once = {**approver, "Idempotency-Key": "k1"}
            out["start"] = (await client.post("/v1/chargers/ac0/start", json=start, headers=once)).json()
            out["again"] = (await client.post("/v1/chargers/ac0/start", json=start, headers=once)).json()
            out["read"] = (await client.post("/v1/chargers/ac0/start", json=start, headers=reader)).status_code
            out["idle stop"] = (await client.post("/v1/chargers/ac0/stop", headers=approver)).status_code
            tx = await sim.plug_in("v1")
            twice = {**approver, "Idempotency-Key": "k2"}
            out["running"] = (await client.post("/v1/chargers/ac0/start", json=start, headers=twice)).json()
            out["stop"] = (await client.post("/v1/chargers/ac0/stop", headers=approver)).json()
            out["tx"] = tx
            body = request_body(small_problem(2), policy="municipal_saver")
            body["problem"] = problem_now(2)
            assert (await client.post("/v1/decisions", json=body, headers=approver)).status_code == 201
            shadow = await client.post("/v1/chargers/ac0/start", json=start, headers=approver)
            out["shadow"] = (shadow.status_code, shadow.json()["detail"])
            return out

    out = asyncio.run(run())
    assert out["start"]["result"]["outcome"] == "accepted"
    assert out["again"]["command_id"] == out["start"]["command_id"]  # the same key: the same command
    assert out["read"] == 403 and out["idle stop"] == 409
    assert out["running"]["result"]["detail"] == f"transaction {out['tx']} already runs"  # not started twice
    assert out["stop"]["result"]["outcome"] == "accepted"
    assert out["shadow"][0] == 409 and "shadow" in out["shadow"][1]
    actions = [e["action"] for e in live.store.audit_log(TENANT, limit=1000)[0] if e["action"].startswith("charger.")]
    assert actions == ["charger.start", "charger.start", "charger.start", "charger.stop"]


@pytest.mark.parametrize("live", ["jobs"], indirect=True)
def test_a_re_plan_that_moves_a_session_off_a_charger_clears_our_default_profile_there(live: Live) -> None:
    """Plan 1 gives ac1 a TxDefaultProfile for a later arrival; plan 2 (ac1 out of service) gives it nothing: left
    in place, the old profile would limit whichever vehicle plugs into ac1 in that window, so it is cleared."""
    key = bearer(live.store.create_key(TENANT, frozenset({"admin"})))

    async def run() -> tuple[int, int, list[dict[str, Any]]]:
        async with (
            connected(live.ws, "ac0", live.keys["ac0"], "1.6"),
            connected(live.ws, "ac1", live.keys["ac1"], "2.0.1") as sim1,
            httpx.AsyncClient(base_url=live.http, timeout=60) as client,
        ):
            body = request_body(small_problem(2))
            body["problem"] = problem_now(2)
            first = (await client.post("/v1/decisions", json=body, headers=key)).json()
            await client.post(f"/v1/decisions/{first['decision_id']}/approve", headers=key)
            await asyncio.to_thread(wait_commands, httpx.Client(base_url=live.http), first["decision_id"], 2, key)
            before = len(sim1.model.profiles)
            for c in body["problem"]["chargers"]:
                c["status"] = "faulted" if c["id"] == "ac1" else c["status"]
            second = (await client.post("/v1/decisions", json=body, headers=key)).json()
            await client.post(f"/v1/decisions/{second['decision_id']}/approve", headers=key)
            rows = await asyncio.to_thread(
                wait_commands, httpx.Client(base_url=live.http), second["decision_id"], 2, key
            )
            return before, len(sim1.model.profiles), rows

    before, after, rows = asyncio.run(run())
    assert (before, after) == (1, 0)
    clear = [r for r in rows if "/ac1/clear" in r["command_id"]]
    assert len(clear) == 1 and clear[0]["result"]["outcome"] == "accepted"
    answers = [(s["charger_id"], s["answer"]) for s in live.app.state.central.sessions.schedules(TENANT)]
    assert answers.count(("ac1", "cleared")) == 1


@pytest.mark.parametrize("live", ["jobs"], indirect=True)
def test_an_approval_stands_when_its_dispatch_fails_and_the_failure_is_audited(live: Live, monkeypatch) -> None:
    from service.ocpp import dispatch as dispatch_module

    async def broken(*_args, **_kwargs):
        raise RuntimeError("job store unreachable")

    monkeypatch.setattr(dispatch_module, "dispatch", broken)
    key = bearer(live.store.create_key(TENANT, frozenset({"admin"})))
    with httpx.Client(base_url=live.http, timeout=60) as client:
        body = request_body(small_problem(2))
        body["problem"] = problem_now(2)
        decision = client.post("/v1/decisions", json=body, headers=key).json()
        approved = client.post(f"/v1/decisions/{decision['decision_id']}/approve", headers=key)
    assert approved.status_code == 200 and approved.json()["review"] == "approved"
    (failed,) = [e for e in live.store.audit_log(TENANT)[0] if e["action"] == "decision.dispatch_failed"]
    assert "job store unreachable" in failed["detail"]["error"]


@pytest.mark.parametrize("live", ["jobs"], indirect=True)
def test_a_batch_that_fails_lists_its_commands_as_failed_and_a_new_dispatch_sends_them(live: Live, monkeypatch) -> None:
    """The store refuses the batch's record of what the chargers answered: the batch workflow fails and its commands
    are listed as failed, not as running for ever. Once the store takes records again, dispatching the decision
    again sends them in a new batch, and they are confirmed."""
    sessions = live.app.state.central.sessions
    works = sessions.schedules_sent

    def refused(_sent) -> int:
        raise RuntimeError("store unreachable")

    monkeypatch.setattr(sessions, "schedules_sent", refused)
    key = bearer(live.store.create_key(TENANT, frozenset({"admin"})))

    async def settled(client: httpx.AsyncClient, did: str) -> list[dict[str, Any]]:
        for _ in range(100):
            rows = (await client.get(f"/v1/decisions/{did}/commands", headers=key)).json()
            if len(rows) == 2 and all(r["state"] != "running" for r in rows):
                return rows
            await asyncio.sleep(0.1)
        raise AssertionError(rows)

    async def run() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        async with (
            connected(live.ws, "ac0", live.keys["ac0"], "1.6"),
            connected(live.ws, "ac1", live.keys["ac1"], "2.0.1"),
            httpx.AsyncClient(base_url=live.http, timeout=60) as client,
        ):
            body = request_body(small_problem(2))
            body["problem"] = problem_now(2)
            did = (await client.post("/v1/decisions", json=body, headers=key)).json()["decision_id"]
            assert (await client.post(f"/v1/decisions/{did}/approve", headers=key)).status_code == 200
            failed = await settled(client, did)
            monkeypatch.setattr(sessions, "schedules_sent", works)
            assert (await client.post(f"/v1/decisions/{did}/dispatch", headers=key)).status_code == 202
            return failed, await settled(client, did)

    failed, again = asyncio.run(run())
    assert [(r["state"], r["result"]) for r in failed] == [("failed", None), ("failed", None)]
    assert [r["command_id"] for r in again] == [r["command_id"] for r in failed]
    assert [(r["state"], r["result"]["outcome"]) for r in again] == [("done", "confirmed"), ("done", "confirmed")]
    assert sorted(s["charger_id"] for s in sessions.schedules(TENANT)) == ["ac0", "ac1"]
