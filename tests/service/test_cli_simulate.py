"""``fleetcharge simulate``: the JSON contract, and bad input named without a traceback."""

from __future__ import annotations

import json
from pathlib import Path

from service.cli import main

SCENARIOS = Path(__file__).resolve().parents[2] / "examples" / "scenarios"


def test_simulate_prints_the_kpis_as_json(capsys) -> None:
    code = main(["simulate", str(SCENARIOS / "extra_trip.yaml"), "--policy", "courier", "--days", "1", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert (out["scenario"], out["policy"], out["strategy"], out["seed"], out["mode"]) == (
        "extra_trip",
        "courier",
        "optimal",
        9,
        "assisted",
    )
    k = out["kpis"]
    assert k["departures"] == 69 and k["departure_readiness"] == 1.0  # 68 routes and the surprise trip
    assert k["decisions"] >= 2 and sum(k["cost_per_vehicle_usd"].values()) > 0


def test_a_seed_override_changes_the_world_not_the_contract(capsys) -> None:
    base = ["simulate", str(SCENARIOS / "realistic_month.yaml"), "--strategy", "uncontrolled", "--days", "1", "--json"]
    main([*base, "--seed", "1"])
    one = json.loads(capsys.readouterr().out)
    main([*base, "--seed", "2"])
    two = json.loads(capsys.readouterr().out)
    assert one["seed"] == 1 and two["seed"] == 2 and one["kpis"] != two["kpis"]
    assert one["policy"] is None and one["mode"] is None


def test_bad_input_is_named(tmp_path: Path, capsys) -> None:
    assert main(["simulate", str(SCENARIOS / "extra_trip.yaml"), "--policy", "nope"]) == 2
    assert "--policy" in capsys.readouterr().err
    bad = tmp_path / "s.yaml"
    bad.write_text("name: s\ndays: 0\n")
    assert main(["simulate", str(bad)]) == 2
    assert f"{bad}:2" in capsys.readouterr().err
    assert main(["simulate", "no_such_scenario"]) == 2
    assert "no such scenario file or shipped scenario (shipped: depot_outage," in capsys.readouterr().err
