"""Bad input answers 422 with the field path, oversized 413, unknown policy 404 with names, never a traceback."""

from __future__ import annotations

from service.request_checks import MAX_JSON_DEPTH, json_depth
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


def test_a_bug_in_model_building_is_500_with_an_error_id_not_a_fallback_plan(client, keys, monkeypatch) -> None:
    import sys

    def buggy_model(_x):
        raise KeyError("energy_balance: slot 96 of a 96-slot horizon")

    monkeypatch.setattr(sys.modules["engine.schedule.optimal"], "create_model", buggy_model)
    r = client.post("/v1/decisions", json=request_body(small_problem()), headers=keys.planner)
    assert r.status_code == 500 and r.json()["error_id"]
    assert "slot 96" not in r.text
    assert client.get("/v1/decisions", headers=keys.reader).json()["items"] == []  # nothing recorded


def test_unknown_decision_is_404(client, keys) -> None:
    assert client.get("/v1/decisions/doesnotexist", headers=keys.reader).status_code == 404


def _problem_with(path: list, value: object) -> dict:
    body = request_body(small_problem())
    at = body["problem"]
    for key in path[:-1]:
        at = at[key]
    at[path[-1]] = value
    return body


# issue 15.3: each of these answered 500 or 201 `feasible` with `total_usd: null` stored as Infinity
NON_FINITE = [
    (["depots", 0, "building_load_kw"], {"start": "2025-03-04T00:00:00-08:00", "values_kw": ["NaN"]}),
    (["vehicles", 0, "battery_kwh"], "inf"),
    (["depots", 0, "grid_limit_kw"], "Infinity"),
    (["depots", 0, "pv_kw"], {"start": "2025-03-04T00:00:00-08:00", "values_kw": ["-inf"]}),
    (["chargers", 0, "max_kw"], "inf"),
    (["depots", 0, "month_to_date_peak_kw"], {"facility": "inf"}),
    (["trips", 0, "energy_kwh_p90"], "inf"),
    (["vehicles", 0, "battery_kwh"], 1e300),
]


def test_non_finite_and_absurd_numbers_are_422_naming_the_field(client, keys) -> None:
    for path, value in NON_FINITE:
        r = client.post("/v1/decisions", json=_problem_with(path, value), headers=keys.planner)
        assert r.status_code == 422, (path, value, r.status_code, r.text[:300])
        fields = [e["field"] for e in r.json()["errors"]]
        want = "problem." + ".".join(str(k) for k in path).replace(".0", "[0]")
        assert any(f.startswith(want) for f in fields), (want, fields)


def test_a_year_9999_planning_time_or_bill_start_is_422_not_500(client, keys) -> None:
    body = _problem_with(["now"], "9999-12-31T23:00:00+00:00")
    r = client.post("/v1/decisions", json=body, headers=keys.planner)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "problem.now", r.text[:300]
    assert "between 2000-01-01 and 2200-01-01" in r.json()["errors"][0]["message"]
    bill = {"tariff": "sce_tou_8_d", "start": "9999-12-31T00:00:00+00:00", "step_minutes": 15, "load_kw": [1.0]}
    r = client.post("/v1/bills", json=bill, headers=keys.reader)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "start", r.text[:300]


DEEP = b"[" * 1000 + b"]" * 1000  # issue 15.4: a RecursionError in decoding, a 500 on every JSON endpoint


def test_json_nested_1000_deep_is_400_on_every_json_endpoint(client, keys) -> None:
    for path in ("/v1/decisions", "/v1/policies/validate", "/v1/bills", "/v1/telemetry", "/v1/decisions/x/override"):
        for body in (DEEP, b'{"text": ' + DEEP + b"}"):
            r = client.post(path, content=body, headers={**keys.admin, "Content-Type": "application/json"})
            assert r.status_code == 400, (path, r.status_code, r.text[:200])
            assert "nested 100" in r.json()["detail"]


def test_json_depth_counts_brackets_outside_strings_only() -> None:
    assert json_depth(b'{"a": [1, {"b": "[[[{{{"}], "c": "\\"]]]"}') == 3
    assert json_depth(b"[]") == 1 and json_depth(b'"x"') == 0
    assert json_depth(b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1)) == MAX_JSON_DEPTH + 1


def test_the_schema_says_what_the_server_does(client) -> None:
    # issue 15.13: undocumented 401/404/422, schema-valid bodies refused, public endpoints declared protected
    doc = client.get("/schema/openapi.json").json()
    assert "security" not in doc or not doc["security"]
    for path in ("/health", "/health/ready", "/metrics"):
        assert not doc["paths"][path]["get"].get("security"), path
    create = doc["paths"]["/v1/decisions"]["post"]
    assert create["security"] == [{"bearer": []}]
    assert {"400", "401", "403", "413", "422", "429", "503"} <= set(create["responses"])
    assert "404" in doc["paths"]["/v1/decisions/{decision_id}"]["get"]["responses"]
    assert "409" in doc["paths"]["/v1/decisions/{decision_id}/approve"]["post"]["responses"]
    schemas = doc["components"]["schemas"]
    for name in ("DecisionRequest", "PlanningProblem", "Vehicle", "ReviewRequest", "OverrideRequest", "Policy"):
        assert schemas[name]["additionalProperties"] is False, name
    changes = schemas["OverrideRequest"]["properties"]["changes"]  # typed changes (issue 18.4), not free-form
    assert changes["type"] == "array" and changes["items"] == {"$ref": "#/components/schemas/SessionChange"}
    assert schemas["SessionChange"]["additionalProperties"] is False


def test_since_must_be_an_iso_time(client, keys) -> None:
    assert client.get("/v1/decisions?since=0.5", headers=keys.reader).status_code == 400  # answered 200
    assert client.get("/v1/decisions?since=2025-07-14T00:00:00", headers=keys.reader).status_code == 400
    assert client.get("/v1/decisions?since=2025-07-14T00:00:00Z", headers=keys.reader).status_code == 200
