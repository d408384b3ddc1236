"""Reconciliation over a seeded store (issue 19.7): a clean session shows nothing; seeded drift (meter vs plan, a
missing stop, energy drawn at dearer hours than planned, a SOC change that contradicts the meter) is found."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from engine.control.profiles import ChargerElectrics, ChargerSchedule, SchedulePeriod
from engine.tariffs.bill import price_series
from service.cli import main
from service.decisions import plan_here, record_decision, requested_policy
from service.named_files import shipped_tariff
from service.ocpp.reconciliation import audit_new_drifts, reconcile_tenant
from service.ocpp.registry import ChargerRegistry
from service.ocpp.sessions import ChargerSessions
from service.shipped_paths import POLICIES_DIR
from service.store import Store
from service.telemetry_store import TelemetryStore
from tests.service.conftest import small_problem

TENANT = "acme"
# 15:00 Pacific on a weekday in winter: the plan's two hours straddle SCE TOU-8-D's 16:00 on-peak start
T = datetime(2026, 12, 1, 23, 0, tzinfo=UTC)
H = timedelta(hours=1)


@pytest.fixture
def seeded(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'r.db'}")
    problem = small_problem(1).model_copy(update={"now": T - H})
    store.put_fleet(TENANT, "depot", problem.model_dump(mode="json", by_alias=True))
    policy, name = requested_policy(POLICIES_DIR, "courier")
    decision = plan_here(problem, policy, "optimal", 30)
    record_decision(store, TENANT, "test", decision, problem, policy, name, "optimal")
    ChargerRegistry(store.engine).add(TENANT, "ac0", ChargerElectrics(rate_unit="W"), "d")
    schedule = ChargerSchedule(
        charger_id="ac0",
        vehicle_id="v1",
        purpose="tx",
        profile_id=46501,
        stack_level=1,
        start=T,
        duration_s=7200,
        rate_unit="W",
        phases=3,
        periods=[SchedulePeriod(start_s=0, limit=11000.0)],
        transaction_id="1",
    )
    ChargerSessions(store.engine).schedule_sent(TENANT, decision.decision_id, "cmd-1", schedule, "accepted")
    yield store
    store.dispose()


def session(store: Store, kwh_by_quarter: list[float], stop: bool = True, soc_end: float | None = None) -> None:
    """v1 on ac0 from T, the meter advancing by ``kwh_by_quarter`` each quarter hour; SOC 20 % before."""
    sessions, telemetry = ChargerSessions(store.engine), TelemetryStore(store)
    sessions.start(TENANT, "ac0", 1, "v1", "v1", T, 100_000.0)
    events = [_soc(T - timedelta(minutes=5), 20.0)]
    register = 100.0
    for k, kwh in enumerate([0.0, *kwh_by_quarter]):
        register += kwh
        at = T + k * timedelta(minutes=15)
        sessions.meter("ac0", "1", at, register * 1000)
        events.append(_reading(at, register, register - 100.0))
    if stop:
        end = T + len(kwh_by_quarter) * timedelta(minutes=15)
        sessions.stop("ac0", "1", end, register * 1000, "EVDisconnected")
        gained = (register - 100.0) if soc_end is None else soc_end
        events.append(_soc(end + timedelta(minutes=5), 20.0 + 100 * gained / 50.0))
    outcomes = telemetry.ingest(TENANT, events, received=T + 3 * H)
    assert {o.status for o in outcomes} == {"accepted"}, [o.as_json() for o in outcomes]


def _reading(at: datetime, register_kwh: float, energy_kwh: float) -> dict:
    values = {"state": "charging", "charger_id": "ac0", "transaction_id": "1", "meter_kwh": register_kwh}
    return _event(f"m-{at:%H%M}", at, "charge_session", values | {"energy_kwh": energy_kwh})


def _soc(at: datetime, pct: float) -> dict:
    return _event(f"s-{at:%H%M}", at, "soc", {"soc_pct": pct})


def _event(eid: str, at: datetime, kind: str, values: dict) -> dict:
    return {
        "event_id": eid,
        "vehicle_id": "v1",
        "source": "test",
        "event_time": at.isoformat(),
        "type": kind,
        "values": values,
        "payload_version": "1",
    }


def run(store: Store, now: datetime = T + 3 * H):
    return reconcile_tenant(store, TelemetryStore(store), TENANT, T - H, now).drifts


def test_a_session_that_follows_its_schedule_shows_no_drift(seeded: Store) -> None:
    session(seeded, [2.75] * 8)  # 11 kW for two hours: 22 kWh, as scheduled
    assert run(seeded) == []


def test_a_meter_below_the_schedule_is_an_energy_drift(seeded: Store) -> None:
    session(seeded, [2.0] * 8)  # 16 kWh of 22
    (d,) = [d for d in run(seeded) if d.check == "energy"]
    assert d.expected == pytest.approx(22.0) and d.actual == pytest.approx(16.0)


def test_a_session_never_stopped_is_a_missing_stop(seeded: Store) -> None:
    session(seeded, [2.75] * 8, stop=False)
    assert [d.message.split(":")[0] for d in run(seeded)] == ["missing stop"]
    assert run(seeded, now=T + 2 * H + timedelta(minutes=10)) == []  # within the 15 minutes' grace


def test_energy_drawn_in_the_first_hour_is_priced_as_drawn(seeded: Store) -> None:
    """The same 22 kWh, all before 16:00 Pacific: it costs what the tariff asks then, not what the plan expected."""
    session(seeded, [5.5, 5.5, 5.5, 5.5, 0.0, 0.0, 0.0, 0.0])
    prices = price_series(shipped_tariff("sce_tou_8_d"), T, T + 2 * H, timedelta(minutes=15))
    planned = sum(2.75 * p for p in prices)
    drawn = sum(5.5 * p for p in prices[:4])
    (d,) = run(seeded)
    assert d.check == "cost"
    assert d.expected == pytest.approx(planned) and d.actual == pytest.approx(drawn)
    assert drawn < planned  # off-peak before 16:00


def test_a_soc_change_the_meter_does_not_explain_is_found_and_audited_once(seeded: Store, capsys) -> None:
    session(seeded, [2.75] * 8, soc_end=12.0)  # the battery shows 12 kWh for 22 metered (efficiency 1)
    report = reconcile_tenant(seeded, TelemetryStore(seeded), TENANT, T - H, T + 3 * H)
    (d,) = report.drifts
    assert d.check == "telematics" and d.difference == pytest.approx(12.0 - 22.0)
    assert len(audit_new_drifts(seeded, TENANT, report)) == 1
    assert audit_new_drifts(seeded, TENANT, report) == []
    since = (T - H).isoformat()
    assert main(["reconcile", "--tenant", TENANT, "--since", since, "--db", str(seeded.engine.url)]) == 1
    out = capsys.readouterr().out
    assert "1 drifts" in out and "telematics" in out and "ac0" in out


def test_the_api_serves_the_report_to_a_read_key(seeded: Store) -> None:
    from litestar.testing import TestClient

    from service import create_app
    from service.settings import Settings

    session(seeded, [2.0] * 8)
    key = {"Authorization": f"Bearer {seeded.create_key(TENANT, frozenset({'read'}))}"}
    settings = Settings(db_url="sqlite://", solver_workers=0, jobs_db_url="", reconcile_every_s=0)
    with TestClient(create_app(settings, seeded)) as client:
        body = client.get("/v1/reconciliation", params={"since": (T - H).isoformat()}, headers=key).json()
        assert body["sessions"] == 1 and [d["check"] for d in body["drifts"]] == ["cost", "energy"]  # 6 kWh less
        naive = client.get("/v1/reconciliation", params={"since": "2026-12-01T00:00:00"}, headers=key)
        assert naive.status_code == 422 and "offset" in naive.text


def test_a_session_slot_by_slot_planned_against_metered(seeded: Store) -> None:
    """The schedule asked 11 kW for two hours (2.75 kWh a quarter); the charger drew it all in the first hour."""
    from litestar.testing import TestClient

    from service import create_app
    from service.settings import Settings

    session(seeded, [5.5, 5.5, 5.5, 5.5, 0.0, 0.0, 0.0, 0.0])
    key = {"Authorization": f"Bearer {seeded.create_key(TENANT, frozenset({'read'}))}"}
    settings = Settings(db_url="sqlite://", solver_workers=0, jobs_db_url="", reconcile_every_s=0)
    with TestClient(create_app(settings, seeded)) as client:
        body = client.get("/v1/chargers/ac0/sessions/1", headers=key).json()
        assert client.get("/v1/chargers/ac0/sessions/9", headers=key).status_code == 404
    slots = body["slots"]
    assert [s["slot_start"][11:16] for s in slots] == [
        "23:00",
        "23:15",
        "23:30",
        "23:45",
        "00:00",
        "00:15",
        "00:30",
        "00:45",
    ]
    assert [s["planned_kw"] for s in slots] == pytest.approx([11.0] * 8)
    assert [s["actual_kwh"] for s in slots] == pytest.approx([5.5] * 4 + [0.0] * 4)
    assert sum(s["difference_kwh"] for s in slots) == pytest.approx(0.0)  # the same energy, at other times
    assert body["session"]["energy_kwh"] == pytest.approx(22.0)


def test_a_default_profile_cleared_by_a_later_dispatch_is_no_missing_start(seeded: Store) -> None:
    """Besides the fixture's TxProfile (23:00-01:00), a TxDefaultProfile for 03:00-04:00; nobody plugged in."""
    sessions = ChargerSessions(seeded.engine)
    old = ChargerSchedule.model_validate(sessions.schedules(TENANT)[0]["schedule"])
    later = {
        "purpose": "tx_default",
        "profile_id": 46001,
        "transaction_id": None,
        "start": T + 4 * H,
        "duration_s": 3600,
    }
    default = old.model_copy(update=later)
    sessions.schedule_sent(TENANT, "d2", "cmd-2", default, "accepted")
    starts = [d.message for d in run(seeded, now=T + 6 * H) if d.message.startswith("missing start")]
    assert [m[-5:] for m in starts] == ["23:00", "03:00"]
    sessions.schedule_sent(TENANT, "d3", "cmd-3", default, "cleared")
    starts = [d.message for d in run(seeded, now=T + 6 * H) if d.message.startswith("missing start")]
    assert [m[-5:] for m in starts] == ["23:00"]  # the cleared one asks nothing any more
