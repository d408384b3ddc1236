"""Keys, scopes and tenants: another tenant's id answers 404, a read key cannot plan or approve."""

from __future__ import annotations

import logging

import pytest

from tests.service.conftest import OVERRIDE, request_body, small_problem


@pytest.fixture
def did(client, keys) -> str:
    r = client.post("/v1/decisions", json=request_body(small_problem()), headers=keys.planner)
    assert r.status_code == 201
    return r.json()["decision_id"]


def test_no_key_or_a_bad_key_is_401(client, keys) -> None:
    assert client.get("/v1/decisions").status_code == 401
    assert client.get("/v1/decisions", headers={"Authorization": "Bearer fc_12345678_nope"}).status_code == 401
    assert client.get("/v1/decisions", headers={"Authorization": "Basic abc"}).status_code == 401
    assert client.get("/health").status_code == 200


def test_read_key_cannot_plan_approve_or_audit(client, keys, did) -> None:
    assert client.post("/v1/decisions", json=request_body(small_problem()), headers=keys.reader).status_code == 403
    assert client.post(f"/v1/decisions/{did}/replay", headers=keys.reader).status_code == 403
    assert client.post(f"/v1/decisions/{did}/approve", headers=keys.reader).status_code == 403
    over = OVERRIDE
    assert client.post(f"/v1/decisions/{did}/override", json=over, headers=keys.reader).status_code == 403
    assert client.get("/v1/audit", headers=keys.reader).status_code == 403
    assert client.post(f"/v1/decisions/{did}/approve", headers=keys.planner).status_code == 403


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/v1/decisions/{id}"),
        ("get", "/v1/decisions/{id}/trace"),
        ("get", "/v1/decisions/{id}/explain?vehicle=v1"),
        ("post", "/v1/decisions/{id}/replay"),
        ("post", "/v1/decisions/{id}/approve"),
    ],
)
def test_another_tenants_decision_is_404(client, keys, did, method, path) -> None:
    r = getattr(client, method)(path.format(id=did), headers=keys.other_tenant)
    assert r.status_code == 404


def test_other_tenant_lists_and_audit_are_separate(client, keys, did) -> None:
    assert client.get("/v1/decisions", headers=keys.other_tenant).json()["total"] == 0
    assert client.get("/v1/audit", headers=keys.other_tenant).json()["total"] == 0
    over = OVERRIDE
    assert client.post(f"/v1/decisions/{did}/override", json=over, headers=keys.other_tenant).status_code == 404


def test_keys_never_reach_the_logs(client, keys, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    client.get("/v1/decisions", headers=keys.reader)
    client.get("/v1/decisions", headers={"Authorization": "Bearer fc_12345678_secretsecret"})
    secret = keys.reader["Authorization"].split()[1]
    assert secret not in caplog.text and "secretsecret" not in caplog.text


def test_keys_are_stored_hashed(store, keys) -> None:
    from sqlalchemy import select

    from service.tables import api_keys

    secret = keys.reader["Authorization"].split()[1]
    with store.engine.connect() as conn:
        rows = conn.execute(select(api_keys)).mappings().all()
    assert all(secret not in str(dict(r)) for r in rows)
