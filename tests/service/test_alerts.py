"""/v1/alerts: a decision that leaves a departure short raises one alert per condition; acknowledge, resolve,
raise again; CSV and Parquet exports."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from litestar.testing import TestClient

from tests.service.conftest import Keys, request_body, small_problem


def short(client: TestClient, keys: Keys, energy: float = 40.0) -> dict:
    """Two vans at 5 kWh that can take 10 kWh in the hour before leaving on ``energy`` [kWh] trips."""
    r = client.post("/v1/decisions", json=request_body(small_problem(hours=1.0, energy=energy)), headers=keys.planner)
    assert r.status_code == 201, r.text
    return r.json()


def test_a_short_departure_raises_one_alert_per_condition(client: TestClient, keys: Keys) -> None:
    covered = client.post("/v1/decisions", json=request_body(small_problem()), headers=keys.planner)
    assert covered.status_code == 201
    assert client.get("/v1/alerts", headers=keys.reader).json() == []  # nothing at risk: no alert
    decision = short(client, keys)
    alerts = client.get("/v1/alerts", headers=keys.reader).json()
    assert sorted(a["key"] for a in alerts) == ["soc_below_target:v1:t1", "soc_below_target:v2:t2"]
    a = alerts[0]
    assert a["priority"] == "P1" and a["status"] == "open" and a["decision_id"] == decision["decision_id"]
    assert a["departures"][0]["shortfall_kwh"] > 0 and a["action"] and a["times_raised"] == 1
    short(client, keys, energy=39.0)  # another decision, the same conditions: no new alerts
    again = client.get("/v1/alerts", headers=keys.reader).json()
    assert len(again) == 2 and {x["times_raised"] for x in again} == {2}


def test_acknowledge_then_resolve_then_raised_again_opens(client: TestClient, keys: Keys) -> None:
    short(client, keys)
    alert = client.get("/v1/alerts", headers=keys.reader).json()[0]
    url = f"/v1/alerts/{alert['id']}"
    assert client.post(f"{url}/acknowledge", headers=keys.reader).status_code == 403  # needs approve
    r = client.post(f"{url}/acknowledge", json={"note": "on it"}, headers=keys.approver)
    assert r.status_code == 200 and r.json()["status"] == "acknowledged" and r.json()["note"] == "on it"
    assert client.post(f"{url}/acknowledge", headers=keys.approver).status_code == 409
    assert client.post(f"{url}/resolve", headers=keys.approver).json()["status"] == "resolved"
    assert client.post(f"{url}/resolve", headers=keys.approver).status_code == 409
    assert client.get("/v1/alerts", params={"status": "open"}, headers=keys.reader).json()[0]["id"] != alert["id"]
    short(client, keys, energy=39.0)  # the condition raised again by another decision
    reopened = next(x for x in client.get("/v1/alerts", headers=keys.reader).json() if x["id"] == alert["id"])
    assert reopened["status"] == "open" and reopened["resolved_by"] is None
    assert client.post("/v1/alerts/9999/resolve", headers=keys.approver).status_code == 404


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_alerts_export_as_files(client: TestClient, keys: Keys, fmt: str) -> None:
    short(client, keys)
    r = client.get("/v1/alerts", params={"format": fmt}, headers=keys.reader)
    assert r.status_code == 200 and f'alerts.{fmt}"' in r.headers["content-disposition"]
    frame = pd.read_csv(io.BytesIO(r.content)) if fmt == "csv" else pd.read_parquet(io.BytesIO(r.content))
    assert sorted(frame["key"]) == ["soc_below_target:v1:t1", "soc_below_target:v2:t2"]
    assert "shortfall_kwh" in frame["departures"][0]  # nested values as JSON text
    bad = client.get("/v1/alerts", params={"format": "xls"}, headers=keys.reader)
    assert bad.status_code == 422 and "format" in bad.text
