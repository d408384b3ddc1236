"""The route planner: the example route's options and the energy along each."""

from engine.routing.options import route_options
from tests.notebooks.conftest import run_notebook, widget


def test_the_example_route_under_courier() -> None:
    defs = run_notebook("route_planner", route_pick=widget("delivery_loop.json"), policy_pick=widget("courier"))
    out, table, paths = defs["out"], defs["table"], defs["paths"]
    assert out == route_options(defs["route"], None)  # courier has no routing section: the defaults
    assert list(table["option"]) == ["fastest", "cheapest", "lowest_risk", "balanced"]
    assert set(paths["option"]) == set(table["option"])
    assert (paths.groupby("option")["energy"].min() >= 0.1 * defs["route"].q_max - 1e-9).all()  # the reserve


def test_the_timed_route_shows_its_windows_and_the_wait() -> None:
    defs = run_notebook("route_planner", route_pick=widget("timed_loop.json"), policy_pick=widget("courier"))
    windows, paths = defs["windows"], defs["paths"]
    assert list(windows["node"]) == [1, 3, 4] and list(windows["opens"]) == [0.0, 3.5, 0.0]
    waits = paths[(paths["kind"] == "wait") & (paths["option"] == "fastest")]
    assert list(waits["node"]) == [3] and list(waits["hours"]) == [3.5]
