"""What a route with charging is, as data: the fixed-route charging problem's input (:class:`FixedRoute`: the
route's nodes, the vehicle's energy, the time and energy matrices, the candidate stations with their charging
curves) and its answer (:class:`RoutePlan`). Base-layer models, so a planning problem's trip can carry its route
(:class:`engine.domain.Trip`); the solvers are in :mod:`engine.routing`."""

from __future__ import annotations

import math
from itertools import pairwise
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_serializer, model_validator

from engine.forecast import DEFAULT_CLASS, Context, prior_kwh_per_km


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)


NonNeg = Annotated[float, Field(ge=0)]


class ChargingFunction(_Model):
    """Charge after ``time_h[k]`` hours from empty is ``charge[k]``: concave, from (0, 0)."""

    time_h: list[NonNeg] = Field(min_length=2)
    charge: list[NonNeg] = Field(min_length=2, description="Charge at each breakpoint [energy unit].")

    @model_validator(mode="after")
    def _concave(self) -> ChargingFunction:
        t, c = self.time_h, self.charge
        if len(t) != len(c) or t[0] != 0 or c[0] != 0:
            raise ValueError("breakpoints need equal lengths and start at (0, 0)")
        rates = [(c[k] - c[k - 1]) / (t[k] - t[k - 1]) if t[k] > t[k - 1] else -1.0 for k in range(1, len(t))]
        if any(r <= 0 for r in rates) or any(b > a + 1e-9 for a, b in pairwise(rates)):
            raise ValueError("charge must rise with time, ever more slowly (concave)")
        return self

    def segments(self) -> list[tuple[float, float, float, float]]:
        """Per segment: (charge at its start, its length, time per unit charge, time at its start)."""
        t, c = self.time_h, self.charge
        return [(c[k - 1], c[k] - c[k - 1], (t[k] - t[k - 1]) / (c[k] - c[k - 1]), t[k - 1]) for k in range(1, len(t))]

    def hours(self, charge: float) -> float:
        """``tau(charge)``: hours to reach ``charge`` from empty."""
        for start, length, per_unit, t0 in self.segments():
            if charge <= start + length + 1e-12:
                return t0 + per_unit * max(0.0, charge - start)
        return self.time_h[-1]


class Station(_Model):
    """A charging station at matrix node ``node``."""

    node: int = Field(ge=0)
    function: ChargingFunction
    process_h: NonNeg = 0.0
    price_per_unit: NonNeg = Field(0.0, description="What a unit of charge costs here [$ per energy unit].")
    availability: Annotated[float, Field(ge=0, le=1)] = Field(1.0, description="Probability a charger is free [-].")
    reliability: Annotated[float, Field(ge=0, le=1)] = Field(1.0, description="Probability a session completes [-].")
    name: str = ""


EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG) [km]


class Network(_Model):
    """Where the nodes are instead of their matrices: node ``i`` at ``coordinates[i]`` (latitude, longitude
    [deg]); the road between two nodes is ``road_factor`` x the great-circle distance (haversine) [km], driven at
    ``speed_kmh`` using ``kwh_per_km`` [kWh/km], or, without it, what the vehicle's class uses in ``conditions``
    (:func:`engine.forecast.prior_kwh_per_km`: the class's road-load prior, so each vehicle of a fleet gets its
    own energy matrix)."""

    coordinates: list[tuple[Annotated[float, Field(ge=-90, le=90)], Annotated[float, Field(ge=-180, le=180)]]] = Field(
        min_length=2
    )
    road_factor: Annotated[float, Field(ge=1.0, le=5.0)] = 1.3
    speed_kmh: Annotated[float, Field(gt=0, le=200)]
    kwh_per_km: Annotated[float, Field(gt=0, le=10)] | None = None
    conditions: Context = Field(default_factory=Context, description="Temperature, highway share and payload.")

    def rate(self, vehicle_class: str | None) -> float:
        """Energy per km [kWh/km]: ``kwh_per_km``, else the class's prior in ``conditions`` (a van's without a
        class)."""
        if self.kwh_per_km is not None:
            return self.kwh_per_km
        return prior_kwh_per_km(vehicle_class or DEFAULT_CLASS, self.conditions)

    def road_km(self) -> list[list[float]]:
        """Road distance between every pair of nodes [km]."""
        rad = [(math.radians(a), math.radians(b)) for a, b in self.coordinates]
        out = []
        for la1, lo1 in rad:
            row = []
            for la2, lo2 in rad:
                h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
                row.append(2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h))) * self.road_factor)
            out.append(row)
        return out


class FixedRoute(_Model):
    """One FRVCP: the route (matrix node ids, first and last usually the depot), the vehicle and the network.
    The time and energy matrices are given, or derived from a ``network`` (coordinates and a road factor; then
    the route keeps its network, is written with it instead of the matrices, and :meth:`for_vehicle_class` gives
    the energy of another class of vehicle)."""

    route: list[int] = Field(min_length=2)
    q_init: NonNeg = Field(description="Energy at the start [energy unit].")
    q_max: NonNeg = Field(description="Battery capacity [energy unit].")
    q_min: NonNeg = Field(0.0, description="Least energy on arrival anywhere (the policy's reserve).")
    t_max: float | None = Field(None, description="Longest allowed duration [h].")
    time_h: list[list[NonNeg]] = Field(description="Travel time between nodes [h].")
    energy: list[list[NonNeg]] = Field(description="Energy to travel between nodes [energy unit].")
    process_h: list[NonNeg] = Field(description="Time spent at each node [h].")
    windows: list[tuple[NonNeg, NonNeg] | None] | None = Field(
        None,
        description="Per node, when its service may start (earliest, latest) [h since the route's start], or null: "
        "a vehicle early waits, one late breaks the route. The start node's window is not checked.",
    )
    stations: list[Station] = Field(default_factory=list)
    network: Network | None = Field(None, description="Where the nodes are, when the matrices come from it.")
    vehicle_class: str | None = Field(
        None, description="The class whose energy per km the network's matrix uses (when it gives none)."
    )

    @model_validator(mode="before")
    @classmethod
    def _from_network(cls, data: object) -> object:
        """``network`` given: the matrices from it (time = road km / speed, energy = road km x kWh/km)."""
        if not isinstance(data, dict) or data.get("network") is None:
            return data
        if "time_h" in data or "energy" in data:
            raise ValueError("give the time and energy matrices or a network, not both")
        net = Network.model_validate(data["network"])
        km = net.road_km()
        rate = net.rate(data.get("vehicle_class"))
        return {
            **data,
            "network": net,
            "time_h": [[d / net.speed_kmh for d in row] for row in km],
            "energy": [[d * rate for d in row] for row in km],
        }

    @model_serializer(mode="wrap")
    def _written_with_its_network(self, handler) -> dict:
        """With a network the matrices are not written: reading it back derives them again."""
        out = handler(self)
        if self.network is not None:
            out.pop("time_h", None)
            out.pop("energy", None)
        else:
            out.pop("network", None)
            if self.vehicle_class is None:
                out.pop("vehicle_class", None)
        if self.windows is None:
            out.pop("windows", None)
        return out

    def window(self, node: int) -> tuple[float, float] | None:
        """(earliest, latest) start of service at ``node`` [h], or None."""
        return None if self.windows is None else self.windows[node]

    def for_vehicle_class(self, vehicle_class: str) -> FixedRoute:
        """The route as a vehicle of ``vehicle_class`` drives it: the energy matrix at that class's energy per km
        when the network gives none (itself otherwise)."""
        if self.network is None or self.network.kwh_per_km is not None or vehicle_class == self.vehicle_class:
            return self
        rate = self.network.rate(vehicle_class)
        km = self.network.road_km()
        return self.model_copy(update={"vehicle_class": vehicle_class, "energy": [[d * rate for d in r] for r in km]})

    @model_validator(mode="after")
    def _consistent(self) -> FixedRoute:
        n = len(self.time_h)
        problems = []
        for name, rows in (("time_h", self.time_h), ("energy", self.energy)):
            if len(rows) != n or any(len(row) != n for row in rows):
                problems.append(f"{name} must be a square matrix of {n} nodes")
        if len(self.process_h) != n:
            problems.append(f"process_h needs one time per node ({n}), got {len(self.process_h)}")
        if self.windows is not None:
            if len(self.windows) != n:
                problems.append(f"windows needs one window (or null) per node ({n}), got {len(self.windows)}")
            late = [i for i, w in enumerate(self.windows) if w is not None and w[0] > w[1]]
            if late:
                problems.append(f"windows of nodes {late} close before they open")
        bad = sorted({x for x in self.route if x >= n} | {s.node for s in self.stations if s.node >= n})
        if bad:
            problems.append(f"nodes {bad} are not in the {n}-node matrices")
        nodes = [s.node for s in self.stations]
        if len(set(nodes)) != len(nodes):
            problems.append("a station node is listed twice")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class ChargeStop(_Model):
    """A charging stop inserted after ``route[after]``."""

    after: int
    station: int
    arrive: float
    depart: float
    hours: float


class RoutePlan(_Model):
    """The FRVCP's answer."""

    feasible: bool
    duration_h: float | None = None
    objective: float | None = Field(None, description="The least cost found (the duration by default).")
    stops: list[ChargeStop] = Field(default_factory=list)
    reason: str | None = None
    seconds: float = 0.0
