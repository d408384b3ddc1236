"""A depot's KPIs over a seeded day (the reconciliation tests' store): by hand."""

from __future__ import annotations

import pandas as pd
import pytest
from litestar.testing import TestClient

from engine.tariffs.bill import bill
from service import create_app
from service.settings import Settings
from service.store import Store
from tests.service.ocpp.test_reconciliation import TENANT, H, T, seeded, session  # noqa: F401

SETTINGS = Settings(db_url="sqlite://", solver_workers=0, jobs_db_url="", reconcile_every_s=0)


def get(store: Store, **params: str) -> tuple[int, dict]:
    key = {"Authorization": f"Bearer {store.create_key(TENANT, frozenset({'read'}))}"}
    with TestClient(create_app(SETTINGS, store)) as client:
        r = client.get("/v1/kpis", params=params, headers=key)
        return r.status_code, r.json()


def test_a_day_with_one_session_that_followed_its_schedule(seeded: Store) -> None:  # noqa: F811
    session(seeded, [2.75] * 8)  # 22 kWh from 23:00 to 01:00, unplugged by the vehicle, as scheduled
    status, k = get(seeded, depot="d", **{"from": (T - H).isoformat(), "to": (T + 3 * H).isoformat()})
    assert status == 200
    assert k["sessions"] == 1 and k["energy_delivered_kwh"] == pytest.approx(22.0)
    assert k["energy_planned_kwh"] == pytest.approx(22.0) and k["energy_delivered_share"] == pytest.approx(1.0)
    assert k["charge_completion_rate"] == 1.0
    assert k["charger_utilisation"] == pytest.approx(2 / 4)  # one charger, plugged 2 h of 4
    # the latest plan's bill, split: the parties add up to the bill of the plan's depot load, to the cent
    decision = seeded.list_decisions(TENANT, depot="d", limit=1)[0][0]
    from engine.domain import PlanningProblem
    from engine.results import Decision
    from service.named_files import shipped_tariff

    plan = Decision.model_validate(decision.decision).plan
    problem = PlanningProblem.model_validate(decision.problem)
    load = pd.Series([max(x, 0.0) for x in plan.depot_load_kw["d"]], index=pd.DatetimeIndex(plan.slot_starts))
    total = bill(load, shipped_tariff(problem.tariff), step_minutes=plan.slot_minutes).total_usd
    assert set(k["cost_per_vehicle_usd"]) == {"site"}  # the seeded plan charges nobody: the site pays the bill
    assert sum(k["cost_per_vehicle_usd"].values()) == pytest.approx(round(total, 2))


def test_a_session_the_charger_cut_short_is_not_completed(seeded: Store) -> None:  # noqa: F811
    from service.ocpp.sessions import ChargerSessions

    sessions = ChargerSessions(seeded.engine)
    sessions.start(TENANT, "ac0", 1, "v1", "v1", T, 100_000.0)
    sessions.stop("ac0", "1", T + H / 2, 105_000.0, "PowerLoss")
    _status, k = get(seeded, depot="d", **{"from": (T - H).isoformat(), "to": (T + 3 * H).isoformat()})
    assert k["charge_completion_rate"] == 0.0 and k["energy_delivered_kwh"] == pytest.approx(5.0)
    assert k["energy_delivered_share"] == pytest.approx(5 / 22)


def test_a_bad_period_is_named(seeded: Store) -> None:  # noqa: F811
    status, body = get(seeded, depot="d", **{"from": T.isoformat(), "to": (T - H).isoformat()})
    assert status == 422 and "after" in str(body)
    status, body = get(seeded, depot="d", **{"from": "2026-12-01T00:00:00"})
    assert status == 422 and "offset" in str(body)


@pytest.mark.parametrize(("gained_kwh", "ready"), [(22.0, True), (2.0, False)])
def test_departure_readiness_from_what_telematics_read_before_it(seeded: Store, gained_kwh: float, ready: bool) -> None:  # noqa: F811
    """A plan made at T - 1 h for v1 leaving at T + 7 h; its last SOC reading before that is 20 % plus the
    session's gain over its 50 kWh battery: ready when that reaches the plan's target."""
    from datetime import datetime, timedelta

    from engine.domain import PlanningProblem
    from service.decisions import plan_here, record_decision, requested_policy
    from service.shipped_paths import POLICIES_DIR
    from tests.service.conftest import small_problem
    from tests.service.ocpp.test_dispatch import shifted

    raw = small_problem(1).model_dump(mode="json", by_alias=True)
    problem = PlanningProblem.model_validate(shifted(raw, (T - H) - datetime.fromisoformat(raw["now"])))
    policy, name = requested_policy(POLICIES_DIR, "courier")
    decision = plan_here(problem, policy, "optimal", 30)
    record_decision(seeded, TENANT, "test", decision, problem, policy, name, "optimal")
    session(seeded, [2.75] * 8, soc_end=gained_kwh)
    _status, k = get(seeded, depot="d", **{"from": (T - H).isoformat(), "to": (T + 9 * H).isoformat()})
    target = decision.trace.departure_targets["v1"]["t1"]
    planned = decision.plan.vehicles[0].soc_at_departure["t1"]
    actual = (20.0 + 100 * gained_kwh / 50.0) / 100
    assert k["departures"] == 1 and (actual >= target - 0.005) is ready
    assert k["departure_readiness"] == (1.0 if ready else 0.0)
    assert k["forecast_soc_error"] == pytest.approx(actual - planned)
    trip = problem.trips[0]
    needed = trip.energy_kwh_p50 / problem.vehicles[0].battery_kwh  # could it have driven the trip at all?
    assert k["missed_trips"] == int(actual < needed - 0.005) and k["distance_km"] == trip.distance_km
    assert k["cost_per_km_usd"] == pytest.approx(round(k["charging_cost_usd"] / trip.distance_km, 4))
    assert k["cost_per_trip_usd"] == {"t1": k["cost_per_vehicle_usd"]["v1"]}  # its only trip in the period
    # telematics read the gain 5 minutes after the session ended at T + 2 h; the plan's ready time is the slot
    # boundary after its last one below the target
    plan, step = decision.plan, timedelta(minutes=decision.plan.slot_minutes)
    bounds = [(plan.slot_starts[0] + i * step, soc) for i, soc in enumerate(plan.vehicles[0].soc)]
    bounds = [(t, soc) for t, soc in bounds if t <= trip.departure]
    last_below = max(i for i, (_t, soc) in enumerate(bounds) if soc < target - 0.005)
    planned_ready = bounds[last_below + 1][0]
    read_ready = T + 2 * H + timedelta(minutes=5)
    if ready:
        assert k["ready_before_departure_min"] == pytest.approx((trip.departure - read_ready).total_seconds() / 60)
        assert k["ready_time_error_min"] == pytest.approx((read_ready - planned_ready).total_seconds() / 60)
    else:
        assert k["ready_before_departure_min"] is None and k["ready_time_error_min"] is None


def test_the_metered_peak_against_the_limit_and_what_the_load_costs(seeded: Store) -> None:  # noqa: F811
    """The meter rises 2.75 kWh each quarter from T to T + 2 h: 11 kW for 8 quarters, nothing in the 8 others of
    the period. Peak 11 kW against the depot's limit; the cost is that load billed at the depot's tariff; the
    plan's departures are after the period, so no km."""
    from engine.domain import PlanningProblem
    from service.named_files import shipped_tariff

    session(seeded, [2.75] * 8)
    _status, k = get(seeded, depot="d", **{"from": (T - H).isoformat(), "to": (T + 3 * H).isoformat()})
    problem = PlanningProblem.model_validate(seeded.list_decisions(TENANT, depot="d", limit=1)[0][0].problem)
    limit = problem.depots[0].grid_limit_kw
    assert k["peak_kw"] == pytest.approx(11.0) and k["limit_kw"] == limit
    assert k["peak_share_of_limit"] == pytest.approx(round(11.0 / limit, 4))
    by_hand = pd.Series([0.0] * 4 + [11.0] * 8 + [0.0] * 4, index=pd.date_range(T - H, periods=16, freq="15min"))
    b = bill(by_hand, shipped_tariff(problem.tariff), step_minutes=15)
    assert k["energy_cost_usd"] == pytest.approx(round(b.energy_usd, 2))
    assert k["demand_cost_usd"] == pytest.approx(round(b.demand_usd, 2))
    assert k["charging_cost_usd"] == pytest.approx(round(b.total_usd, 2)) and k["charging_cost_usd"] > 0
    assert k["distance_km"] == 0.0 and k["cost_per_km_usd"] is None and k["missed_trips"] == 0


def test_exceptions_and_how_long_they_took_to_resolve(seeded: Store) -> None:  # noqa: F811
    """Two alerts raised 90 and 30 minutes ago; the first resolved now (90 minutes), the second still open."""
    from datetime import UTC, datetime, timedelta

    from engine.alerts import Alert
    from service.alerts.store import AlertStore

    now = datetime.now(UTC)
    alerts = AlertStore(seeded.engine)

    def alert(key: str, minutes_ago: float) -> Alert:
        return Alert(
            key=key,
            kind="session_failed",
            priority="P1",
            depot_id="d",
            raised_at=now - timedelta(minutes=minutes_ago),
            decision_id="x",
            reason="test",
            vehicles=["v1"],
            action="re-plan",
        )

    alerts.raise_all(TENANT, [alert("a", 90.0), alert("b", 30.0)])
    first = next(a for a in alerts.list(TENANT) if a["key"] == "a")
    alerts.change(TENANT, first["id"], "resolved", "ops")
    period = {"from": (now - 2 * H).isoformat(), "to": (now + H).isoformat()}
    _status, k = get(seeded, depot="d", **period)
    assert k["exceptions"] == 2 and k["exceptions_open"] == 1
    assert k["exception_recovery_min"] == pytest.approx(90.0, abs=1.0)
    _status, k = get(seeded, depot="d", **{"from": (now - 60 * timedelta(minutes=1)).isoformat(), "to": period["to"]})
    assert k["exceptions"] == 1 and k["exception_recovery_min"] is None  # only b was raised in the last hour


def test_queue_time_from_the_arrival_telematics_saw_to_the_session(seeded: Store) -> None:  # noqa: F811
    """v1 reported outside the depot at T - 2 h and in it (depot d) at T - 30 min; its session starts at T."""
    from service.telemetry_store import TelemetryStore

    def position(eid: str, at, where: dict) -> dict:
        return {
            "event_id": eid,
            "vehicle_id": "v1",
            "source": "test",
            "event_time": at.isoformat(),
            "type": "position",
            "values": where,
            "payload_version": "1",
        }

    outcomes = TelemetryStore(seeded).ingest(
        TENANT,
        [
            position("p1", T - 2 * H, {"lat": 10.0, "lon": 10.0}),
            position("p2", T - H / 2, {"lat": 34.0, "lon": -118.0, "depot_id": "d"}),
        ],
        received=T,
    )
    assert {o.status for o in outcomes} == {"accepted"}, [o.as_json() for o in outcomes]
    session(seeded, [2.75] * 8)
    _status, k = get(seeded, depot="d", **{"from": (T - H).isoformat(), "to": (T + 3 * H).isoformat()})
    assert k["queue_time_min"] == pytest.approx(30.0)
    _status, k = get(seeded, depot="d", **{"from": (T - H / 4).isoformat(), "to": (T + 3 * H).isoformat()})
    assert k["queue_time_min"] is None  # that arrival was before the period
