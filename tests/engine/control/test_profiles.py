"""Plan -> charger schedules, checked by hand (15-minute slots from 22:00 UTC)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from engine.control.profiles import ChargerElectrics, charger_schedules, merged_periods, next_schedules
from engine.results import ChargeSession, Plan, VehiclePlan

T0 = datetime(2026, 3, 2, 22, 0, tzinfo=UTC)
SLOT = timedelta(minutes=15)
AC = ChargerElectrics(rate_unit="A", phases=3, voltage_v=230.0, max_stack_level=3)
DC = ChargerElectrics(rate_unit="W")


def plan(*vehicles: VehiclePlan, n: int = 8) -> Plan:
    return Plan(
        strategy="optimal",
        slot_starts=[T0 + k * SLOT for k in range(n)],
        slot_minutes=15,
        vehicles=list(vehicles),
        site_load_kw=[0.0] * n,
        depot_load_kw={"d": [0.0] * n},
        grid_limit_kw={"d": 100.0},
    )


def vehicle(vid: str, charger: str, kw: list[float], plug_in: int, plug_out: int) -> VehiclePlan:
    session = ChargeSession(
        charger_id=charger, plug_in=T0 + plug_in * SLOT, plug_out=T0 + plug_out * SLOT, energy_kwh=0
    )
    return VehiclePlan(vehicle_id=vid, charger_id=charger, sessions=[session], power_kw=kw)


def test_ac_session_ahead_is_a_default_profile_in_amps_with_equal_slots_merged():
    kw = [11.0, 11.0, 7.2, 7.2, 0.0, 3.6, 0.0, 0.0]
    [s] = charger_schedules(plan(vehicle("v1", "C1", kw, 0, 6)), {"C1": AC}, now=T0 - timedelta(hours=1))
    # 11 kW / (230 V x 3) = 15.94 A -> 15.9; 7.2 kW -> 10.43 -> 10.4; 3.6 kW -> 5.21 -> 5.2
    assert [(p.start_s, p.limit) for p in s.periods] == [(0, 15.9), (1800, 10.4), (3600, 0.0), (4500, 5.2)]
    assert (s.purpose, s.start, s.duration_s, s.rate_unit, s.phases) == ("tx_default", T0, 5400, "A", 3)
    assert (s.stack_level, s.transaction_id, s.vehicle_id) == (3, None, "v1")
    assert s.limit_at(4499) == 0.0 and s.limit_at(4500) == 5.2 and s.limit_at(5400) is None


def test_running_session_is_a_transaction_profile_from_the_slot_holding_now():
    kw = [50.0, 50.0, 40.0, 22.5, 22.5, 0.0, 0.0, 0.0]
    now = T0 + timedelta(minutes=40)  # in slot 2 (22:30-22:45)
    [s] = charger_schedules(plan(vehicle("v1", "D1", kw, 0, 5)), {"D1": DC}, now=now, transactions={"D1": "17"})
    assert (s.purpose, s.transaction_id, s.start) == ("tx", "17", T0 + 2 * SLOT)
    assert [(p.start_s, p.limit) for p in s.periods] == [(0, 40000.0), (900, 22500.0)]
    assert s.duration_s == 3 * 900
    assert (
        s.profile_id != charger_schedules(plan(vehicle("v1", "D1", kw, 0, 5)), {"D1": DC}, now=T0 - SLOT)[0].profile_id
    )


def test_ended_sessions_and_chargers_not_under_control_get_nothing():
    a = vehicle("v1", "C1", [7.0] * 8, 0, 2)
    b = vehicle("v2", "C2", [7.0] * 8, 0, 8)
    assert charger_schedules(plan(a, b), {"C1": AC}, now=T0 + 2 * SLOT) == []


def test_one_charger_two_sessions_sends_the_earliest_first():
    a = vehicle("v1", "C1", [7.0, 7.0, 0, 0, 0, 0, 0, 0], 0, 2)
    b = vehicle("v2", "C1", [0, 0, 0, 11.0, 11.0, 0, 0, 0], 3, 5)
    schedules = charger_schedules(plan(a, b), {"C1": AC}, now=T0 - SLOT)
    assert [s.vehicle_id for s in schedules] == ["v1", "v2"]
    assert next_schedules(schedules)["C1"].vehicle_id == "v1"


def test_watts_round_down_to_a_tenth_but_not_below_an_exact_value():
    assert DC.limit(11.0) == 11000.0
    assert DC.limit(7.77777) == 7777.7
    assert AC.limit(0.0) == 0.0


@given(st.lists(st.floats(min_value=0, max_value=350), min_size=1, max_size=96), st.sampled_from([AC, DC]))
def test_no_period_asks_more_than_the_plan_nor_a_tenth_less(kws: list[float], e: ChargerElectrics) -> None:
    periods = merged_periods([e.limit(k) for k in kws], 900)
    for k, kw in enumerate(kws):
        limit = [p.limit for p in periods if p.start_s <= k * 900][-1]
        assert e.kw(limit) <= kw + 1e-9
        assert e.kw(limit + 0.1) > kw - 1e-9
    assert all(a.limit != b.limit for a, b in pairwise(periods))


def test_a_vehicle_plugged_in_before_its_window_waits_at_zero_under_a_transaction_profile() -> None:
    """Plugged in at 22:05 with its session planned from 22:30: without a TxProfile now it would draw at full
    power until 22:30; the profile holds 0 A for the two slots before the window."""
    kw = [0.0, 0.0, 11.0, 11.0, 0.0, 0.0, 0.0, 0.0]
    now = T0 + timedelta(minutes=5)
    [s] = charger_schedules(plan(vehicle("v1", "C1", kw, 2, 4)), {"C1": AC}, now=now, transactions={"C1": "9"})
    assert (s.purpose, s.transaction_id, s.start) == ("tx", "9", T0)
    assert [(p.start_s, p.limit) for p in s.periods] == [(0, 0.0), (1800, 15.9)]
    assert s.duration_s == 3600


def test_only_the_next_session_of_a_charger_binds_to_its_running_transaction() -> None:
    a = vehicle("v1", "C1", [7.0, 7.0, 0, 0, 0, 0, 0, 0], 0, 2)
    b = vehicle("v2", "C1", [0, 0, 0, 11.0, 11.0, 0, 0, 0], 3, 5)
    schedules = charger_schedules(plan(a, b), {"C1": AC}, now=T0 + timedelta(minutes=1), transactions={"C1": "4"})
    assert [(s.vehicle_id, s.purpose) for s in schedules] == [("v1", "tx"), ("v2", "tx_default")]
