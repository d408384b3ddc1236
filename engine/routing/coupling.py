"""A trip's route and the depot plan: what the vehicle must leave the depot with, after the charging stops its
route will make (issue 21, item 4).

For a trip whose route is given (``Trip.route``, energies in kWh), with the vehicle's battery ``Q`` (the route's
own ``q_max`` when no vehicle is named) and the route's reserve on arrival ``q_min``:

1. the least energy that does the route with no charging stop, ``E_0`` (exact: the labels with the start energy
   as the cost and no stations, :func:`engine.routing.labels.least_start_energy`). If ``E_0 <= Q`` the depot
   charges for it and the route stops nowhere: depot energy is the cheapest there is.
2. Otherwise the vehicle leaves full (``Q``) and the route charges on the way: the policy's ``balanced`` option
   from a full battery (:func:`engine.routing.options.route_options`) names the stops and the energy charged;
   what the stops cost is its score less the route's own hours at the value of time (``stops_usd``), which the
   vehicle-to-trip assignment adds to the pairing.
3. If not even that is feasible the vehicle leaves full and the reason is given.

The trip's energy for the depot plan is then ``departure - q_min`` (P50 = P90: the route's matrices are its
forecast), the policy's own reserve added on top as for any trip.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from engine.policy.schema import Routing
from engine.route_data import ChargeStop, FixedRoute
from engine.routing.drive import drive
from engine.routing.labels import least_start_energy
from engine.routing.options import route_options


class RouteEnergy(BaseModel):
    """What a trip's route asks of the depot."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    battery_kwh: float = Field(description="The battery the route was planned with [kWh].")
    departure_kwh: float = Field(description="Energy to leave the depot with [kWh].")
    trip_kwh: float = Field(description="The trip's energy for the depot plan: departure less the reserve [kWh].")
    en_route_kwh: float = Field(0.0, description="Energy charged at the route's stops [kWh].")
    stops_usd: float = Field(
        0.0,
        description="What the stops cost by the policy's routing weights: their charging money, the hours they add "
        "at the value of time and their failure risk at the failed-stop cost [$]; 0 without stops.",
    )
    stops: list[ChargeStop] = Field(default_factory=list)
    feasible: bool = True
    note: str


def energy_without_stops(route: FixedRoute, battery_kwh: float | None = None) -> float | None:
    """``E_0``: the least energy that drives the route with no charging stop [kWh], None when more than the
    battery (the route's own ``q_max`` when None) holds. The same for every battery that holds it."""
    q_max = route.q_max if battery_kwh is None else battery_kwh
    return least_start_energy(route.model_copy(update={"q_max": q_max, "q_init": q_max, "stations": []}))


def route_energy(route: FixedRoute, battery_kwh: float | None = None, routing: Routing | None = None) -> RouteEnergy:
    """What the route needs from the depot with a battery of ``battery_kwh`` (module doc)."""
    return route_energy_given(route, battery_kwh, routing, energy_without_stops(route, battery_kwh))


def route_energy_given(
    route: FixedRoute, battery_kwh: float | None, routing: Routing | None, alone: float | None
) -> RouteEnergy:
    """:func:`route_energy` with ``E_0`` known (from :func:`energy_without_stops` with any battery at least as
    large: above this battery, or None, it does not hold it), so a fleet's batteries share one computation."""
    q_max = route.q_max if battery_kwh is None else battery_kwh
    r = route.model_copy(update={"q_max": q_max, "q_init": q_max})
    if alone is not None and alone <= q_max:  # found on [q_min, Q]: the battery holds it
        return RouteEnergy(
            battery_kwh=q_max,
            departure_kwh=alone,
            trip_kwh=max(0.0, alone - r.q_min),
            note=f"route: {alone:.1f} kWh at departure drives it with no charging stop "
            f"({r.q_min:.1f} kWh left on arrival)",
        )
    options = route_options(r, routing, labels=("balanced",))
    if not options.feasible:
        return RouteEnergy(
            battery_kwh=q_max,
            departure_kwh=q_max,
            trip_kwh=max(0.0, q_max - r.q_min),
            feasible=False,
            note=f"route: not feasible even from a full {q_max:.1f} kWh battery ({options.reason}); leave full",
        )
    (best,) = options.options
    w = routing or Routing()
    straight_h = float(drive(r, [])["hours"].iloc[-1])  # the route's own hours, no stop (energy aside)
    stops_usd = best.score_usd - w.value_of_time_usd_per_h * straight_h
    where = ", ".join(f"station {s.station} after stop {s.after} ({s.depart - s.arrive:.1f} kWh)" for s in best.stops)
    return RouteEnergy(
        battery_kwh=q_max,
        departure_kwh=q_max,
        trip_kwh=max(0.0, q_max - r.q_min),
        en_route_kwh=best.charged,
        stops_usd=max(0.0, stops_usd),
        stops=best.stops,
        note=f"route: cannot be driven on one {q_max:.1f} kWh charge; leave full and charge {best.charged:.1f} kWh "
        f"on the way ({where}; the balanced option: {best.duration_h:.2f} h, ${best.charging_usd:.2f})",
    )
