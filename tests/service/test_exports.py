"""Exports: decisions, KPIs and a vehicle's telemetry of a period as CSV and Parquet, the same rows as JSON."""

from __future__ import annotations

import io
from datetime import timedelta

import pandas as pd
import pytest
from litestar.testing import TestClient

from tests.service.conftest import Keys, request_body, small_problem
from tests.service.test_telemetry import NOW, ev, ingester, post  # noqa: F401


def read(r, fmt: str) -> pd.DataFrame:
    assert r.status_code == 200, r.text
    return pd.read_csv(io.BytesIO(r.content)) if fmt == "csv" else pd.read_parquet(io.BytesIO(r.content))


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_decisions_export_as_the_json_page_lists_them(client: TestClient, keys: Keys, fmt: str) -> None:
    for n in (2, 3):
        client.post("/v1/decisions", json=request_body(small_problem(n=n)), headers=keys.planner)
    page = client.get("/v1/decisions", headers=keys.reader).json()
    frame = read(client.get("/v1/decisions", params={"format": fmt}, headers=keys.reader), fmt)
    assert list(frame["decision_id"]) == [i["decision_id"] for i in page["items"]]
    assert list(frame["bill_usd"]) == pytest.approx([i["bill_usd"] for i in page["items"]])


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_vehicles_telemetry_of_a_period(client: TestClient, ingester: dict, fmt: str) -> None:  # noqa: F811
    ingest = ingester
    post(
        client, ingest, [ev(f"e{k}", "soc", {"soc_pct": 50.0 + k}, minutes=10 * k - 60) for k in range(6)]
    )  # the past hour
    params = {"from": (NOW - timedelta(minutes=50)).isoformat(), "to": (NOW - timedelta(minutes=20)).isoformat()}
    rows = client.get("/v1/vehicles/v1/events", params=params, headers=ingest).json()
    assert [r["event_id"] for r in rows] == ["e1", "e2", "e3"]  # [from, to)
    frame = read(client.get("/v1/vehicles/v1/events", params={**params, "format": fmt}, headers=ingest), fmt)
    assert list(frame["event_id"]) == ["e1", "e2", "e3"] and '"soc_pct": 51.0' in frame["values"][0]
    naive = client.get("/v1/vehicles/v1/events", params={"from": "2025-01-01T00:00:00"}, headers=ingest)
    assert naive.status_code == 422 and "offset" in naive.text
