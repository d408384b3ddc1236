"""Derived state: the latest event per type wins, so any arrival order gives the same state."""

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.telemetry import fold_events
from engine.telemetry.state import view
from tests.engine.telemetry.factory import NOW, event


def ev(i: int, typ: str, values: dict, minutes: float, vehicle: str = "V-01"):
    return event(typ, values, minutes, vehicle, f"e{i:03d}")


EVENTS = [
    ev(1, "soc", {"soc_pct": 80}, -120),
    ev(2, "soc", {"soc_pct": 70}, -60),
    ev(3, "odometer", {"odometer_km": 100}, -60),
    ev(4, "odometer", {"odometer_km": 140}, -5),
    ev(5, "position", {"lat": 34.0, "lon": -118.0}, -5),
    ev(6, "charge_session", {"state": "started", "charger_id": "AC-01"}, -3),
    ev(7, "soc", {"soc_pct": 50}, -30, vehicle="V-02"),
    ev(8, "position", {"lat": 34.1, "lon": -118.1, "depot_id": "lax-1"}, -2),
    ev(9, "ignition", {"on": False}, -2),
]


@settings(max_examples=200, deadline=None)
@given(st.permutations(EVENTS))
def test_any_arrival_order_gives_the_same_state(order) -> None:
    assert fold_events(order) == fold_events(sorted(EVENTS, key=lambda e: e.event_time))


def test_view_hand_checked() -> None:
    s = fold_events(EVENTS)["V-01"]
    v = view(s, NOW)
    assert (v.soc_pct, v.soc_source, v.soc_age_min) == (70.0, "reported", 60.0)
    assert (v.at_depot, v.depot_id, v.plugged, v.charger_id, v.ignition_on) == (True, "lax-1", True, "AC-01", False)
    assert v.odometer_km == 140 and v.last_seen == NOW - timedelta(minutes=2)
    assert v.stale is False and view(s, NOW, stale_after_min=30).stale is True


def test_missing_soc_is_estimated_from_distance_with_lower_confidence() -> None:
    # 40 km since the 70 % reading (odometer 100 -> 140), 0.25 kWh/km, 50 kWh battery: 10 kWh = 20 points
    s = fold_events(EVENTS)["V-01"]
    v = view(s, NOW, battery_kwh=50, kwh_per_km=0.25, odometer_at_soc_km=100)
    assert v.soc_source == "estimated" and v.soc_pct == pytest.approx(50.0)
    assert v.driven_since_soc_km == 40 and v.soc_confidence == pytest.approx(1 - 40 / 200)


def test_never_reported_soc_is_unknown_and_stale() -> None:
    s = fold_events([ev(1, "position", {"lat": 1.0, "lon": 2.0}, -1)])["V-01"]
    v = view(s, NOW)
    assert v.soc_pct is None and v.soc_confidence == 0 and v.soc_source == "unknown" and v.stale
