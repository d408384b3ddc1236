"""/v1/shadow-report and ``fleetcharge shadow-report``: a shadow decision against the store and a CSV log."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from litestar.testing import TestClient

from service.cli import main
from tests.engine.schedule.factory import NOW
from tests.service.conftest import Keys, request_body, small_problem
from tests.service.test_decisions import inline_policy

PERIOD = {"depot": "d", "from": NOW.isoformat(), "to": (NOW + timedelta(hours=9)).isoformat()}


def test_the_shadow_plan_against_an_empty_outcome_and_a_dispatch_log(
    client: TestClient, keys: Keys, tmp_path: Path, capsys
) -> None:
    p = small_problem(n=1)
    policy = {**inline_policy("shadow"), "objective": {"shortfall_usd_per_kwh": {"3": 100.0}}}  # worth its demand
    r = client.post("/v1/decisions", json=request_body(p, policy), headers=keys.planner)
    assert r.status_code == 201 and r.json()["status"] in ("optimal", "feasible")
    planned = sum(r.json()["plan"]["vehicles"][0]["power_kw"]) * 0.25
    body = client.get("/v1/shadow-report", params=PERIOD, headers=keys.reader).json()
    s = body["summary"]
    assert planned > 20.0  # the van needs 25 kWh for the 0.6 floor
    assert s["shadow_decisions"] == 1 and s["energy_kwh_shadow"] == pytest.approx(planned, abs=1e-3)
    assert s["energy_kwh_actual"] == 0.0 and s["departures"] == 0  # no charger or telematics reported anything
    # the same against a dispatch log: 15 kWh from 06:00 to 08:00, the van left at 0.35
    sessions, departures = tmp_path / "s.csv", tmp_path / "d.csv"
    sessions.write_text(
        "vehicle_id,charger_id,plug_in,plug_out,energy_kwh\n"
        f"v1,ac0,{(NOW + timedelta(hours=6)).isoformat()},{(NOW + timedelta(hours=8)).isoformat()},15\n"
    )
    departures.write_text(f"vehicle_id,trip_id,departure,soc\nv1,t1,{(NOW + timedelta(hours=8)).isoformat()},0.35\n")
    db = f"sqlite:///{tmp_path / 'api.db'}"
    args = [
        "shadow-report",
        "--tenant",
        "acme",
        "--db",
        db,
        "--depot",
        "d",
        "--from",
        PERIOD["from"],
        "--to",
        PERIOD["to"],
    ]
    assert main([*args, "--sessions", str(sessions), "--departures", str(departures)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["summary"]["energy_kwh_actual"] == pytest.approx(15.0)
    assert out["summary"]["readiness_actual"] == 0.0 and out["summary"]["readiness_shadow"] == 1.0
    assert main([*args, "--sessions", str(sessions)]) == 2 and "--departures" in capsys.readouterr().err


def test_no_shadow_decision_no_rows(client: TestClient, keys: Keys) -> None:
    client.post("/v1/decisions", json=request_body(small_problem()), headers=keys.planner)  # courier: assisted
    body = client.get("/v1/shadow-report", params=PERIOD, headers=keys.reader).json()
    assert body == {"summary": {**body["summary"], "shadow_decisions": 0}, "rows": []}
