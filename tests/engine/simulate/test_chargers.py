"""A simulated charger takes schedules as a real one does (hand cases)."""

import asyncio
from datetime import UTC, datetime, timedelta

from engine.control.profiles import ChargerElectrics, ChargerSchedule, SchedulePeriod
from engine.domain import Charger
from engine.simulate.chargers import SimulatedCharger

T0 = datetime(2025, 7, 14, 22, 0, tzinfo=UTC)


def _charger() -> SimulatedCharger:
    c = Charger(id="AC-1", depot_id="d", kind="AC", max_kw=19.2, connectors=["J1772"])
    return SimulatedCharger(c, ChargerElectrics(rate_unit="W"))


def _schedule(purpose: str, tx: str | None, watts: list[float]) -> ChargerSchedule:
    return ChargerSchedule(
        charger_id="AC-1",
        vehicle_id="V",
        purpose=purpose,
        profile_id=46001 if purpose == "tx_default" else 46501,
        stack_level=1,
        start=T0,
        duration_s=900 * len(watts),
        rate_unit="W",
        phases=3,
        periods=[SchedulePeriod(start_s=900 * k, limit=w) for k, w in enumerate(watts)],
        transaction_id=tx,
    )


def test_limits_follow_the_profiles_in_force() -> None:
    c = _charger()
    assert c.limit_kw(T0) == 0.0  # nothing plugged: no transaction
    c.vehicle = "V"
    tx = c.begin()
    assert c.limit_kw(T0) == 19.2  # no profile: its rating
    assert asyncio.run(c.set_schedule(_schedule("tx_default", None, [7000, 3000]))).status == "accepted"
    assert c.limit_kw(T0) == 7.0 and c.limit_kw(T0 + timedelta(minutes=20)) == 3.0
    assert c.limit_kw(T0 + timedelta(minutes=30)) == 19.2  # after the schedule: its rating
    asyncio.run(c.set_schedule(_schedule("tx", tx, [0, 11000])))
    assert c.limit_kw(T0) == 0.0  # the tx profile prevails
    c.end("EVDisconnected")
    c.begin()
    assert c.limit_kw(T0) == 7.0  # the tx profile ended with its transaction


def test_a_faulted_charger_refuses_and_draws_nothing() -> None:
    c = _charger()
    c.vehicle = "V"
    c.begin()
    c.faulted = True
    assert asyncio.run(c.set_schedule(_schedule("tx_default", None, [7000]))).status == "rejected"
    assert c.limit_kw(T0) == 0.0 and c.state() == "faulted"


def test_a_stopped_session_restarts_remotely() -> None:
    c = _charger()
    c.vehicle = "V"
    c.begin()
    c.end("Other")
    assert c.state() == "occupied"
    assert asyncio.run(c.start_session(1, "V")).status == "accepted"
    assert c.state() == "charging"
    assert asyncio.run(c.start_session(1, "V")).status == "rejected"  # already running
