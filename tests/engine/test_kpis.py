"""Operations KPIs by hand: a 10-hour period, two chargers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from engine.kpis import SessionFacts, cost_per_trip, operations_kpis, queue_times, recovery_kpis

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
