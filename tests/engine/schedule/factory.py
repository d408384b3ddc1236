"""Small planning problems built in code, for hand-checkable tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from engine.domain import Charger, Depot, PlanningProblem, Storage, TimeSeries, Trip, Vehicle, VehicleState
from engine.tariffs import Tariff

TZ = ZoneInfo("America/Los_Angeles")
NOW = datetime(2025, 3, 4, 0, 0, tzinfo=TZ)  # a Tuesday in winter


def two_level_tariff(
    cheap_hours: tuple[float, float] = (0, 4), cheap: float = 0.10, dear: float = 0.30, demand_rate: float = 0.0
) -> Tariff:
    """Energy at ``cheap`` $/kWh inside ``cheap_hours``, ``dear`` elsewhere; optional facility demand charge."""
    a, b = cheap_hours
    energy = [{"name": "cheap", "rate": cheap, "when": [{"hours": [[a, b]]}]}]
    dear_hours = [[h0, h1] for h0, h1 in ((0, a), (b, 24)) if h1 > h0]
    energy.append({"name": "dear", "rate": dear, "when": [{"hours": dear_hours}]})
    demand = [{"name": "facility", "rate": demand_rate}] if demand_rate else []
    return Tariff.model_validate(
        {"name": "two-level", "timezone": "America/Los_Angeles", "energy": energy, "demand": demand}
    )


def vehicle(i: int, battery: float = 50.0, ac: float = 10.0, dc: float = 0.0, eta: float = 1.0, **kw) -> Vehicle:
    connectors = ["J1772", "CCS1"] if dc else ["J1772"]
    return Vehicle(
        id=f"v{i}",
        vehicle_class="van",
        depot_id="d",
        battery_kwh=battery,
        max_ac_kw=ac,
        max_dc_kw=dc,
        connectors=connectors,
        charge_efficiency=eta,
        **kw,
    )


def trip(i: int, depart_h: float, energy: float, vehicle_id: str | None = None, priority: int = 3) -> Trip:
    dep = NOW + timedelta(hours=depart_h)
    return Trip(
        id=f"t{i}",
        depot_id="d",
        vehicle_id=vehicle_id or f"v{i}",
        departure=dep,
        return_time=dep + timedelta(hours=8),
        distance_km=energy * 3,
        energy_kwh_p50=energy,
        energy_kwh_p90=energy,
        priority=priority,
    )


def problem(
    vehicles: list[Vehicle],
    trips: list[Trip],
    socs: list[float],
    n_ac: int = 1,
    n_dc: int = 0,
    limit: float = 1000.0,
    horizon_h: float = 8.0,
    slot_min: int = 15,
    building: list[float] | None = None,
    storage: Storage | None = None,
    mtd: dict[str, float] | None = None,
    arrivals_h: list[float] | None = None,
) -> PlanningProblem:
    chargers = [Charger(id=f"ac{i}", depot_id="d", kind="AC", max_kw=19.2, connectors=["J1772"]) for i in range(n_ac)]
    chargers += [Charger(id=f"dc{i}", depot_id="d", kind="DC", max_kw=150, connectors=["CCS1"]) for i in range(n_dc)]
    series = TimeSeries(start=NOW, step_minutes=slot_min, values_kw=building) if building else None
    depot = Depot(
        id="d",
        timezone="America/Los_Angeles",
        grid_limit_kw=limit,
        building_load_kw=series,
        storage=storage,
        month_to_date_peak_kw=mtd or {},
    )
    states = []
    for k, (v, soc) in enumerate(zip(vehicles, socs, strict=True)):
        arrive = NOW + timedelta(hours=arrivals_h[k]) if arrivals_h else NOW
        states.append(
            VehicleState(
                vehicle_id=v.id, soc=soc, last_seen=NOW, at_depot=arrive == NOW, depot_id="d", available_from=arrive
            )
        )
    return PlanningProblem(
        id="t",
        now=NOW,
        horizon_hours=horizon_h,
        slot_minutes=slot_min,
        tariff="inline",
        depots=[depot],
        vehicles=vehicles,
        chargers=chargers,
        trips=trips,
        states=states,
    )


@st.composite
def random_depots(
    draw,
    vehicles: tuple[int, int] = (1, 5),
    battery_kwh: tuple[float, float] = (30, 120),
    ac_kw: tuple[float, ...] = (7.2, 11.0, 19.2),
    dc_kw: tuple[float, ...] = (0.0, 50.0),
    depart_h: tuple[float, float] = (2.0, 7.5),
    energy_kwh: tuple[float, float] = (5, 60),
    soc: tuple[float, float] = (0.0, 0.9),
    arrivals_h: tuple[float, ...] = (0.0, 0.5, 1.25),
    limit_kw: tuple[float, float] = (15, 80),
    building_kw: tuple[float, float] = (0, 10),
    ac_chargers=lambda n: (1, 3),
) -> PlanningProblem:
    """A random small depot (hypothesis): the ranges each draw comes from; ``ac_chargers(n)`` the range of AC
    chargers for ``n`` vehicles; zero or one DC charger."""
    n = draw(st.integers(*vehicles))
    vans = [
        vehicle(
            i,
            battery=draw(st.floats(*battery_kwh)),
            ac=draw(st.sampled_from(list(ac_kw))),
            dc=draw(st.sampled_from(list(dc_kw))),
            eta=draw(st.floats(0.85, 1.0)),
        )
        for i in range(n)
    ]
    trips = [
        trip(i, draw(st.floats(*depart_h)), draw(st.floats(*energy_kwh)), priority=draw(st.integers(1, 5)))
        for i in range(n)
    ]
    socs = [draw(st.floats(*soc)) for _ in range(n)]
    arrivals = [draw(st.sampled_from(list(arrivals_h))) for _ in range(n)]
    limit = draw(st.floats(*limit_kw))
    building = [draw(st.floats(*building_kw))] * 32
    return problem(
        vans,
        trips,
        socs,
        n_ac=draw(st.integers(*ac_chargers(n))),
        n_dc=draw(st.integers(0, 1)),
        limit=limit,
        building=building,
        arrivals_h=arrivals,
    )
