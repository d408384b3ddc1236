"""Bad input answers 422 with the field path, oversized 413, unknown policy 404 with names, never a traceback."""

from __future__ import annotations

from tests.service.conftest import request_body, small_problem


def test_invalid_body_names_the_field(client, keys) -> None:
    body = request_body(small_problem())
    body["problem"]["vehicles"][1]["battery_kwh"] = -5
    r = client.post("/v1/decisions", json=body, headers=keys.planner)
    assert r.status_code == 422
    assert any(e["field"] == "problem.vehicles[1].battery_kwh" for e in r.json()["errors"]), r.json()


def test_malformed_json_is_rejected(client, keys) -> None:
    r = client.post("/v1/decisions", content=b"{not json", headers={**keys.planner, "Content-Type": "application/json"})
    assert r.status_code in (400, 422) and "Traceback" not in r.text


def test_unknown_policy_lists_the_available_ones(client, keys) -> None:
    r = client.post("/v1/decisions", json=request_body(small_problem(), "nope"), headers=keys.planner)
    assert r.status_code == 404
    assert r.json()["available"] == ["courier", "municipal_saver", "utility_service"]


def test_unknown_tariff_and_paths_are_refused(client, keys) -> None:
    for tariff in ("no_such_tariff", "/etc/passwd", "../tariffs/sce_tou_8_d"):
        p = small_problem().model_copy(update={"tariff": tariff})
        r = client.post("/v1/decisions", json=request_body(p), headers=keys.planner)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "problem.tariff", tariff


def test_oversized_body_is_413(client, keys) -> None:
    r = client.post(
        "/v1/decisions", content=b"x" * 2_100_000, headers={**keys.planner, "Content-Type": "application/json"}
    )
    assert r.status_code == 413


def test_too_large_a_problem_is_422(client, keys) -> None:
    client.app.state.settings = client.app.state.settings.model_copy(update={"max_vehicle_slots": 10})
    r = client.post("/v1/decisions", json=request_body(small_problem()), headers=keys.planner)
    assert r.status_code == 422 and "too large" in r.json()["errors"][0]["message"]


def test_engine_failure_is_500_without_internals(client, keys, monkeypatch) -> None:
    async def boom(*_args, **_kwargs):
        raise ZeroDivisionError("secret internals")

    monkeypatch.setattr(client.app.state.planner, "decide", boom)
    r = client.post("/v1/decisions", json=request_body(small_problem()), headers=keys.planner)
    assert r.status_code == 500
    assert "secret" not in r.text and "Traceback" not in r.text and r.json()["error_id"]


def test_unknown_decision_is_404(client, keys) -> None:
    assert client.get("/v1/decisions/doesnotexist", headers=keys.reader).status_code == 404
