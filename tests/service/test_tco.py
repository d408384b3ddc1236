"""POST /v1/tco, POST /v1/tco/sensitivity and ``fleetcharge tco``: the same engine function as the notebook."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from litestar.testing import TestClient

from engine.tco.load import assumptions_from_data
from engine.tco.report import tco_report
from service.cli import main
from tests.engine.tco.cases import hand
from tests.service.conftest import Keys

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tco" / "demo_depot.yaml"


def test_the_api_answers_what_the_engine_does(client: TestClient, keys: Keys) -> None:
    r = client.post("/v1/tco", json={"assumptions": hand(), "scenario": "dear_power"}, headers=keys.planner)
    assert r.status_code == 200, r.text
    engine = tco_report(assumptions_from_data(hand(), scenario="dear_power"), "dear_power")
    assert r.json() == json.loads(json.dumps(engine))
    assert r.json()["comparison"][0]["payback_year"] == 2030
    assert any(a["parameter"] == "depots.d1.energy.price" and a["value"] == 0.3 for a in r.json()["assumptions"])
    assert client.post("/v1/tco", json={"assumptions": hand()}, headers=keys.reader).status_code == 403


def test_bad_assumptions_and_file_reads_are_refused_by_field(client: TestClient, keys: Keys) -> None:
    bad = hand()
    bad["analysis"]["discount_rate"]["unit"] = "percent"
    r = client.post("/v1/tco", json={"assumptions": bad}, headers=keys.planner)
    assert r.status_code == 422 and "analysis.discount_rate.unit" in r.text, r.text
    reads = hand()
    reads["depots"][0]["energy"] = {"calibrate": {"problem": "/etc"}}
    r = client.post("/v1/tco", json={"assumptions": reads}, headers=keys.planner)
    assert r.status_code == 422 and "calibrate reads files on the server" in r.text, r.text
    r = client.post("/v1/tco", json={"assumptions": "nope"}, headers=keys.planner)
    assert r.status_code == 422 and "demo_depot" in r.text
    r = client.post("/v1/tco/sensitivity", json={"assumptions": hand(), "monte_carlo": 10**6}, headers=keys.planner)
    assert r.status_code in (400, 422) and "monte_carlo" in r.text


def test_sensitivity_endpoint_tornado_and_percentiles(client: TestClient, keys: Keys) -> None:
    body = {"assumptions": hand(), "monte_carlo": 300, "seed": 5, "metric": "ev_npv_usd"}
    r = client.post("/v1/tco/sensitivity", json=body, headers=keys.planner)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["tornado"]["metric"] == "ev_npv_usd"
    assert {row["parameter"] for row in out["tornado"]["rows"]} == {
        "analysis.discount_rate",
        "depots.d1.chargers.hardware",
        "depots.d1.energy.price",
        "vehicle_classes.van.annual_distance",
        "vehicle_classes.van.ev.acquisition.price",
        "vehicle_classes.van.ev.acquisition.residual_value",
        "vehicle_classes.van.ev.consumption",
        "vehicle_classes.van.diesel.fuel_price",
    }
    mc = out["monte_carlo"]
    assert mc["samples"] == 300 and mc["metrics"]["ev_npv_usd"]["p10"] <= mc["metrics"]["ev_npv_usd"]["p90"]
    again = client.post("/v1/tco/sensitivity", json=body, headers=keys.planner).json()
    assert again["monte_carlo"] == mc


def test_the_cli_runs_the_shipped_file_and_names_a_bad_one(tmp_path: Path, capsys) -> None:
    assert main(["tco", "demo_depot", "--scenario", "lower_utilisation", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["scenario"] == "lower_utilisation" and set(out["totals"]) == {"ev", "diesel"}
    assert out["version"] == "2026-12" and len(out["assumptions_hash"]) == 64
    price = next(a for a in out["assumptions"] if a["parameter"] == "depots.lax-1.energy.price")
    assert price["source"].startswith("calibrated from ../demo_depot planned with optimal under policy courier")
    distance = next(a for a in out["assumptions"] if a["parameter"] == "vehicle_classes.van.annual_distance")
    assert distance["value"] == 24000
    data = yaml.safe_load(EXAMPLE.read_text())
    data["depots"][0]["energy"]["calibrate"]["problem"] = str(EXAMPLE.parents[1] / "demo_depot")
    data["vehicle_classes"][0]["ev"]["consumption"]["unit"] = "kWh/100km"
    broken = tmp_path / "fleet.yaml"
    broken.write_text(yaml.safe_dump(data, sort_keys=False))
    assert main(["tco", str(broken), "--sensitivity", "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert f"{broken}:" in err and "vehicle_classes[0].ev.consumption.unit" in err and "'kWh/km'" in err
    assert main(["tco", str(tmp_path / "missing.yaml")]) == 2
    assert "shipped: demo_depot" in capsys.readouterr().err


@pytest.fixture
def dask_scheduler() -> Iterator[str]:
    """A LocalCluster of 2 worker processes, closed when the test ends; its scheduler's address."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        yield cluster.scheduler_address


def test_sweeps_on_a_dask_cluster_give_the_local_numbers(tmp_path: Path, capsys, dask_scheduler: str) -> None:
    """The same command on a local process pool, in this process and with ``--cluster`` (a LocalCluster's
    scheduler): identical JSON."""
    path = tmp_path / "hand.yaml"
    path.write_text(yaml.safe_dump(hand(), sort_keys=False))
    args = ["tco", str(path), "--sensitivity", "--monte-carlo", "4500", "--seed", "2", "--json"]  # 3 batches
    assert main([*args, "--workers", "2"]) == 0  # the local pool
    local = json.loads(capsys.readouterr().out)
    assert main([*args, "--workers", "1"]) == 0  # this process
    assert json.loads(capsys.readouterr().out) == local
    assert main([*args, "--cluster", dask_scheduler]) == 0
    on_cluster = json.loads(capsys.readouterr().out)
    assert on_cluster == local
    assert local["monte_carlo"]["samples"] == 4500 and len(local["tornado"]["rows"]) == 8
