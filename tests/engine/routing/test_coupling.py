"""A trip's route and the depot plan: what the vehicle leaves with after the stops its route makes."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.decision import decide
from engine.forecast import prior_kwh_per_km
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
    routed = [p.model_copy(update={"trips": [t.model_copy(update={"route": ROUTE}) for t in p.trips]}) for p in (a, b)]
    d = run(together(*routed))
    assert [g.depots for g in d.trace.depot_groups] == [["a"], ["b"]]
    assert set(d.trace.trip_routes) == {"a-t0", "b-t0"}


def test_a_network_of_coordinates_and_a_road_factor_gives_the_matrices():
    """Two nodes one degree of latitude apart on a meridian: 6,371.0088 km x pi / 180 = 111.1951 km as the crow
    flies, x 1.3 road factor = 144.5536 km, at 50 km/h 2.89107 h, at 0.25 kWh/km 36.1384 kWh."""
    r = FixedRoute.model_validate(
        {
            "route": [0, 1, 0],
            "q_init": 60.0,
            "q_max": 60.0,
            "process_h": [0.0, 0.25],
            "network": {"coordinates": [[34.0, -118.0], [35.0, -118.0]], "speed_kmh": 50.0, "kwh_per_km": 0.25},
        }
    )
    assert r.time_h[0][1] == pytest.approx(2.89107, abs=1e-5) and r.time_h[1][0] == r.time_h[0][1]
    assert r.energy[0][1] == pytest.approx(36.1384, abs=1e-4) and r.energy[0][0] == 0.0
    e = route_energy(r, 80.0)  # there and back: 72.28 kWh, no stop
    assert e.departure_kwh == pytest.approx(2 * 36.1384, abs=2e-4)
    assert FixedRoute.model_validate(r.model_dump(mode="json")) == r  # written with its network, not matrices
    with pytest.raises(ValueError, match="not both"):
        FixedRoute.model_validate({**r.model_dump(), "time_h": r.time_h, "energy": r.energy})


MERIDIAN_KM = 6371.0088 * math.pi / 180 * 1.3  # one degree of latitude on the road [km]


def meridian_route() -> FixedRoute:
    """Out and back one degree of latitude, 200 kWh on board, the network giving no energy per km."""
    return FixedRoute.model_validate(
        {
            "route": [0, 1, 0],
            "q_init": 200.0,
            "q_max": 200.0,
            "process_h": [0.0, 0.25],
            "network": {"coordinates": [[34.0, -118.0], [35.0, -118.0]], "speed_kmh": 50.0},
        }
    )


def test_without_kwh_per_km_each_class_drives_the_network_at_its_own_rate():
    """No ``kwh_per_km``: the energy matrix is the road km x the class's road-load prior
    (:func:`engine.forecast.prior_kwh_per_km`, tested against the EPA references), a van's by default; the
    route as a box truck drives it uses the truck's; written and read back it is the same route."""
    r = meridian_route()
    assert r.energy[0][1] == pytest.approx(MERIDIAN_KM * prior_kwh_per_km("van"), rel=1e-9)
    truck = r.for_vehicle_class("box_truck")
    assert truck.energy[0][1] == pytest.approx(MERIDIAN_KM * prior_kwh_per_km("box_truck"), rel=1e-9)
    assert truck.energy[0][1] > 1.5 * r.energy[0][1] and truck.time_h == r.time_h
    assert FixedRoute.model_validate(truck.model_dump(mode="json")) == truck
    fixed = r.model_copy(update={"network": r.network.model_copy(update={"kwh_per_km": 0.25})})
    assert fixed.for_vehicle_class("box_truck") is fixed  # a rate given is every vehicle's


def test_each_class_of_the_fleet_is_offered_the_trip_at_its_own_consumption():
    """A van and a box truck with 200 kWh each: out and back one degree of latitude, each class's trip energy is
    2 x the road km x its own prior."""
    from engine.decision.routes import apply_routes, route_pairings
    from tests.engine.decision.test_trip_assignment import open_trip

    route = meridian_route()
    fleet = [vehicle(0, battery=200.0), vehicle(1, battery=200.0).model_copy(update={"vehicle_class": "box_truck"})]
    routed = open_trip("r", 6.0, 8.0, 1.0).model_copy(update={"route": route})
    pairs = route_pairings(problem(fleet, [routed], [0.0, 0.0], n_ac=2, horizon_h=10.0), [routed], None)
    for v, cls in (("v0", "van"), ("v1", "box_truck")):
        expected = 2 * MERIDIAN_KM * prior_kwh_per_km(cls)
        assert pairs.drives["r", v].energy_kwh_p50 == pytest.approx(expected, rel=1e-9)
    pinned = routed.model_copy(update={"vehicle_id": "v1"})  # a trip given to the truck is planned at its rate
    _p, found = apply_routes(problem(fleet, [pinned], [0.0, 0.0], n_ac=2, horizon_h=10.0), None)
    assert found["r"]["trip_kwh"] == pytest.approx(2 * MERIDIAN_KM * prior_kwh_per_km("box_truck"), rel=1e-9)


def test_the_assignment_solves_the_route_for_each_candidate_vehicle():
    """An unassigned routed trip at 06:00 and three empty vans: 10 kWh (the route cannot be done even charging on
    the way: refused with why), 80 kWh (no stop: STRAIGHT kWh) and 40 kWh (full and a stop). The trip goes to the
    80 kWh van (the stop costs more than the depot's extra kWh), the trace's route record is for its battery."""
    from tests.engine.decision.test_trip_assignment import assigning, open_trip

    vans = [vehicle(0, battery=10.0), vehicle(1, battery=80.0), vehicle(2, battery=40.0)]
    routed = open_trip("r", 6.0, 8.0, 1.0).model_copy(update={"route": ROUTE})
    p = problem(vans, [routed], [0.0, 0.0, 0.0], n_ac=3, horizon_h=10.0)
    d = decide(p, tariff=two_level_tariff(), policy=assigning(), created=datetime(2026, 1, 1, tzinfo=UTC))
    choice = d.trace.trip_assignment["r"]
    # v2 needs 2.8 kWh less from the depot (cents) but a stop: its money, its hours at 60 $/h and its risk
    assert choice.vehicle_id == "v1" and choice.candidates == ["v1", "v2"]
    assert "its route cannot be driven with a 10 kWh battery (v0)" in choice.reason
    record = d.trace.trip_routes["r"]
    assert record["vehicle_id"] == choice.vehicle_id
    battery = {"v1": 80.0, "v2": 40.0}[choice.vehicle_id]
    assert record["battery_kwh"] == battery
    assert record["departure_kwh"] == pytest.approx(min(STRAIGHT, battery))


def test_each_candidate_vehicle_is_offered_the_trip_as_its_battery_drives_it():
    """What the assignment model sees: v1 (80 kWh) uses STRAIGHT kWh on the trip, v2 (40 kWh) leaves full and
    uses its 40 kWh (the rest is charged on the way), v0 (10 kWh) is no candidate."""
    from engine.decision.routes import route_pairings
    from engine.schedule.inputs import build_inputs
    from engine.schedule.trip_cover import CoverRules, add_candidates
    from tests.engine.decision.test_trip_assignment import open_trip

    vans = [vehicle(0, battery=10.0), vehicle(1, battery=80.0), vehicle(2, battery=40.0)]
    routed = open_trip("r", 6.0, 8.0, 1.0).model_copy(update={"route": ROUTE})
    p = problem(vans, [routed], [0.0, 0.0, 0.0], n_ac=3, horizon_h=10.0)
    pairs = route_pairings(p, [routed], None)
    drives, refused = pairs.drives, pairs.refused
    assert set(refused) == {("r", "v0")} and set(drives) == {("r", "v1"), ("r", "v2")}
    assert set(pairs.stops_usd) == {("r", "v2")} and pairs.stops_usd["r", "v2"] > 0  # only v2 stops
    x = build_inputs(p.model_copy(update={"trips": []}), ObjectiveWeights(), two_level_tariff(), None, frozenset())
    add_candidates(x, [routed], CoverRules(energy_for=drives, refused=refused, pairing_usd=pairs.stops_usd))
    use = {vi.vehicle.id: [c.use_kwh for c in vi.candidates] for vi in x.vehicles}
    assert use["v0"] == [] and use["v1"] == [pytest.approx(STRAIGHT)] and use["v2"] == [pytest.approx(40.0)]
    cost = {vi.vehicle.id: [c.pairing_usd for c in vi.candidates] for vi in x.vehicles}
    assert cost["v1"] == [0.0] and cost["v2"] == [pairs.stops_usd["r", "v2"]]


def test_the_fleet_scale_assignment_pays_for_the_stops_too():
    """The energy-chain model (large fleets): with v2 taking the trip and nothing short, its objective is the
    pairing's cost of v2's stops."""
    import pyomo.environ as pyo

    from engine.decision.routes import route_pairings
    from engine.schedule.inputs import build_inputs
    from engine.schedule.trip_chain import chain_model
    from engine.schedule.trip_cover import CoverRules, add_candidates, cover_sets
    from tests.engine.decision.test_trip_assignment import open_trip

    vans = [vehicle(1, battery=80.0), vehicle(2, battery=40.0)]
    routed = open_trip("r", 6.0, 8.0, 1.0).model_copy(update={"route": ROUTE})
    p = problem(vans, [routed], [0.0, 0.0], n_ac=2, horizon_h=10.0)
    pairs = route_pairings(p, [routed], None)
    x = build_inputs(p.model_copy(update={"trips": []}), ObjectiveWeights(), two_level_tariff(), None, frozenset())
    add_candidates(x, [routed], CoverRules(energy_for=pairs.drives, pairing_usd=pairs.stops_usd))
    m = chain_model(x, cover_sets(x))
    for (v, _k), var in m.x.items():
        var.fix(1.0 if v == "v2" else 0.0)
    for var in [*m.short.values(), *m.unserved.values()]:
        var.fix(0.0)
    assert pyo.value(m.objective) == pytest.approx(pairs.stops_usd["r", "v2"])
