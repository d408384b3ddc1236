"""``fleetcharge export`` and ``fleetcharge kpis``: the store's rows as files, the same as the API's."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
from litestar.testing import TestClient

from service.cli import main
from tests.service.conftest import Keys, request_body, small_problem

SINCE = "2000-01-01T00:00:00+00:00"


def test_decisions_and_alerts_export_from_the_store(client: TestClient, keys: Keys, tmp_path: Path, capsys) -> None:
    for hours, energy in ((8.0, 20.0), (1.0, 40.0)):  # the second leaves both vans short: two alerts
        client.post("/v1/decisions", json=request_body(small_problem(hours=hours, energy=energy)), headers=keys.planner)
    db = f"sqlite:///{tmp_path / 'api.db'}"
    out = tmp_path / "d.parquet"
    assert (
        main(
            [
                "export",
                "decisions",
                "--tenant",
                "acme",
                "--db",
                db,
                "--from",
                SINCE,
                "--format",
                "parquet",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    api = client.get("/v1/decisions", headers=keys.reader).json()["items"]
    assert sorted(pd.read_parquet(out)["decision_id"]) == sorted(i["decision_id"] for i in api)
    assert main(["export", "alerts", "--tenant", "acme", "--db", db, "--from", SINCE, "--format", "csv"]) == 0
    frame = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert sorted(frame["key"]) == ["soc_below_target:v1:t1", "soc_below_target:v2:t2"]
    assert main(["export", "alerts", "--tenant", "acme", "--db", db, "--format", "parquet"]) == 2  # binary to a tty
    assert "--output" in capsys.readouterr().err


def test_kpis_and_bad_flags(store, tmp_path: Path, capsys) -> None:
    db = f"sqlite:///{tmp_path / 'api.db'}"
    assert main(["kpis", "--tenant", "acme", "--db", db, "--depot", "d", "--json"]) == 0
    k = json.loads(capsys.readouterr().out)
    assert k["depot"] == "d" and k["sessions"] == 0 and "charger_utilisation" in k
    assert main(["export", "telemetry", "--tenant", "acme", "--db", db]) == 2
    assert "--vehicle" in capsys.readouterr().err
    assert main(["kpis", "--tenant", "acme", "--db", db, "--depot", "d", "--from", "2026-01-01"]) == 2
    assert "offset" in capsys.readouterr().err
