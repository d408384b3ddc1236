"""Service windows on a route: an early vehicle waits, a late one breaks the route. The labels, the grid and the MIP
agree on a route worked out by hand; every option holds the windows; a window nothing can reach says where."""

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from engine.routing.drive import drive, missed_windows
from engine.routing.fixed_route import ChargingFunction, FixedRoute, Station, solve_fixed_route
from engine.routing.formats import read_frvcpy
from engine.routing.grid import solve_on_grid
from engine.routing.labels import Weights, solve_by_labels
from engine.routing.options import route_options

ROOT = Path(__file__).resolve().parents[3]
FRVCPY = ROOT / "tests" / "data" / "evrp" / "frvcpy"


def out_and_back(window: tuple[float, float] | None) -> FixedRoute:
    """Depot 0, customer 1, station 2 (60 an hour); 50 on board of 60, 30 each way direct: 10 short.
    Out through the station (20 + 15 energy, 0.6 + 0.5 h): reach 2 with 30, charge 15 (0.25 h), reach 1 at 1.35 h,
    home at 2.35 h. Back through it (15 + 20 energy, 0.5 + 0.8 h): reach 1 at 1.0 h with 20, reach 2 with 5, charge
    15, home at 1.0 + 0.5 + 0.25 + 0.8 = 2.55 h."""
    e = [[0, 30, 20], [30, 0, 15], [20, 15, 0]]
    t = [[0, 1.0, 0.6], [1.0, 0, 0.5], [0.8, 0.5, 0]]
    station = Station(node=2, function=ChargingFunction(time_h=[0, 1], charge=[0, 60]))
    windows = None if window is None else [None, window, None]
    return FixedRoute(
        route=[0, 1, 0],
        q_init=50,
        q_max=60,
        time_h=t,
        energy=e,
        process_h=[0, 0, 0],
        stations=[station],
        windows=windows,
    )


def solvers(p: FixedRoute) -> dict:
    return {
        "labels": solve_by_labels(p),
        "grid": solve_on_grid(p, [Weights()], levels=60)[0],  # a step of 1: every energy on the grid
        "mip": solve_fixed_route(p),
    }


@pytest.mark.parametrize(
    ("window", "hours", "after"),
    [
        (None, 2.35, 0),  # out through the station
        ((0.0, 1.2), 2.55, 1),  # customer 1 by 1.2 h: out direct, back through the station
        ((1.5, 2.0), 2.5, 0),  # from 1.5 h: out through the station, wait 0.15 h, home 1 h later
    ],
)
def test_the_route_worked_out_by_hand(window, hours, after) -> None:
    p = out_and_back(window)
    for name, plan in solvers(p).items():
        assert plan.feasible, name
        assert plan.duration_h == pytest.approx(hours, abs=1e-6), name
        assert [s.after for s in plan.stops if s.depart > s.arrive + 1e-9] == [after], name
        assert missed_windows(p, plan.stops) == []


def test_an_early_vehicle_waits_and_the_drive_shows_it() -> None:
    p = out_and_back((1.5, 2.0))
    events = drive(p, solve_by_labels(p).stops)
    wait = events[events["kind"] == "wait"]
    assert list(wait["node"]) == [1] and list(wait["hours"]) == [pytest.approx(1.5)]


def test_a_window_nothing_reaches_says_where() -> None:
    p = out_and_back((0.0, 0.9))  # direct is 1.0 h at the earliest
    plan = solve_by_labels(p)
    assert not plan.feasible and "node 1 at 1.000 h at the earliest" in plan.reason and "0.900 h" in plan.reason
    assert not solve_fixed_route(p).feasible
    assert not solve_on_grid(p, [Weights()], levels=60)[0].feasible
    late = missed_windows(p, solve_by_labels(out_and_back(None)).stops)
    assert late == ["reaches node 1 at 1.350 h, after its window closes at 0.900 h"]


def test_windows_that_bind_nothing_change_nothing() -> None:
    route = json.loads((FRVCPY / "routes_expected_durations_sample.json").read_text())["route_tc0c40s8cf0_3"]["route"]
    p = read_frvcpy(FRVCPY / "frvcpy-instance_tc0c40s8cf0.json", route, 16000)
    wide = p.model_copy(update={"windows": [(0.0, 100.0)] * len(p.process_h)})
    assert solve_by_labels(wide).duration_h == pytest.approx(solve_by_labels(p).duration_h, abs=1e-9)


def test_every_option_of_the_timed_example_holds_its_windows() -> None:
    """The example loop with windows (examples/routes/README.md). Without them the fastest reaches customer 3 at
    2.937 h; with them it waits there until 3.5 h, so it ends 3.5 - 2.937 h later. The cheapest can no longer fill
    up slowly before customer 1: dearer than without windows, cheaper than the fastest."""
    loop = json.loads((ROOT / "examples" / "routes" / "delivery_loop.json").read_text())
    free = {o.label: o for o in route_options(FixedRoute.model_validate(loop)).options}
    timed = FixedRoute.model_validate(json.loads((ROOT / "examples" / "routes" / "timed_loop.json").read_text()))
    for candidates in (None, 5):
        out = {o.label: o for o in route_options(timed, candidates=candidates).options}
        assert set(out) == {"fastest", "cheapest", "lowest_risk", "balanced"}
        assert all(missed_windows(timed, o.stops) == [] for o in out.values())
        reach_3 = drive(FixedRoute.model_validate(loop), free["fastest"].stops).query("kind == 'arrive' and node == 3")
        waited = 3.5 - float(reach_3["hours"].iloc[0])
        assert out["fastest"].duration_h == pytest.approx(free["fastest"].duration_h + waited, abs=2e-3)
        assert free["cheapest"].charging_usd < out["cheapest"].charging_usd < out["fastest"].charging_usd
    assert solve_fixed_route(timed).duration_h == pytest.approx(solve_by_labels(timed).duration_h, abs=1e-6)


def test_windows_are_checked_when_read() -> None:
    p = out_and_back(None).model_dump()
    with pytest.raises(ValidationError, match="one window"):
        FixedRoute.model_validate({**p, "windows": [None, (0, 1)]})
    with pytest.raises(ValidationError, match=r"nodes \[1\] close before they open"):
        FixedRoute.model_validate({**p, "windows": [None, (2, 1), None]})
