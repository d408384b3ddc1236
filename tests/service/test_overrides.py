"""Overrides validated against the decision (issue 18.4): each change held and the rest planned around it, recorded
as a new decision linked to the original with the cost difference; unknown names, impossible windows and broken
targets refused saying which."""

from __future__ import annotations

import numpy as np
import pytest

from tests.service.conftest import OVERRIDE, Keys, request_body, small_problem

T = "2025-03-04T{:02d}:{:02d}:00-08:00"


@pytest.fixture
def created(client, keys: Keys) -> dict:
    r = client.post("/v1/decisions", json=request_body(small_problem()), headers=keys.planner)
    assert r.status_code == 201, r.text
    return r.json()


def change(vehicle: str = "v1", charger: str | None = "ac1", start: tuple = (2, 0), end: tuple = (6, 0)) -> dict:
    return {"vehicle_id": vehicle, "charger_id": charger, "start": T.format(*start), "end": T.format(*end)}


def override(client, keys: Keys, did: str, *changes: dict, **extra):
    return client.post(
        f"/v1/decisions/{did}/override",
        json={"changes": list(changes), "reason": "ac0 down", **extra},
        headers=keys.approver,
    )


def test_an_override_holds_its_change_and_links_a_replacement_with_the_cost_difference(client, keys, created) -> None:
    did = created["decision_id"]
    r = override(client, keys, did, change())
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["review"] == "overridden" and body["violations_added"] == []
    new = client.get(f"/v1/decisions/{body['replacement_decision_id']}", headers=keys.reader).json()
    v1 = next(v for v in new["plan"]["vehicles"] if v["vehicle_id"] == "v1")
    assert {s["charger_id"] for s in v1["sessions"]} == {"ac1"}
    kw = np.asarray(v1["power_kw"])
    assert kw[:8].max() <= 1e-6 and kw[24:].max() <= 1e-6  # nothing outside 02:00-06:00
    assert body["bill_difference_usd"] == pytest.approx(new["cost"]["bill_usd"] - created["cost"]["bill_usd"], abs=0.01)
    assert body["objective_difference_usd"] == pytest.approx(
        new["cost"]["objective_usd"] - created["cost"]["objective_usd"], abs=0.01
    )
    trace = client.get(f"/v1/decisions/{new['decision_id']}/trace", headers=keys.reader).json()
    assert trace["inputs"]["problem"]["pins"] == [
        {"vehicle_id": "v1", "charger_id": "ac1", "start": T.format(2, 0), "end": T.format(6, 0)}
    ]
    assert trace["review"] == "approved"  # the override approved it
    original = client.get(f"/v1/decisions/{did}/trace", headers=keys.reader).json()
    assert original["reviews"][-1]["changes"]["replacement_decision_id"] == new["decision_id"]
    replay = client.post(f"/v1/decisions/{new['decision_id']}/replay", headers=keys.planner).json()
    assert replay["identical"] is True


def test_unknown_vehicles_and_chargers_are_named_with_a_did_you_mean(client, keys, created) -> None:
    did = created["decision_id"]
    r = override(client, keys, did, change(), change(vehicle="v11", charger="ac7"))
    assert r.status_code == 422
    errors = {e["field"]: e["message"] for e in r.json()["errors"]}
    assert errors == {
        "changes[1].vehicle_id": "unknown vehicle 'v11'; did you mean 'v1'?",
        "changes[1].charger_id": "unknown charger 'ac7'; did you mean 'ac1'?",
    }


def test_a_window_outside_the_vehicles_stay_is_refused(client, keys, created) -> None:
    """The vans leave at 08:00 and the horizon ends at 09:00: a window at 08:15-08:45 finds v1 away."""
    r = override(client, keys, created["decision_id"], change(start=(8, 15), end=(8, 45)))
    assert r.status_code == 422
    (error,) = r.json()["errors"]
    assert error["field"] == "changes[0]" and "v1 is at no site with chargers it can use" in error["message"]


def test_an_override_that_leaves_a_van_short_is_refused_unless_accepted(client, keys, created) -> None:
    """v1 (50 kWh, at 10 %) draws at most 10 kW: held to ac0 for 00:00-00:30 it gains at most 5 kWh, so it leaves
    with at most 10 kWh and is short by at least its departure target less 10 kWh (more where the demand charge
    makes the last kWh dearer than its shortfall); the original plan met every target."""
    did = created["decision_id"]
    assert created["violations"] == []
    before = client.get("/v1/decisions", headers=keys.reader).json()["total"]
    short = change(charger="ac0", start=(0, 0), end=(0, 30))
    r = override(client, keys, did, short)
    assert r.status_code == 409
    assert "departure_target:v1:t1" in r.json()["detail"] and "nothing recorded" in r.json()["detail"]
    assert client.get("/v1/decisions", headers=keys.reader).json()["total"] == before  # nothing recorded
    assert client.get(f"/v1/decisions/{did}/trace", headers=keys.reader).json()["review"] == "proposed"
    accepted = override(client, keys, did, short, accept_violations=True)
    assert accepted.status_code == 200
    new = client.get(f"/v1/decisions/{accepted.json()['replacement_decision_id']}", headers=keys.reader).json()
    target_kwh = new["trace"]["departure_targets"]["v1"]["t1"] * 50.0
    (violation,) = new["violations"]
    assert violation["shortfall_kwh"] >= target_kwh - 10.0 - 1e-6
    (session,) = next(v for v in new["plan"]["vehicles"] if v["vehicle_id"] == "v1")["sessions"]
    assert session["energy_kwh"] <= 5.0 + 1e-6 and session["charger_id"] == "ac0"
    assert violation["shortfall_kwh"] == pytest.approx(target_kwh - 5.0 - session["energy_kwh"], abs=1e-3)
    assert accepted.json()["violations_added"] == [
        f"departure_target:v1:t1: {violation['shortfall_kwh']:.1f} kWh short ({violation['reason']})"
    ]
    assert client.get("/v1/decisions", headers=keys.reader).json()["total"] == before + 1


def test_the_free_form_changes_of_before_are_refused(client, keys, created) -> None:
    r = client.post(
        f"/v1/decisions/{created['decision_id']}/override",
        json={"changes": {"v1": "hold until 02:00"}, "reason": "x"},
        headers=keys.approver,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "changes"
    assert override(client, keys, created["decision_id"], {**OVERRIDE["changes"][0]}).status_code == 200
