"""The TCO explorer: the shipped demo fleet, its tornado and a slider moved."""

from engine.tco.model import tco
from tests.notebooks.conftest import run_notebook, widget


def test_the_demo_fleet_and_a_slider_moved() -> None:
    defs = run_notebook("tco_explorer", file_pick=widget("demo_depot.yaml"), scenario_pick=widget("base"))
    base, swings, outcome = defs["base"], defs["swings"], defs["outcome"]
    assert outcome.total("ev") == tco(base).total("ev")  # sliders start at the file's values
    assert len(defs["sliders"].value) == 6 and list(defs["sliders"].value) == list(swings["parameter"][:6])
    assert set(defs["flows"]["powertrain"]) == {"ev", "diesel"}
    assert defs["bars"]["swing"].is_monotonic_decreasing
    top = swings.iloc[0]
    moved = run_notebook(
        "tco_explorer",
        file_pick=widget("demo_depot.yaml"),
        scenario_pick=widget("base"),
        sliders=widget({top.parameter: float(top.high)}),
    )
    at_high = moved["outcome"].comparison["ev_minus_diesel_fleet_usd"].sum()  # every class has a baseline
    assert defs["metric"] == "ev_minus_diesel_usd"
    assert abs(at_high - top["ev_minus_diesel_usd_at_high"]) < 1e-6
    assert at_high != outcome.comparison["ev_minus_diesel_fleet_usd"].sum()
