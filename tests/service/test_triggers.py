"""Telemetry triggers: a crossing below the departure target, a charger fault and a late arrival each re-plan the
depot's latest decision once, from now, with the telemetry state, under the policy's mode."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.results import Decision
from engine.telemetry.triggers import planned_soc_at
from service.telemetry_store import TelemetryStore
from service.triggers import TriggerWatch
from tests.engine.schedule.factory import NOW
from tests.service.conftest import request_body, small_problem


@pytest.fixture
def planned(client, keys, store):
    """Two 50 kWh vans at 10 %, leaving at 08:00 (factory NOW + 8 h), planned under the courier policy."""
    p = small_problem()
    store.put_fleet("acme", "depot", p.model_dump(mode="json", by_alias=True))
    r = client.post("/v1/decisions/", json=request_body(p, policy="courier"), headers=keys.planner)
    assert r.status_code == 201
    return Decision.model_validate(r.json())


def event(eid: str, typ: str, values: dict, at, vehicle: str = "v1") -> dict:
    return {
        "event_id": eid,
        "vehicle_id": vehicle,
        "source": "t",
        "event_time": at.isoformat(),
        "type": typ,
        "values": values,
        "payload_version": "1",
    }


def soc_event(eid: str, soc_pct: float, at, vehicle: str = "v1") -> dict:
    return event(eid, "soc", {"soc_pct": soc_pct}, at, vehicle)


def test_soc_crossing_below_target_replans_once(store, planned) -> None:
    watch = TriggerWatch(store, TelemetryStore(store))
    now = NOW + timedelta(hours=6, minutes=40)
    on_plan = 100 * planned_soc_at(planned, "v1", now)
    # on plan: no trigger
    _o, replans = watch.ingest("acme", [soc_event("a", on_plan, now - timedelta(minutes=1))], now=now)
    assert replans == []
    # the van reports 15 points less than planned 80 minutes before departure: the plan can no longer hold
    _o, replans = watch.ingest("acme", [soc_event("b", on_plan - 15, now)], now=now)
    assert [r.trigger.kind for r in replans] == ["soc_below_target"]
    r = replans[0]
    assert r.trigger.detail["projected_soc"] < r.trigger.detail["target_soc"]
    assert r.problem.now == NOW + timedelta(hours=6, minutes=45)  # the next 15-minute boundary
    assert r.problem.state_of("v1").soc == pytest.approx((on_plan - 15) / 100)
    [stored] = watch.plan_now("acme", replans)
    assert stored.decision["trace"]["trigger"]["kind"] == "soc_below_target"
    assert stored.decision["trace"]["trigger"]["based_on"] == planned.decision_id
    assert stored.mode == "assisted"  # courier's mode
    # the same low reading again, and a lower one: already below, no new decision
    _o, again = watch.ingest(
        "acme", [soc_event("c", on_plan - 16, now + timedelta(minutes=1))], now=now + timedelta(minutes=1)
    )
    assert again == []
    fired = [a for a in store.audit_log("acme", limit=500)[0] if a["action"] == "telemetry.trigger"]
    assert len(fired) == 1


def test_charger_fault_replans_without_that_charger(store, planned) -> None:
    watch = TriggerWatch(store, TelemetryStore(store))
    now = NOW + timedelta(hours=1)
    charger = planned.plan.vehicles[0].charger_id
    fault = event("f1", "fault", {"code": "E42", "severity": "critical", "charger_id": charger}, now)
    _o, replans = watch.ingest("acme", [fault], now=now)
    assert [r.trigger.kind for r in replans] == ["charger_fault"]
    assert next(c for c in replans[0].problem.chargers if c.id == charger).status == "faulted"
    [stored] = watch.plan_now("acme", replans)
    assert all(s["charger_id"] != charger for v in stored.decision["plan"]["vehicles"] for s in v["sessions"])


def test_late_arrival_replans(store, planned) -> None:
    watch = TriggerWatch(store, TelemetryStore(store))
    session = planned.plan.vehicles[0].sessions[0]
    now = session.plug_in + timedelta(minutes=45)
    away = event("p1", "position", {"lat": 34.0, "lon": -118.0}, now, planned.plan.vehicles[0].vehicle_id)
    _o, replans = watch.ingest("acme", [away], now=now)
    assert [r.trigger.kind for r in replans] == ["late_arrival"]
    assert replans[0].trigger.detail["minutes_late"] == 45.0
    assert replans[0].problem.state_of(away["vehicle_id"]).at_depot is False


def test_api_ingest_plans_the_triggered_decision_after_answering(client, keys, store, planned) -> None:
    from tests.service.conftest import bearer

    ingest = bearer(store.create_key("acme", frozenset({"ingest", "read"})))
    charger = planned.plan.vehicles[0].charger_id
    at = NOW + timedelta(hours=1)
    fault = event("f9", "fault", {"code": "E1", "charger_id": charger}, at)
    r = client.post("/v1/telemetry", json={"events": [fault]}, headers=ingest)
    assert r.json()["accepted"] == 1
    listing = client.get("/v1/decisions/", headers=keys.reader).json()
    assert listing["total"] == 2  # the background re-plan ran within the request cycle of the test client
    newest = client.get(f"/v1/decisions/{listing['items'][0]['decision_id']}", headers=keys.reader).json()
    assert newest["trace"]["trigger"]["kind"] == "charger_fault"


def test_stale_soc_from_telemetry_meets_the_policy_stale_rule(store, planned) -> None:
    # courier: SOC older than 45 min is replaced by its P10 (without one, soc x confidence) when re-planning
    watch = TriggerWatch(store, TelemetryStore(store))
    read = NOW + timedelta(minutes=5)
    old = {**soc_event("old", 30.0, read, vehicle="v2"), "confidence": 0.8}
    watch.ingest("acme", [old], now=read)
    now = NOW + timedelta(hours=1, minutes=30)
    charger = planned.plan.vehicles[0].charger_id
    fault = event("f2", "fault", {"code": "E7", "charger_id": charger}, now)
    _o, replans = watch.ingest("acme", [fault], now=now)
    [stored] = watch.plan_now("acme", replans)
    steps = [s for s in stored.decision["trace"]["fallbacks"] if s.get("event") == "stale_telemetry"]
    # v1 has no SOC telemetry: its reading from the original problem (00:00) is stale too
    assert steps[0] | {"soc_assumed": None} == {
        "event": "stale_telemetry",
        "vehicle_id": "v1",
        "age_min": 90.0,
        "action": "assume_p10",
        "soc_reported": 0.1,
        "soc_assumed": None,
        "source": "soc * soc_confidence",
    }
    assert steps[1:] == [
        {
            "event": "stale_telemetry",
            "vehicle_id": "v2",
            "age_min": 85.0,  # read at 00:05, re-planned from 01:30
            "action": "assume_p10",
            "soc_reported": 0.3,
            "soc_assumed": pytest.approx(0.24),
            "source": "soc * soc_confidence",
        }
    ]
