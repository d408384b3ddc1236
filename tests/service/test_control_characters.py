"""Control characters never reach a store (issue 15.5: a NUL in a path, query, reason or event id answered 500
on PostgreSQL, and one such event failed a whole batch of 1,000). On SQLite always, on PostgreSQL whenever one
answers (as in test_store.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from litestar.testing import TestClient

from service import create_app
from service.settings import Settings
from service.store import Store
from tests.service.conftest import bearer, request_body, small_problem
from tests.service.test_store import PG_URL, _pg_answers
from tests.service.test_telemetry import ev


@pytest.fixture(params=["sqlite", "postgresql"])
def setup(request, tmp_path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    if request.param == "postgresql":
        why = _pg_answers()
        if why:
            pytest.skip(why)
        store = Store(PG_URL)
    else:
        store = Store(f"sqlite:///{tmp_path / 'api.db'}")
    tenant = f"t-{uuid.uuid4().hex[:10]}"  # PostgreSQL keeps its rows between runs
    store.put_fleet(tenant, "depot", small_problem().model_dump(mode="json", by_alias=True))  # vehicles v1, v2
    key = bearer(store.create_key(tenant, frozenset({"read", "plan", "ingest", "approve"})))
    settings = Settings(db_url="sqlite://", solver_workers=0, time_limit_s=30, max_body_bytes=2_000_000)
    with TestClient(create_app(settings, store)) as client:
        yield client, key
    store.dispose()


def test_a_nul_in_the_path_or_query_is_400(setup) -> None:
    client, key = setup
    for url in (
        "/v1/decisions/ab%00cd",
        "/v1/decisions?depot=%00",
        "/v1/vehicles/v%001/state",
        "/v1/decisions?status=a%01",
    ):
        r = client.get(url, headers=key)
        assert r.status_code == 400, (url, r.status_code, r.text[:200])
        assert "control character U+000" in r.json()["detail"]


def test_a_nul_in_a_body_field_is_422_naming_it(setup) -> None:
    client, key = setup
    body = request_body(small_problem())
    body["problem"]["vehicles"][0]["id"] = "v\u00001"
    r = client.post("/v1/decisions", json=body, headers=key)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "problem.vehicles[0].id", r.text[:300]
    made = client.post("/v1/decisions", json=request_body(small_problem()), headers=key)
    assert made.status_code == 201, made.text[:300]
    url = f"/v1/decisions/{made.json()['decision_id']}/approve"
    r = client.post(url, json={"reason": "ok\u0000"}, headers=key)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason", r.text[:300]


def test_one_event_with_a_nul_is_quarantined_and_the_other_999_are_stored(setup) -> None:
    client, key = setup
    batch = [ev(f"good-{i}", "soc", {"soc_pct": 50 + i % 40}, -i / 60) for i in range(999)]
    batch.insert(500, ev("bad\u0000id", "soc", {"soc_pct": 50}))
    r = client.post("/v1/telemetry", json={"events": batch}, headers=key)
    assert r.status_code == 200, r.text[:300]
    out = r.json()
    assert (out["accepted"], out["quarantined"]) == (999, 1)
    (item,) = client.get("/v1/quarantine", headers=key).json()["items"]
    assert item["event_id"] == "bad\\x00id" and item["reason"] == "malformed"
    assert "U+0000" in item["message"]
