"""The read-back check of a schedule against the charger's composite schedule, by hand; command ids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from engine.control.connector import CompositeSchedule
from engine.control.profiles import ChargerSchedule, SchedulePeriod
from service.ocpp.commands import Command, schedule_differences

T0 = datetime(2026, 3, 2, 22, 0, tzinfo=UTC)
OURS = ChargerSchedule(
    charger_id="c",
    vehicle_id="v",
    purpose="tx",
    profile_id=1,
    stack_level=1,
    start=T0,
    duration_s=3600,
    rate_unit="A",
    phases=3,
    periods=[SchedulePeriod(start_s=0, limit=16.0), SchedulePeriod(start_s=1800, limit=8.0)],
    transaction_id="1",
)


def composite(start: datetime, periods: list[tuple[int, float]], unit: str = "A") -> CompositeSchedule:
    return CompositeSchedule(
        start=start,
        duration_s=3600,
        rate_unit=unit,
        periods=[SchedulePeriod(start_s=s, limit=lim) for s, lim in periods],
    )


def test_a_composite_read_later_that_matches_is_no_difference() -> None:
    later = T0 + timedelta(seconds=700)  # read 700 s in: the 8 A period starts 1100 s after the read
    assert schedule_differences(OURS, composite(later, [(0, 16.0), (1100, 8.0), (2900, 32.0)])) == []


def test_a_period_the_charger_holds_differently_is_reported_where_it_starts() -> None:
    found = schedule_differences(OURS, composite(T0, [(0, 16.0), (1800, 10.0)]))
    assert found == ["at +1800 s the charger holds 10.0 A, the plan 8.0"]
    assert schedule_differences(OURS, composite(T0, [(0, 16.0), (1200, 6.0), (1500, 16.0), (1800, 8.0)])) == [
        "at +1200 s the charger holds 6.0 A, the plan 16.0"
    ]


def test_another_unit_or_no_composite_is_a_difference() -> None:
    assert schedule_differences(OURS, composite(T0, [(0, 11040.0)], "W")) == ["unit W, ours A"]
    assert schedule_differences(OURS, None) == ["the charger reports no composite schedule"]


def test_a_clear_is_named_after_the_profile_it_removes() -> None:
    """Two clears of one charger within one decision (its default profile cleared, another given later and
    cleared in turn) are two commands: with one id the second would be taken for the first and never sent."""
    default = OURS.model_copy(update={"purpose": "tx_default", "transaction_id": None})
    later = default.model_copy(update={"start": T0 + timedelta(hours=4)})

    def clear(s: ChargerSchedule) -> Command:
        return Command(tenant="t", decision_id="d", charger_id="c", kind="clear", cleared=s, deadline=T0)

    assert clear(default).command_id != clear(later).command_id
    assert clear(default).command_id == clear(default.model_copy()).command_id  # a repeat is the same command
    assert clear(default).command_id.endswith(f"/c/clear/tx_default-{int(T0.timestamp())}")
