"""Trips that carry their route (``Trip.route``): the energy the depot plan charges for is what the route needs
after its planned charging stops, for the vehicle named on the trip (:mod:`engine.routing.coupling`); every trip
so planned is in the trace (``trip_routes``) with its departure energy, stops and reason."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.domain import PlanningProblem, Trip
from engine.policy.schema import Routing
from engine.route_data import FixedRoute
from engine.routing.coupling import RouteEnergy, energy_without_stops, route_energy, route_energy_given


def _driven(t: Trip, energy: RouteEnergy) -> Trip:
    """The trip with the energy its route needs from the depot (P50 = P90: the route is its forecast)."""
    return t.model_copy(update={"energy_kwh_p50": energy.trip_kwh, "energy_kwh_p90": energy.trip_kwh})


def apply_routes(
    problem: PlanningProblem, routing: Routing | None, only: set[str] | None = None
) -> tuple[PlanningProblem, dict[str, dict[str, Any]]]:
    """The problem with each routed trip's P50 and P90 energy set to what its route needs from the depot (the
    named vehicle's battery, else the route's own), and per trip what the router found; ``only``: just these
    trip ids (the ones an assignment has just given a vehicle)."""
    routed = [t for t in problem.trips if t.route is not None and (only is None or t.id in only)]
    if not routed:
        return problem, {}
    vehicles = {v.id: v for v in problem.vehicles}
    found: dict[str, dict[str, Any]] = {}
    trips = []
    for t in problem.trips:
        if t.route is None or (only is not None and t.id not in only):
            trips.append(t)
            continue
        v = vehicles.get(t.vehicle_id or "")
        route = t.route if v is None else t.route.for_vehicle_class(v.vehicle_class)
        energy = route_energy(route, None if v is None else v.battery_kwh, routing)
        found[t.id] = {"vehicle_id": t.vehicle_id, **energy.model_dump(mode="json")}
        trips.append(_driven(t, energy))
    return problem.model_copy(update={"trips": trips}), found


@dataclass(frozen=True)
class Pairings:
    """For the vehicle-to-trip assignment, by (trip id, vehicle id): the trip as that vehicle would drive it,
    what its stops cost [$], and the pairs that cannot drive it at all, with why."""

    drives: dict[tuple[str, str], Trip] = field(default_factory=dict)
    stops_usd: dict[tuple[str, str], float] = field(default_factory=dict)
    refused: dict[tuple[str, str], str] = field(default_factory=dict)


def route_pairings(problem: PlanningProblem, trips: list[Trip], routing: Routing | None) -> Pairings:
    """Each routed trip of ``trips`` solved for each vehicle of its depot (its battery, and its class's energy
    per km where the route's network gives none). ``E_0`` (no stop) is the same for every battery of a class that
    holds it: the router runs again only for smaller batteries."""
    out = Pairings()
    drives, refused = out.drives, out.refused
    for t in trips:
        if t.route is None:
            continue
        fleet = [v for v in problem.vehicles if v.depot_id == t.depot_id]
        by_class: dict[str, tuple[FixedRoute, float | None]] = {}  # the route as the class drives it, its E_0
        for v in fleet:
            if v.vehicle_class not in by_class:
                route = t.route.for_vehicle_class(v.vehicle_class)
                same = [u.battery_kwh for u in fleet if u.vehicle_class == v.vehicle_class]
                by_class[v.vehicle_class] = route, energy_without_stops(route, max([route.q_max, *same]))
            route, alone = by_class[v.vehicle_class]
            energy = route_energy_given(route, v.battery_kwh, routing, alone)
            if not energy.feasible:
                refused[t.id, v.id] = f"its route cannot be driven with a {v.battery_kwh:g} kWh battery"
                continue
            drives[t.id, v.id] = _driven(t, energy)
            if energy.stops_usd:
                out.stops_usd[t.id, v.id] = energy.stops_usd
    return out
