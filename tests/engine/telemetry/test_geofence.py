"""Depot locations (issue 18.6): a position inside a depot's circle or polygon puts the vehicle at that depot."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from engine.domain import Depot, GeoFence
from engine.telemetry.geofence import depot_at, distance_m, inside
from engine.telemetry.state import VehicleTelemetry, view
from tests.engine.telemetry.factory import NOW, event

# one degree of latitude is 2 * pi * 6,371,008.8 m / 360 = 111,195.08 m: 0.001 deg north of a point is 111.2 m away
CENTRE = (34.0, -118.0)


def depot(fence: GeoFence, depot_id: str = "lax-1") -> Depot:
    return Depot(id=depot_id, timezone="America/Los_Angeles", grid_limit_kw=500, location=fence)


def test_distance_of_a_thousandth_of_a_degree_of_latitude() -> None:
    assert distance_m(34.0, -118.0, 34.001, -118.0) == pytest.approx(111.195, abs=1e-3)


def test_a_circle_holds_what_lies_within_its_radius() -> None:
    fence = GeoFence(lat=CENTRE[0], lon=CENTRE[1], radius_m=150)
    assert inside(fence, 34.001, -118.0)  # 111.2 m north
    assert not inside(fence, 34.0015, -118.0)  # 166.8 m north
    # 0.0015 deg of longitude at 34 deg north is 111,195.08 * cos(34 deg) * 0.0015 = 138.3 m east: inside
    assert inside(fence, 34.0, -117.9985)
    assert not inside(fence, 34.0, -117.998)  # 184.4 m east


def test_a_polygon_holds_its_inside_and_not_its_notch() -> None:
    """An L-shaped yard: the square 0-0.002 deg by 0-0.002 deg less its north-east quarter."""
    corners = [(34.0, -118.0), (34.0, -117.998), (34.001, -117.998), (34.001, -117.999), (34.002, -117.999)]
    fence = GeoFence(lat=34.001, lon=-117.999, polygon=[*corners, (34.002, -118.0)])
    assert inside(fence, 34.0005, -117.9995)  # south-east quarter
    assert inside(fence, 34.0015, -117.9995)  # north-west quarter
    assert not inside(fence, 34.0015, -117.9985)  # the notch
    assert not inside(fence, 34.003, -117.9995)  # north of it all


def test_the_first_depot_whose_fence_holds_the_position() -> None:
    a = depot(GeoFence(lat=34.0, lon=-118.0, radius_m=150), "a")
    b = depot(GeoFence(lat=34.01, lon=-118.0, radius_m=150), "b")
    plain = Depot(id="c", timezone="America/Los_Angeles", grid_limit_kw=10)
    assert depot_at([plain, a, b], 34.0101, -118.0) == "b"
    assert depot_at([plain, a, b], 34.005, -118.0) is None


def test_a_position_inside_a_fence_puts_the_vehicle_at_the_depot() -> None:
    fences = [depot(GeoFence(lat=34.0, lon=-118.0, radius_m=150))]
    state = VehicleTelemetry(vehicle_id="V-01")
    state.apply(event("position", {"lat": 34.001, "lon": -118.0}))
    seen = view(state, NOW, depots=fences)
    assert (seen.at_depot, seen.depot_id) == (True, "lax-1")
    away = VehicleTelemetry(vehicle_id="V-01")
    away.apply(event("position", {"lat": 34.01, "lon": -118.0}))
    assert view(away, NOW, depots=fences).at_depot is False
    named = VehicleTelemetry(vehicle_id="V-01")
    named.apply(event("position", {"lat": 34.01, "lon": -118.0, "depot_id": "sfo-2"}))  # the event's own word wins
    assert view(named, NOW, depots=fences).depot_id == "sfo-2"


def test_fences_are_checked() -> None:
    with pytest.raises(ValidationError):
        GeoFence(lat=91.0, lon=0.0)
    with pytest.raises(ValidationError):
        GeoFence(lat=0.0, lon=0.0, polygon=[(0.0, 0.0), (0.0, 1.0)])  # two corners are no outline
    assert "location" not in Depot(id="x", timezone="UTC", grid_limit_kw=1).model_dump()
