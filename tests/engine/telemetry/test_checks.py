"""Every quarantine reason, and odometer checks judged by event time (late events against their neighbours)."""

import pytest

from engine.telemetry import CheckContext, check_event
from tests.engine.telemetry.factory import NOW, event


@pytest.mark.parametrize(
    ("typ", "values", "minutes", "vehicle", "reason"),
    [
        ("soc", {"soc_pct": 101}, 0, "V-01", "soc_out_of_range"),
        ("soc", {"soc_pct": -0.5}, 0, "V-01", "soc_out_of_range"),
        ("soc", {"soc_pct": 50}, 6, "V-01", "time_in_future"),
        ("soc", {"soc_pct": 50}, 0, "V-77", "unknown_vehicle"),
        ("soc", {"soc_fraction": 0.5}, 0, "V-01", "unit_mismatch"),
        ("odometer", {"odometer_mi": 10}, 0, "V-01", "unit_mismatch"),
        ("soc", {}, 0, "V-01", "malformed"),
        ("soc", {"soc_pct": "high"}, 0, "V-01", "malformed"),
        ("ignition", {"on": True, "rpm": 900}, 0, "V-01", "malformed"),
        ("position", {"lat": 91, "lon": 0}, 0, "V-01", "position_out_of_range"),
        ("odometer", {"odometer_km": -1}, 0, "V-01", "odometer_backwards"),
    ],
)
def test_each_reason(typ, values, minutes, vehicle, reason) -> None:
    ctx = CheckContext(NOW, known_vehicles={"V-01"})
    verdict = check_event(event(typ, values, minutes, vehicle), ctx)
    assert verdict.reason == reason and verdict.message


def test_plausible_events_pass() -> None:
    ctx = CheckContext(NOW, known_vehicles={"V-01"})
    for e in (
        event("soc", {"soc_pct": 0}),
        event("soc", {"soc_pct": 100}, 4.9),
        event("position", {"lat": 34.0, "lon": -118.2, "depot_id": "lax-1"}),
    ):
        assert check_event(e, ctx).ok


def test_odometer_judged_against_neighbours_in_event_time() -> None:
    ctx = CheckContext(NOW)
    ctx.accept(event("odometer", {"odometer_km": 1000}, -60, eid="a"))
    ctx.accept(event("odometer", {"odometer_km": 1040}, -10, eid="b"))
    assert check_event(event("odometer", {"odometer_km": 1020}, -30), ctx).ok  # late, but between its neighbours
    assert (
        check_event(event("odometer", {"odometer_km": 990}, -30), ctx).reason == "odometer_backwards"
    )  # below the earlier
    assert (
        check_event(event("odometer", {"odometer_km": 1050}, -30), ctx).reason == "odometer_backwards"
    )  # above the later
    assert check_event(event("odometer", {"odometer_km": 1039.98}, 0), ctx).ok  # within 50 m rounding
