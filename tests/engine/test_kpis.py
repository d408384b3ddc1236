"""Operations KPIs by hand: a 10-hour period, two chargers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from engine.kpis import (
    DepartureFacts,
    SessionFacts,
    cost_per_trip,
    departure_kpis,
    operations_kpis,
    queue_times,
    ready_time,
    recovery_kpis,
)

T0 = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)
H = timedelta(hours=1)


def test_sessions_across_the_period_edges_count_their_part_inside() -> None:
    sessions = [
        SessionFacts("c1", T0 - 2 * H, T0 + 3 * H, 30.0, "EVDisconnected"),  # started before: 3 h inside, no energy
        SessionFacts("c1", T0 + 4 * H, T0 + 6 * H, 20.0, "EVDisconnected"),
        SessionFacts("c2", T0 + 5 * H, T0 + 7 * H, 8.0, "PowerLoss"),  # cut short by the charger
        SessionFacts("c2", T0 + 8 * H, None, 4.0, None),  # still running at the end: 2 h inside
    ]
    k = operations_kpis(sessions, 40.0, 2, T0, T0 + 10 * H, {"v1": 12.5})
    assert k["sessions"] == 3 and k["energy_delivered_kwh"] == pytest.approx(32.0)
    assert k["energy_delivered_share"] == pytest.approx(32 / 40)
    assert k["charge_completion_rate"] == pytest.approx(1 / 2)  # of the two that started inside and ended
    assert k["charger_utilisation"] == pytest.approx((3 + 2 + 2 + 2) / (2 * 10))
    assert k["cost_per_vehicle_usd"] == {"v1": 12.5}


def test_without_a_plan_or_a_finished_session_the_shares_are_none() -> None:
    k = operations_kpis([], 0.0, 0, T0, T0 + H)
    assert (k["energy_delivered_share"], k["charge_completion_rate"], k["charger_utilisation"]) == (None, None, None)


def test_queue_times_from_arrivals_to_the_first_charge() -> None:
    """Out at 8:00, in at 9:00 (and still in at 9:30), out at 12:00, in at 13:00; sessions at 8:30 (before the
    arrival: not this stay's), 9:20, 10:00 and 14:00. The first stay waits 20 min, the second 60."""
    day = datetime(2026, 12, 1, tzinfo=UTC)

    def at(h: float) -> datetime:
        return day + timedelta(hours=h)

    positions = [(at(8), False), (at(9), True), (at(9.5), True), (at(12), False), (at(13), True)]
    waits = queue_times(positions, [at(14), at(8.5), at(9 + 1 / 3), at(10)])
    assert waits == [(at(9), pytest.approx(20.0)), (at(13), pytest.approx(60.0))]
    assert queue_times([(at(8), False), (at(9), True), (at(10), False)], [at(11)]) == []  # it left first
    assert queue_times([(at(9), True)], [at(10)]) == []  # no arrival seen: it was there from the start


def test_recovery_and_the_per_trip_split() -> None:
    day = datetime(2026, 12, 1, tzinfo=UTC)
    k = recovery_kpis([(day, day + timedelta(minutes=30)), (day, day + timedelta(minutes=90)), (day, None)])
    assert k == {"exceptions": 3, "exceptions_open": 1, "exception_recovery_min": 60.0}
    split = cost_per_trip({"v1": 10.0, "v2": 3.0}, [("a", "v1", 30.0), ("b", "v1", 10.0), ("c", "v2", 0.0)])
    assert split == {"a": 7.5, "b": 2.5, "c": 3.0}  # v1's by energy; v2's trip used none, so it takes all


def test_ready_time_is_when_the_target_was_reached_for_good() -> None:
    day = datetime(2026, 12, 1, tzinfo=UTC)
    socs = [(day + timedelta(hours=h), s) for h, s in [(8, 0.5), (9, 0.85), (10, 0.7), (11, 0.9), (12, 0.92)]]
    assert ready_time(socs, 0.8) == day + timedelta(hours=11)  # 9:00 did not last: 10:00 fell below again
    assert ready_time(socs, 0.6) == day + timedelta(hours=9)
    assert ready_time(socs, 0.4) == day + timedelta(hours=8)  # above it at every reading
    assert ready_time(socs, 0.95) is None and ready_time([], 0.5) is None


def test_ready_before_departure_and_against_the_plan() -> None:
    """Two departures at 12:00: one read ready at 10:00 (planned 9:30), one at 11:30 (planned 11:30); a third
    never ready. Ready 120 and 30 minutes before, 75 on average; 30 and 0 minutes late, 15 on average."""
    day = datetime(2026, 12, 1, 12, tzinfo=UTC)

    def fact(trip: str, actual_h: float | None, planned_h: float | None) -> DepartureFacts:
        at = {h: None if h is None else day - timedelta(hours=h) for h in (actual_h, planned_h)}
        return DepartureFacts(trip, "v", day, 0.8, 0.8, 0.8, planned_ready=at[planned_h], actual_ready=at[actual_h])

    k = departure_kpis([fact("a", 2.0, 2.5), fact("b", 0.5, 0.5), fact("c", None, 1.0)])
    assert k["ready_before_departure_min"] == pytest.approx(75.0) and k["ready_time_error_min"] == pytest.approx(15.0)
