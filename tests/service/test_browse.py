"""Reading decisions for the notebooks: the store and the API give the same record; reviews go through the API."""

from __future__ import annotations

import pytest

from service.browse import SUMMARY_COLUMNS, ApiError, ApiSource, StoreSource, latest_per_depot
from tests.service.conftest import request_body, small_problem


@pytest.fixture
def stored(client, keys, store, tmp_path):
    body = request_body(small_problem(), policy="courier")
    response = client.post("/v1/decisions/", json=body, headers=keys.planner)
    assert response.status_code == 201, response.text
    return response.json()


def _api(client, headers) -> ApiSource:
    return ApiSource("http://testserver.local", headers["Authorization"].removeprefix("Bearer "), client=client)


def test_store_and_api_give_the_same_record(client, keys, store, stored) -> None:
    by_store = StoreSource(str(store.engine.url), tenant="acme").record(stored["decision_id"])
    by_api = _api(client, keys.reader).record(stored["decision_id"])
    assert by_store == by_api
    assert by_api.decision.model_dump(mode="json") == stored
    assert (by_api.policy_name, by_api.strategy, by_api.mode, by_api.review) == (
        "courier",
        "optimal",
        "assisted",
        "proposed",
    )


def test_tables_agree_and_latest_per_depot(client, keys, store, stored) -> None:
    a = StoreSource(str(store.engine.url), tenant="acme").table()
    b = _api(client, keys.reader).table()
    assert list(a["decision_id"]) == list(b["decision_id"]) == [stored["decision_id"]]
    assert a.drop(columns="created").equals(b.drop(columns="created"))
    latest = latest_per_depot(b)
    assert list(latest["depot"]) == ["d"] and latest.loc[0, "decision_id"] == stored["decision_id"]
    assert latest_per_depot(b.iloc[0:0]).empty


def test_approve_through_the_api_shows_in_the_store(client, keys, store, stored) -> None:
    out = _api(client, keys.approver).approve(stored["decision_id"], "looks right")
    assert out["review"] == "approved"
    assert StoreSource(str(store.engine.url), tenant="acme").record(stored["decision_id"]).review == "approved"


def test_api_errors_are_clear(client, keys, stored) -> None:
    with pytest.raises(ApiError, match="403"):
        _api(client, keys.reader).approve(stored["decision_id"])
    with pytest.raises(ApiError, match="404"):
        _api(client, keys.reader).record("nope")


def test_unknown_decision_in_a_store_names_the_tenant(store) -> None:
    with pytest.raises(LookupError, match="tenant 'acme'"):
        StoreSource(str(store.engine.url), tenant="acme").record("nope")
    empty = StoreSource(str(store.engine.url), tenant="acme").table()
    assert empty.empty and list(empty.columns) == SUMMARY_COLUMNS


def test_api_errors_in_words_for_the_dashboard() -> None:
    """Issue 18.3: the dashboard was blank on a wrong key or an API that does not answer."""
    from service.browse import ApiError, ApiSource

    source = ApiSource("http://127.0.0.1:9", "fc_00000000_x")  # nothing listens on port 9 here
    try:
        source.table()
    except ApiError as err:
        assert err.status is None
        assert err.in_words("http://127.0.0.1:9").startswith("The decision API at http://127.0.0.1:9 does not answer")
    else:
        raise AssertionError("no error from an address nothing listens on")
    assert ApiError("GET /v1/decisions/: 401 unknown key", 401).in_words("x").startswith("This key is not valid")
    assert "approve" in ApiError("POST ...: 403", 403).in_words("x")


def test_chargers_and_drift_for_the_dashboard(client, keys, store) -> None:
    from engine.control.profiles import ChargerElectrics
    from service.ocpp.registry import ChargerRegistry

    ChargerRegistry(store.engine).add("acme", "cp1", ChargerElectrics(rate_unit="W"), "d")
    source = ApiSource("http://testserver", keys.reader["Authorization"].split()[1], client=client)
    chargers = source.chargers()
    assert list(chargers["charger_id"]) == ["cp1"] and not chargers["connected"].iloc[0]
    assert source.reconciliation().empty  # nothing sent, nothing reported: nothing to reconcile
