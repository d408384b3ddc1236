"""A trip's route and the depot plan: what the vehicle leaves with after the stops its route makes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.decision import decide
from engine.routing.coupling import route_energy
from engine.routing.drive import drive
from engine.routing.fixed_route import FixedRoute
from engine.schedule import ObjectiveWeights
from tests.engine.schedule.factory import problem, trip, two_level_tariff, vehicle

ROUTE = FixedRoute.model_validate(
    json.loads((Path(__file__).resolve().parents[3] / "examples" / "routes" / "delivery_loop.json").read_text())
)
# the route driven straight, stop after stop: the sum of its legs' energies [kWh]
STRAIGHT = sum(ROUTE.energy[a][b] for a, b in zip(ROUTE.route, ROUTE.route[1:], strict=False))


def test_a_route_within_the_battery_leaves_with_its_own_energy():
    e = route_energy(ROUTE, 80.0)
    assert e.departure_kwh == pytest.approx(STRAIGHT + ROUTE.q_min) and e.stops == [] and e.en_route_kwh == 0.0
    assert e.trip_kwh == pytest.approx(STRAIGHT) and "no charging stop" in e.note


def test_a_route_beyond_the_battery_leaves_full_and_charges_on_the_way():
    battery = STRAIGHT - 3.0
    e = route_energy(ROUTE, battery)
    assert e.departure_kwh == battery and e.feasible
    assert e.stops and e.en_route_kwh >= 3.0 - 1e-9  # at least the 3 kWh the battery lacks
    path = drive(ROUTE.model_copy(update={"q_init": battery, "q_max": battery}), e.stops)
    assert path["energy"].min() >= ROUTE.q_min - 1e-9  # the stops named do carry it through
    short = route_energy(ROUTE, 5.0)
    assert not short.feasible and short.departure_kwh == 5.0 and "not feasible" in short.note


def test_the_depot_plan_charges_for_what_the_route_needs():
    """Two vans of 80 and 40 kWh, each with the example route, empty at 00:00, leaving at 06:00; no reserve: the
    80 kWh van is planned to the route's own energy (SOC STRAIGHT / 80), the 40 kWh van to full; the trace says
    why for each."""
    vans = [vehicle(0, battery=80.0), vehicle(1, battery=40.0)]
    trips = [t.model_copy(update={"route": ROUTE}) for t in (trip(0, 6.0, 1.0), trip(1, 6.0, 1.0))]
    p = problem(vans, trips, [0.0, 0.0], n_ac=2)
    w = ObjectiveWeights(target_reserve=0.0)
    tariff = two_level_tariff(cheap_hours=(0, 4), cheap=0.10, dear=0.30)
    d = decide(p, weights=w, tariff=tariff, created=datetime(2026, 1, 1, tzinfo=UTC))
    routes = d.trace.trip_routes
    assert routes["t0"]["departure_kwh"] == pytest.approx(STRAIGHT) and routes["t0"]["stops"] == []
    assert routes["t1"]["departure_kwh"] == 40.0 and routes["t1"]["stops"]
    assert d.trace.departure_targets["v0"]["t0"] == pytest.approx(STRAIGHT / 80.0)
    assert d.trace.departure_targets["v1"]["t1"] == pytest.approx(1.0)
    energy = {vp.vehicle_id: sum(s.energy_kwh for s in vp.sessions) for vp in d.plan.vehicles}
    assert energy["v0"] == pytest.approx(STRAIGHT, abs=0.05) and energy["v1"] == pytest.approx(40.0, abs=0.05)


def test_depots_planned_apart_keep_every_routed_trip_in_the_merged_trace():
    from tests.engine.decision.test_depots import depot, run, together

    a, b = depot("a", [10.0]), depot("b", [10.0])
    routed = [
        p.model_copy(update={"trips": [t.model_copy(update={"route": ROUTE}) for t in p.trips]}) for p in (a, b)
    ]
    d = run(together(*routed))
    assert [g.depots for g in d.trace.depot_groups] == [["a"], ["b"]]
    assert set(d.trace.trip_routes) == {"a-t0", "b-t0"}
