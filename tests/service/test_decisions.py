"""``/v1/decisions``: the API plans exactly what the engine plans, stores it, and explains and replays it."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.decision import decide
from engine.policy import load_policy
from engine.results import Decision
from tests.service.conftest import OVERRIDE, request_body, small_problem

ROOT = Path(__file__).resolve().parents[2]  # the checkout

COURIER = load_policy(ROOT / "policies" / "courier.yaml")  # mode: assisted


def inline_policy(mode: str) -> dict:
    return {
        "metadata": {"name": "inline-test", "version": "7", "owner": "ops", "effective": "2025-01-01"},
        "mode": {"default": mode},
        "objective": {"shortfall_usd_per_kwh": {"3": 2.0}},
        "soc_rules": [{"id": "floor", "min_soc": 0.6}],
    }


@pytest.fixture
def created(client, keys) -> dict:
    r = client.post("/v1/decisions", json=request_body(small_problem()), headers=keys.planner)
    assert r.status_code == 201, r.text
    return r.json()


def test_api_decision_equals_the_engine_called_directly(created) -> None:
    p = small_problem()
    direct = decide(p, policy=COURIER, time_limit=30).model_dump(mode="json")
    served = Decision.model_validate(created).model_dump(mode="json")
    for volatile in ("created",):
        direct.pop(volatile), served.pop(volatile)
    direct["solver"].pop("seconds"), served["solver"].pop("seconds")
    assert served == direct


def test_get_list_and_filters(client, keys, created) -> None:
    did = created["decision_id"]
    assert client.get(f"/v1/decisions/{did}", headers=keys.reader).json()["plan"] == created["plan"]
    page = client.get("/v1/decisions", params={"depot": "d"}, headers=keys.reader).json()
    assert page["total"] == 1 and page["items"][0]["decision_id"] == did
    assert page["items"][0]["mode"] == "assisted" and page["items"][0]["review"] == "proposed"
    assert client.get("/v1/decisions", params={"depot": "elsewhere"}, headers=keys.reader).json()["total"] == 0
    assert client.get("/v1/decisions", params={"status": "infeasible"}, headers=keys.reader).json()["total"] == 0
    future = client.get("/v1/decisions", params={"since": "2999-01-01T00:00:00Z"}, headers=keys.reader).json()
    assert future["total"] == 0
    client.post("/v1/decisions", json=request_body(small_problem(n=3)), headers=keys.planner)
    first = client.get("/v1/decisions", params={"page_size": 1}, headers=keys.reader).json()
    second = client.get("/v1/decisions", params={"page_size": 1, "page": 2}, headers=keys.reader).json()
    assert first["total"] == second["total"] == 2
    assert first["items"][0]["decision_id"] != second["items"][0]["decision_id"]
    assert client.get("/v1/decisions", params={"page_size": 0}, headers=keys.reader).status_code == 422


def test_trace_carries_inputs_policy_and_explanations(client, keys, created) -> None:
    t = client.get(f"/v1/decisions/{created['decision_id']}/trace", headers=keys.reader).json()
    assert t["inputs"]["problem"]["tariff"] == "sce_tou_8_d" and len(t["inputs"]["problem_hash"]) == 64
    assert t["policy"]["name"] == "courier" and t["policy"]["version"] == COURIER.metadata.version
    assert t["engine_version"] and t["solver"]["status"] == "optimal"
    # the trace's cost is the Decision's cost, every term (the key list itself is the CLI contract test's)
    assert t["objective"]["cost"] == created["cost"]
    assert {r["entity"].split("/")[0] for r in t["rules_fired"]} == {"v1", "v2"}
    assert set(t["explanations"]) == {"v1", "v2"}
    assert t["fallbacks"] == [] and t["constraint_status"]["v1"]


def test_explain_one_vehicle(client, keys, created) -> None:
    did = created["decision_id"]
    r = client.get(f"/v1/decisions/{did}/explain", params={"vehicle": "v1"}, headers=keys.reader).json()
    assert r["vehicle_id"] == "v1" and r["charger_id"] in {"ac0", "ac1"}
    assert "Charger" in r["explanation"] and r["rules"]
    assert client.get(f"/v1/decisions/{did}/explain", params={"vehicle": "zz"}, headers=keys.reader).status_code == 404
    assert client.get(f"/v1/decisions/{did}/explain", headers=keys.reader).status_code in (400, 422)


def test_replay_is_identical(client, keys, created) -> None:
    r = client.post(f"/v1/decisions/{created['decision_id']}/replay", headers=keys.planner).json()
    assert r == {
        "decision_id": created["decision_id"],
        "identical": True,
        "replayed_decision_id": created["decision_id"],
        "differences": [],
        "reason": None,
    }


def test_approve_override_and_audit(client, keys, created) -> None:
    did = created["decision_id"]
    r = client.post(f"/v1/decisions/{did}/approve", json={"reason": "looks right"}, headers=keys.approver)
    assert r.status_code == 200 and r.json()["review"] == "approved"
    assert client.post(f"/v1/decisions/{did}/approve", headers=keys.approver).status_code == 409
    bad = client.post(f"/v1/decisions/{did}/override", json={"changes": OVERRIDE["changes"]}, headers=keys.approver)
    assert bad.status_code == 422 and any(e["field"] == "reason" for e in bad.json()["errors"])
    r = client.post(
        f"/v1/decisions/{did}/override", json={**OVERRIDE, "reason": "ac0 is broken"}, headers=keys.approver
    )
    assert r.status_code == 200 and r.json()["review"] == "overridden"
    new = r.json()["replacement_decision_id"]
    log = client.get("/v1/audit", headers=keys.admin).json()
    assert [(e["action"], e["resource"]) for e in log["items"]] == [
        ("decision.create", f"decision:{did}"),
        ("decision.approve", f"decision:{did}"),
        ("decision.create", f"decision:{new}"),
        ("decision.override", f"decision:{did}"),
        ("decision.approve", f"decision:{new}"),
    ]
    assert log["items"][3]["detail"]["reason"] == "ac0 is broken"
    assert log["items"][3]["detail"]["replacement_decision_id"] == new
    assert client.get("/v1/audit", headers=keys.reader).status_code == 403


def test_shadow_decisions_cannot_be_approved(client, keys) -> None:
    r = client.post("/v1/decisions", json=request_body(small_problem(), inline_policy("shadow")), headers=keys.planner)
    assert r.status_code == 201, r.text
    did = r.json()["decision_id"]
    assert client.post(f"/v1/decisions/{did}/approve", headers=keys.approver).status_code == 409
    over = OVERRIDE
    assert client.post(f"/v1/decisions/{did}/override", json=over, headers=keys.approver).status_code == 409
    listed = client.get("/v1/decisions", headers=keys.reader).json()["items"][0]
    assert listed["mode"] == "shadow" and listed["policy"] == "inline-test (inline)"


def test_baseline_strategies_are_served(client, keys) -> None:
    r = client.post("/v1/decisions", json=request_body(small_problem(), strategy="edf"), headers=keys.planner)
    assert r.status_code == 201 and r.json()["plan"]["strategy"] == "edf"


def test_an_inline_policy_with_a_typo_is_named_at_its_path_with_a_did_you_mean(client, keys) -> None:
    """Issue 18: the error read `policy.function-after[_unique_ids(), Policy].soc_rules[0]`."""
    policy = inline_policy("assisted")
    policy["soc_rules"] = [{"id": "floor", "min_sco": 0.6}]
    r = client.post("/v1/decisions", json=request_body(small_problem(), policy), headers=keys.planner)
    assert r.status_code == 422
    (error,) = r.json()["errors"]
    assert error["field"] == "policy"
    assert "soc_rules[0].min_sco: unknown field; did you mean 'min_soc'?" in error["message"]
    assert "function-after" not in r.text


def test_a_policy_sent_as_yaml_text_is_planned_with_and_its_mistakes_have_lines(client, keys) -> None:
    """Issue 18: a YAML string was taken for a policy name and echoed back in a 404."""
    import yaml

    text = yaml.safe_dump(inline_policy("assisted"), sort_keys=False)
    r = client.post("/v1/decisions", json=request_body(small_problem(), text), headers=keys.planner)
    assert r.status_code == 201, r.text
    listed = client.get("/v1/decisions", headers=keys.reader).json()["items"][0]
    assert listed["policy"] == "inline-test (inline)"
    same = client.post(
        "/v1/decisions", json=request_body(small_problem(), inline_policy("assisted")), headers=keys.planner
    )
    assert same.json()["decision_id"] == r.json()["decision_id"]  # the same policy, as text or as an object
    bad = text.replace("min_soc: 0.6", "min_soc: 1.6")
    r = client.post("/v1/decisions", json=request_body(small_problem(), bad), headers=keys.planner)
    assert r.status_code == 422
    (error,) = r.json()["errors"]
    line = bad.splitlines().index("- id: floor") + 2  # min_soc is on the line after the rule's id (1-based)
    assert error["field"] == "policy" and error["message"].startswith(f"policy:{line}:")
    assert "min_soc" in error["message"]
