"""Route options on frvcpy's instance with prices and availability on its stations: each option is best at what
it is named for, all are feasible, and an undoable route says why and what would do."""

import json
from pathlib import Path

import pytest

from engine.policy.schema import Routing
from engine.routing.drive import replay
from engine.routing.formats import read_frvcpy
from engine.routing.labels import least_start_energy, solve_by_labels
from engine.routing.options import route_options

DATA = Path(__file__).resolve().parents[2] / "data" / "evrp" / "frvcpy"
INSTANCE = DATA / "frvcpy-instance_tc0c40s8cf0.json"
ROUTES = [c["route"] for c in json.loads((DATA / "routes_expected_durations_sample.json").read_text()).values()]
FAST_TYPE_TIME = 0.51  # type-0 stations fill in 0.51 h: the fast, dear and busy ones


def priced(route: list[int]):
    p = read_frvcpy(INSTANCE, route, 16000)
    stations = []
    for s in p.stations:
        fast = s.function.time_h[-1] <= FAST_TYPE_TIME
        stations.append(
            s.model_copy(
                update={
                    "price_per_unit": 0.0006 if fast else 0.0002,  # $/Wh: 0.60 and 0.20 $/kWh
                    "availability": 0.7 if fast else 0.95,
                    "reliability": 0.97,
                }
            )
        )
    return p.model_copy(update={"stations": stations})


@pytest.mark.parametrize("route", ROUTES[:6], ids=lambda r: "-".join(map(str, r)))
def test_each_option_is_best_at_its_name_and_all_are_feasible(route) -> None:
    p = priced(route)
    routing = Routing(value_of_time_usd_per_h=40.0, failed_stop_usd=80.0, min_arrival_soc=0.02)
    out = route_options(p, routing)
    o = {x.label: x for x in out.options}
    assert out.feasible and set(o) == {"fastest", "cheapest", "lowest_risk", "balanced"}
    for x in o.values():
        hours, least = replay(p, x.stops)
        assert least >= -1e-6 and hours == pytest.approx(x.duration_h, abs=1e-9)
    tol = 1e-6
    assert o["cheapest"].charging_usd <= o["fastest"].charging_usd + tol
    assert o["fastest"].duration_h <= o["cheapest"].duration_h + tol
    assert all(o["fastest"].duration_h <= x.duration_h + tol for x in o.values())
    assert all(o["balanced"].score_usd <= x.score_usd + 1e-3 for x in o.values())  # it minimises the composite
    fails = {k: x.failure_risk for k, x in o.items()}
    assert fails["lowest_risk"] <= min(fails.values()) + tol or len(o["lowest_risk"].stops) <= min(
        len(x.stops) for x in o.values()
    )
    assert o["fastest"].why and o["cheapest"].why
    assert all(s.arrive >= 0.02 * 16000 - 1e-6 for x in o.values() for s in x.stops)  # the policy's reserve


def test_an_undoable_route_says_why_and_what_would_do() -> None:
    """Out to the nearest customer and back with no station and 1,000 Wh: short; the alternative is the energy the
    two legs take (by hand from the matrix)."""
    e = priced([0, 1, 0]).energy
    near = min(range(1, 41), key=lambda c: e[0][c] + e[c][0])
    p = priced([0, near, 0]).model_copy(update={"stations": [], "q_init": 1000.0})
    out = route_options(p, Routing(min_arrival_soc=0.0))
    assert not out.feasible and "short" in out.reason
    by_hand = p.energy[0][near] + p.energy[near][0]
    assert least_start_energy(p) == pytest.approx(by_hand, abs=1e-6)  # exact, not a bisection
    assert f"at least {by_hand:.1f} energy" in out.alternative
    assert route_options(p.model_copy(update={"q_init": by_hand}), Routing(min_arrival_soc=0.0)).feasible


def test_the_least_start_energy_with_stations_on_the_way() -> None:
    """With stations, the least start energy is where feasibility begins: it works, a little less does not.
    (Station 49 stands at the depot: with it the answer is 0, charge before leaving; so it is left out.)"""
    p = read_frvcpy(INSTANCE, ROUTES[0], 16000)
    p = p.model_copy(update={"stations": [s for s in p.stations if s.node != 49], "t_max": None})  # t_max aside
    assert least_start_energy(read_frvcpy(INSTANCE, ROUTES[0], 16000)) == 0.0
    need = least_start_energy(p)
    assert need is not None and 0 < need < 16000
    assert solve_by_labels(p.model_copy(update={"q_init": need + 1e-6})).feasible
    assert not solve_by_labels(p.model_copy(update={"q_init": need - 1.0})).feasible


def test_one_option_alone_is_that_option_of_the_four() -> None:
    """What the depot coupling asks for: the balanced option only, the same as among the four."""
    p = priced(ROUTES[2])
    routing = Routing(value_of_time_usd_per_h=40.0, failed_stop_usd=80.0, min_arrival_soc=0.02)
    four = {o.label: o for o in route_options(p, routing).options}
    (alone,) = route_options(p, routing, labels=("balanced",)).options
    assert alone.label == "balanced" and alone.stops == four["balanced"].stops
    assert alone.score_usd == four["balanced"].score_usd and alone.why.startswith("least of the policy's composite")


def test_a_margin_on_the_energy_forecast_is_planned_for() -> None:
    """With 20 % on every leg the stops charge more, and driven with the legs 20 % dearer they still keep the
    reserve; without the margin the same drive would not."""
    p = priced(ROUTES[0]).model_copy(update={"q_init": 8000.0, "t_max": None})
    trusting, wary = Routing(min_arrival_soc=0.02), Routing(min_arrival_soc=0.02, energy_margin=0.2)
    dear = p.model_copy(update={"energy": [[1.2 * e for e in row] for row in p.energy]})
    plain = {o.label: o for o in route_options(p, trusting).options}["fastest"]
    careful = {o.label: o for o in route_options(p, wary).options}["fastest"]
    assert careful.charged > plain.charged
    assert replay(dear, careful.stops)[1] >= 0.02 * 16000 - 1e-6
    assert replay(dear, plain.stops)[1] < 0.02 * 16000
