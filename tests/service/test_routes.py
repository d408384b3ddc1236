"""POST /v1/routes/options and ``fleetcharge route``: the same engine function, the example route by hand."""

from __future__ import annotations

import json
from pathlib import Path

from litestar.testing import TestClient

from engine.policy.schema import Routing
from engine.routing.fixed_route import FixedRoute
from engine.routing.options import route_options
from service.cli import main
from tests.service.conftest import Keys

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "routes" / "delivery_loop.json"


def test_the_api_answers_what_the_engine_does(client: TestClient, keys: Keys) -> None:
    body = {"route": json.loads(EXAMPLE.read_text()), "policy": "courier"}
    r = client.post("/v1/routes/options", json=body, headers=keys.planner)
    assert r.status_code == 200, r.text
    engine = route_options(FixedRoute.model_validate(body["route"]), Routing())  # courier has no routing section
    assert r.json() == json.loads(engine.model_dump_json())
    labels = [o["label"] for o in r.json()["options"]]
    assert labels == ["fastest", "cheapest", "lowest_risk", "balanced"]
    assert client.post("/v1/routes/options", json=body, headers=keys.reader).status_code == 403  # needs plan
    bad = client.post("/v1/routes/options", json={"route": {"route": [0]}}, headers=keys.planner)
    assert bad.status_code == 422 and "route" in bad.text


def test_the_cli_prints_the_options_and_names_a_bad_file(tmp_path: Path, capsys) -> None:
    assert main(["route", str(EXAMPLE), "--policy", "courier", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    fastest, cheapest = out["options"][0], out["options"][1]
    assert fastest["duration_h"] <= cheapest["duration_h"] and cheapest["charging_usd"] <= fastest["charging_usd"]
    broken = tmp_path / "r.json"
    broken.write_text(EXAMPLE.read_text().replace('"q_max": 60.0', '"q_max": -60.0'))
    assert main(["route", str(broken)]) == 2
    err = capsys.readouterr().err
    assert f"{broken}:" in err and "q_max" in err
