"""``/v1/telemetry``, ``/v1/quarantine``, ``/v1/vehicles/{id}/state`` through the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from engine.domain import GeoFence
from tests.service.conftest import bearer, small_problem

NOW = datetime.now(UTC).replace(microsecond=0)


def ev(eid: str, typ: str, values: dict, minutes: float = 0, vehicle: str = "v1") -> dict:
    t = (NOW + timedelta(minutes=minutes)).isoformat()
    return {
        "event_id": eid,
        "vehicle_id": vehicle,
        "source": "test",
        "event_time": t,
        "type": typ,
        "values": values,
        "payload_version": "1",
    }


@pytest.fixture
def ingester(store) -> dict[str, str]:
    store.put_fleet("acme", "depot", small_problem().model_dump(mode="json", by_alias=True))  # vehicles v1, v2
    return bearer(store.create_key("acme", frozenset({"ingest", "read"})))


def post(client, headers, events) -> dict:
    r = client.post("/v1/telemetry", json={"events": events}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_counts_and_one_result_per_event_in_order(client, ingester) -> None:
    out = post(
        client,
        ingester,
        [
            ev("a", "soc", {"soc_pct": 60}, -30),
            ev("b", "soc", {"soc_pct": 160}),
            {
                "id": "w1",
                "vehicle": {"id": "v2"},
                "occurred_at": NOW.isoformat(),
                "kind": "battery",
                "data": {"level": {"value": 40, "unit": "%"}},
            },
            ev("a", "soc", {"soc_pct": 60}, -30),
            ev("c", "soc", {"soc_pct": 50}, vehicle="v9"),
            ["not", "an", "object"],
        ],
    )
    assert (out["accepted"], out["duplicate"], out["quarantined"]) == (2, 1, 3)
    assert all(set(r) <= {"event_id", "status", "reason"} for r in out["results"])  # exactly the contract's keys
    assert out["results"][1]["reason"] == "soc_out_of_range: values.soc_pct: 160 outside 0-100"
    code = lambda r: r["reason"].split(":")[0] if "reason" in r else None  # noqa: E731
    assert [(r["event_id"], r["status"], code(r)) for r in out["results"]] == [
        ("a", "accepted", None),
        ("b", "quarantined", "soc_out_of_range"),
        ("acme:w1", "accepted", None),
        ("a", "duplicate", None),
        ("c", "quarantined", "unknown_vehicle"),
        (None, "quarantined", "malformed"),
    ]


def test_duplicates_across_batches_are_never_applied_twice(client, ingester) -> None:
    post(client, ingester, [ev("s1", "soc", {"soc_pct": 60}, -10)])
    again = post(client, ingester, [{**ev("s1", "soc", {"soc_pct": 10}, -1)}])  # same id, other values
    assert again["duplicate"] == 1
    state = client.get("/v1/vehicles/v1/state", headers=ingester).json()
    assert state["soc_pct"] == 60


def test_late_events_take_their_place_by_event_time(client, ingester) -> None:
    post(client, ingester, [ev("new", "soc", {"soc_pct": 55}, -5)])
    post(client, ingester, [ev("old", "soc", {"soc_pct": 90}, -120)])  # arrives later, happened earlier
    state = client.get("/v1/vehicles/v1/state", headers=ingester).json()
    assert state["soc_pct"] == 55 and state["soc_source"] == "reported"
    log = client.get("/v1/vehicles/v1/events", headers=ingester).json()
    assert [e["event_id"] for e in log] == ["old", "new"]
    assert log[0]["received_time"] > log[1]["received_time"]
    rebuilt = client.get("/v1/vehicles/v1/state?rebuild=true", headers=ingester).json()
    assert {k: v for k, v in rebuilt.items() if k != "soc_age_min"} == {
        k: v for k, v in state.items() if k != "soc_age_min"
    }


def test_missing_soc_estimated_and_stale_flag(client, ingester, store) -> None:
    post(
        client,
        ingester,
        [
            ev("s", "soc", {"soc_pct": 80}, -90),
            ev("o1", "odometer", {"odometer_km": 500}, -95),
            ev("o2", "odometer", {"odometer_km": 540}, -1),
        ],
    )
    state = client.get("/v1/vehicles/v1/state", headers=ingester).json()
    # small_problem vans: 50 kWh; 40 km at the van prior since the 80 % reading
    from engine.forecast import prior_kwh_per_km

    assert state["soc_source"] == "estimated" and state["driven_since_soc_km"] == 40
    assert state["soc_pct"] == pytest.approx(80 - 100 * 40 * prior_kwh_per_km("van") / 50)
    assert state["soc_confidence"] == pytest.approx(0.8) and state["stale"] is True  # 90 min > 60
    assert client.get("/v1/vehicles/v1/state?stale_after_min=120", headers=ingester).json()["stale"] is False
    unknown = client.get("/v1/vehicles/v2/state", headers=ingester).json()
    assert unknown["soc_pct"] is None and unknown["stale"] is True
    assert client.get("/v1/vehicles/nope/state", headers=ingester).status_code == 404


def test_quarantine_list_and_release_after_correction(client, ingester, store) -> None:
    post(client, ingester, [ev("q1", "soc", {"soc_pct": 150}), ev("q2", "odometer", {"odometer_mi": 3})])
    page = client.get("/v1/quarantine", headers=ingester).json()
    assert page["total"] == 2 and {i["reason"] for i in page["items"]} == {"soc_out_of_range", "unit_mismatch"}
    q1 = next(i for i in page["items"] if i["event_id"] == "q1")
    assert q1["payload"]["values"] == {"soc_pct": 150} and q1["released"] is False
    url = f"/v1/quarantine/{q1['id']}/release"
    still_bad = client.post(url, json={"event": ev("q1", "soc", {"soc_pct": 140})}, headers=ingester).json()
    assert still_bad["quarantined"] == 1  # corrected badly: quarantined again, not released
    fixed = client.post(url, json={"event": ev("q1", "soc", {"soc_pct": 15.0})}, headers=ingester).json()
    assert fixed["accepted"] == 1
    assert client.post(url, headers=ingester).status_code == 409
    assert client.get("/v1/vehicles/v1/state", headers=ingester).json()["soc_pct"] == 15.0
    assert any(
        i["id"] == q1["id"] and i["released"] for i in client.get("/v1/quarantine", headers=ingester).json()["items"]
    )


def test_release_without_correction_rechecks_after_the_fleet_changed(client, ingester, store) -> None:
    post(client, ingester, [ev("late-joiner", "soc", {"soc_pct": 70}, vehicle="v3")])
    qid = client.get("/v1/quarantine", headers=ingester).json()["items"][0]["id"]
    store.put_fleet("acme", "more", small_problem(3).model_dump(mode="json", by_alias=True))  # adds v3
    assert client.post(f"/v1/quarantine/{qid}/release", headers=ingester).json()["accepted"] == 1


def test_scopes_tenants_and_batch_limit(client, ingester, keys) -> None:
    assert client.post("/v1/telemetry", json={"events": []}, headers=keys.reader).status_code == 403
    post(client, ingester, [ev("t1", "soc", {"soc_pct": 60})])
    assert client.get("/v1/vehicles/v1/state", headers=keys.other_tenant).status_code == 404
    assert client.get("/v1/quarantine", headers=keys.other_tenant).json()["total"] == 0
    big = client.post("/v1/telemetry", json={"events": [{}] * 10_001}, headers=ingester)
    assert big.status_code == 422 and "events" in big.text


def test_reposting_the_same_bad_events_keeps_one_quarantine_entry_each(client, ingester) -> None:
    # issue 15.7: re-posting the same 25 bad events grew the quarantine from 27 to 52 rows
    bad = [ev(f"bad{i}", "soc", {"soc_pct": 150 + i}) for i in range(24)] + [["not", "an", "object"]]
    first = post(client, ingester, bad)
    again = post(client, ingester, bad + bad[:3])  # a retried batch, three of them twice over
    assert first["quarantined"] == 25 and again["quarantined"] == 28  # each still answered as quarantined
    assert client.get("/v1/quarantine?limit=100", headers=ingester).json()["total"] == 25
    changed = post(client, ingester, [ev("bad0", "soc", {"soc_pct": 190})])  # same id, another payload
    assert changed["quarantined"] == 1
    assert client.get("/v1/quarantine?limit=100", headers=ingester).json()["total"] == 26


def test_a_position_inside_the_depots_location_counts_as_at_the_depot(client, store) -> None:
    """Issue 18.6: the event names no depot; the fleet's depot has a 150 m circle around (34.0, -118.0)."""
    p = small_problem()
    located = p.depots[0].model_copy(update={"location": GeoFence(lat=34.0, lon=-118.0, radius_m=150.0)})
    fleet = p.model_copy(update={"depots": [located]}).model_dump(mode="json", by_alias=True)
    store.put_fleet("acme", "depot", fleet)
    headers = bearer(store.create_key("acme", frozenset({"ingest", "read"})))
    post(client, headers, [ev("p1", "position", {"lat": 34.001, "lon": -118.0}, vehicle="v1")])  # 111 m north
    post(client, headers, [ev("p2", "position", {"lat": 34.01, "lon": -118.0}, vehicle="v2")])  # 1.1 km north
    inside = client.get("/v1/vehicles/v1/state", headers=headers).json()
    outside = client.get("/v1/vehicles/v2/state", headers=headers).json()
    assert (inside["at_depot"], inside["depot_id"]) == (True, "d")
    assert (outside["at_depot"], outside["depot_id"]) == (False, None)
