"""The grid heuristic for large batches: a route worked out by hand, never better than the exact labels and close
to them on frvcpy's routes, its plans feasible when driven with the real energies, every option's weights in one
pass the same as one at a time, and a tight ``t_max`` held by every option."""

import json
from pathlib import Path

import pytest

from engine.policy.schema import Routing
from engine.routing.drive import replay
from engine.routing.fixed_route import ChargingFunction, FixedRoute, Station
from engine.routing.formats import read_frvcpy
from engine.routing.grid import least_start_energy_on_grid, solve_on_grid
from engine.routing.labels import Weights, least_start_energy, solve_by_labels
from engine.routing.options import route_options

DATA = Path(__file__).resolve().parents[2] / "data" / "evrp" / "frvcpy"
INSTANCE = DATA / "frvcpy-instance_tc0c40s8cf0.json"
ROUTES = [c["route"] for c in json.loads((DATA / "routes_expected_durations_sample.json").read_text()).values()]
ALL = 100  # more candidates than the instance has stations: only the grid differs from the exact labels


def out_and_back() -> FixedRoute:
    """Depot 0, customer 1, station 2: 30 energy each way between 0 and 1, 20 between 0 and 2, 15 between 1 and 2;
    40 on board, a 60 battery; the station fills 60 in an hour. Direct is 20 short; on the way back the vehicle
    reaches 1 with 10, too little to reach the station. So: out through the station, arriving with 20 and leaving
    with 15 + 30 = 45 (25 charged, 25/60 h): 0.7 + 0.5 + 1 h driving, 2.6167 h in all."""
    e = [[0, 30, 20], [30, 0, 15], [20, 15, 0]]
    t = [[0, 1.0, 0.7], [1.0, 0, 0.5], [0.6, 0.5, 0]]
    station = Station(node=2, function=ChargingFunction(time_h=[0, 1], charge=[0, 60]))
    return FixedRoute(route=[0, 1, 0], q_init=40, q_max=60, time_h=t, energy=e, process_h=[0, 0, 0], stations=[station])


def test_the_route_worked_out_by_hand() -> None:
    p = out_and_back()
    for levels in (60, 1000):  # a step of 1, every energy on the grid; a step of 0.06, the start rounded down
        (plan,) = solve_on_grid(p, [Weights()], levels=levels)
        assert plan.feasible and plan.duration_h == pytest.approx(2.2 + 25 / 60, abs=1e-9)
        (stop,) = plan.stops
        assert (stop.after, stop.station) == (0, 2)
        assert (stop.arrive, stop.depart) == (pytest.approx(20), pytest.approx(45))


def test_an_empty_battery_and_no_station_say_why() -> None:
    p = out_and_back().model_copy(update={"stations": []})
    (plan,) = solve_on_grid(p, [Weights()])
    assert not plan.feasible and "short" in plan.reason
    assert least_start_energy_on_grid(p) == pytest.approx(60.0)  # both legs, on the grid exactly
    assert least_start_energy_on_grid(out_and_back()) == pytest.approx(20.0, abs=0.06)  # then 25 charged at 2


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: "-".join(map(str, r)))
def test_close_to_the_exact_labels_and_feasible_when_driven(route) -> None:
    p = read_frvcpy(INSTANCE, route, 16000)
    exact = solve_by_labels(p, per_gap=1)  # one station per gap, as the grid
    (grid,) = solve_on_grid(p, [Weights()], candidates=ALL)
    assert grid.feasible
    hours, least = replay(p, grid.stops)
    assert hours == pytest.approx(grid.duration_h, abs=1e-9) and least >= p.q_min - 1e-6
    assert exact.duration_h - 1e-9 <= grid.duration_h <= exact.duration_h * 1.005


def test_every_option_in_one_pass_is_each_one_alone() -> None:
    p = read_frvcpy(INSTANCE, ROUTES[1], 8000)
    weights = [Weights(), Weights(time=1e-6, price=1.0), Weights(time=40.0, price=1.0, risk=80.0)]
    together = solve_on_grid(p, weights, candidates=8)
    for w, plan in zip(weights, together, strict=True):
        (alone,) = solve_on_grid(p, [w], candidates=8)
        assert plan.stops == alone.stops and plan.objective == alone.objective


def test_the_least_start_energy_is_the_exact_one_within_a_step_per_arc() -> None:
    p = read_frvcpy(INSTANCE, ROUTES[0], 16000)
    p = p.model_copy(update={"stations": [s for s in p.stations if s.node != 49], "t_max": None})
    exact = least_start_energy(p, per_gap=1)
    step, arcs = p.q_max / 1000, 2 * (len(p.route) - 1)
    assert exact - 1e-6 <= least_start_energy_on_grid(p, candidates=ALL) <= exact + arcs * step


def test_a_tight_t_max_is_held_by_every_option() -> None:
    """Cheapest and lowest risk would take longer than the fastest; with ``t_max`` just above the fastest they
    are weighted towards time until they fit."""
    routing = Routing(value_of_time_usd_per_h=40.0, failed_stop_usd=80.0, min_arrival_soc=0.0)
    p = read_frvcpy(INSTANCE, ROUTES[0], 8000).model_copy(update={"t_max": None})
    stations = [
        s.model_copy(update={"price_per_unit": 0.0006, "availability": 0.7})
        if s.function.time_h[-1] < 0.6  # the fast stations: dear and busy
        else s.model_copy(update={"price_per_unit": 0.0001})
        for s in p.stations
    ]
    p = p.model_copy(update={"stations": stations})
    loose = {o.label: o for o in route_options(p, routing, candidates=8).options}
    assert loose["cheapest"].duration_h > loose["fastest"].duration_h + 0.05  # t_max will bind
    assert loose["lowest_risk"].failure_risk < loose["fastest"].failure_risk  # the risk weight counts
    assert loose["cheapest"].charging_usd < loose["fastest"].charging_usd  # the price weight counts
    t_max = loose["fastest"].duration_h + 0.01
    tight = route_options(p.model_copy(update={"t_max": t_max}), routing, candidates=8)
    assert tight.feasible and {o.label for o in tight.options} == {"fastest", "cheapest", "lowest_risk", "balanced"}
    assert all(o.duration_h <= t_max + 1e-9 for o in tight.options)
