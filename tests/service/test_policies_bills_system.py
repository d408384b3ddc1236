"""Policies, bills, health and metrics."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from engine.policy import check_policy_text
from engine.tariffs import bill, load_tariff
from engine.tariffs.files import TARIFF_DIR
from tests.engine.io.test_yaml_lines import alias_bomb
from tests.service.conftest import request_body, small_problem

ROOT = Path(__file__).resolve().parents[2]  # the checkout

BROKEN = ROOT / "tests" / "data" / "broken_policies"


def test_policies_are_listed(client, keys) -> None:
    names = [p["name"] for p in client.get("/v1/policies", headers=keys.reader).json()]
    assert names == ["courier", "municipal_saver", "utility_service"]


@pytest.mark.parametrize("name", ["03_wrong_type.yaml", "16_bad_priority.yaml", "20_contradicting_hard_rules.yaml"])
def test_validate_gives_the_cli_messages(client, keys, name) -> None:
    path = BROKEN / name
    text = path.read_text()
    r = client.post("/v1/policies/validate", json={"text": text, "name": path.name}, headers=keys.reader).json()
    _policy, problems = check_policy_text(text, path.name)
    assert r == {"valid": False, "problems": [str(p) for p in problems]}
    assert r["problems"][0].startswith(f"{path.name}:")


def test_validate_accepts_a_shipped_policy(client, keys) -> None:
    text = (ROOT / "policies" / "courier.yaml").read_text()
    assert client.post("/v1/policies/validate", json={"text": text}, headers=keys.reader).json() == {
        "valid": True,
        "problems": [],
    }


def test_validate_refuses_an_alias_bomb_at_once(client, keys) -> None:
    # issue 15.1: nine levels of ten aliases (a few hundred bytes) grew the server to 23.5 GB
    r = client.post("/v1/policies/validate", json={"text": alias_bomb(9), "name": "bomb.yaml"}, headers=keys.reader)
    assert r.status_code == 200
    assert r.json()["valid"] is False
    assert r.json()["problems"][0].startswith("bomb.yaml:1:5: YAML anchors and aliases")
    assert client.get("/health").status_code == 200


def test_bill_matches_the_engine_and_a_hand_sum(client, keys) -> None:
    start = "2025-07-14T00:00:00-07:00"
    load = [100.0] * 96  # one summer weekday at 100 kW, 15-minute steps
    body = {"tariff": "sce_tou_8_d", "start": start, "step_minutes": 15, "load_kw": load}
    r = client.post("/v1/bills", json=body, headers=keys.reader)
    assert r.status_code == 200, r.text
    tariff = load_tariff(TARIFF_DIR / "sce_tou_8_d.yaml")
    index = pd.date_range(pd.Timestamp(start), periods=96, freq="15min")
    direct = bill(pd.Series(load, index=index), tariff, step_minutes=15)
    assert r.json() == direct.to_cli_json()
    energy = sum(line["amount_usd"] for line in r.json()["lines"] if line["kind"] == "energy")
    assert sum(line["quantity"] for line in r.json()["lines"] if line["kind"] == "energy") == pytest.approx(2400.0)
    assert energy == pytest.approx(direct.energy_usd)


def test_bill_refuses_unknown_tariffs(client, keys) -> None:
    body = {"tariff": "nope", "start": "2025-07-14T00:00:00Z", "load_kw": [1.0]}
    assert client.post("/v1/bills", json=body, headers=keys.reader).status_code == 422
    body = {"tariff": "sce_tou_8_d", "start": "2025-07-14T00:00:00", "load_kw": [1.0]}  # naive time
    assert client.post("/v1/bills", json=body, headers=keys.reader).status_code == 422


def test_health_and_metrics(client, keys) -> None:
    assert client.get("/health").json()["status"] == "ok"
    client.post("/v1/decisions", json=request_body(small_problem()), headers=keys.planner)
    text = client.get("/metrics").text
    assert 'fleetcharge_http_requests_total{method="POST",route="/v1/decisions",status="201"} 1.0' in text
    assert 'fleetcharge_solve_seconds_count{strategy="optimal"} 1.0' in text
    assert "fleetcharge_http_request_seconds_bucket" in text


def test_openapi_has_operation_ids_and_docs(client) -> None:
    spec = client.get("/schema/openapi.json").json()
    ops = {op["operationId"] for path in spec["paths"].values() for op in path.values()}
    assert {
        "createDecision",
        "listDecisions",
        "getDecision",
        "getDecisionTrace",
        "explainDecision",
        "replayDecision",
        "approveDecision",
        "overrideDecision",
        "listAudit",
        "listPolicies",
        "validatePolicy",
        "createBill",
        "health",
        "metrics",
    } <= ops
    assert client.get("/schema").status_code == 200
