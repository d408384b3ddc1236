"""The figures of a plan (issue 18.3): labelled Gantt bars with a legend, the depot's time zone on every time axis,
one time range for the figures of a plan, a selectable vehicle in the SOC chart, non-cash terms on an axis of
their own. Checked on the Vega-Lite specification each chart produces."""

from __future__ import annotations

from engine.charts import cost_chart, plan_figures
from engine.decision import decide
from engine.frames import BILL_COLUMNS, NON_CASH_COLUMNS, cost_frame
from engine.schedule import ObjectiveWeights
from tests.engine.schedule.factory import problem, trip, two_level_tariff, vehicle

TARIFF = two_level_tariff()


def _decision():
    p = problem([vehicle(1), vehicle(2)], [trip(1, 6.0, 10.0), trip(2, 6.0, 10.0)], [0.1, 0.1], n_ac=2)
    return p, decide(p, weights=ObjectiveWeights(), tariff=TARIFF)


def _layers(spec: dict) -> list[dict]:
    return spec.get("layer", [spec])


def test_the_gantt_labels_its_bars_and_names_the_vehicles_in_a_legend() -> None:
    p, d = _decision()
    spec = plan_figures(d, p, TARIFF)["gantt"].to_dict()
    bars, labels = _layers(spec)
    assert bars["mark"]["type"] == "bar" and bars["encoding"]["color"]["legend"] is not None
    assert bars["encoding"]["color"]["title"] == "vehicle"
    assert labels["mark"]["type"] == "text" and labels["encoding"]["text"]["field"] == "vehicle_id"


def test_every_time_axis_names_the_zone_and_the_figures_share_the_horizon() -> None:
    p, d = _decision()
    figures = plan_figures(d, p, TARIFF)
    domains = set()
    for name, chart in figures.items():
        spec = chart.to_dict()
        layers = [x for layer in _layers(spec) for x in _layers(layer)]
        axes = [
            layer["encoding"]["x"]
            for layer in layers
            if "x" in layer.get("encoding", {}) and "title" in layer["encoding"]["x"]
        ]
        assert axes, name
        for x in axes:
            assert x["title"] == "time (America/Los_Angeles)", name
            domains.add(tuple(x["scale"]["domain"]))
    # the factory's problem: 8 h from 00:00 local on 2025-03-04
    assert domains == {("2025-03-04T00:00:00", "2025-03-04T08:00:00")}


def test_the_soc_chart_has_a_vehicle_menu() -> None:
    p, d = _decision()
    spec = plan_figures(d, p, TARIFF)["soc"].to_dict()
    params = [param for layer in _layers(spec) for param in layer.get("params", [])] + spec.get("params", [])
    (menu,) = [param for param in params if "bind" in param]
    assert menu["bind"]["input"] == "select" and menu["bind"]["options"] == [None, "v1", "v2"]


def test_non_cash_terms_have_an_axis_of_their_own() -> None:
    p, d = _decision()
    spec = cost_chart(cost_frame({"optimal": d}, p)).to_dict()
    assert len(spec["vconcat"]) == 2 and spec["resolve"]["scale"]["x"] == "independent"
    bill, non_cash = ({row["term"] for row in spec["datasets"][part["data"]["name"]]} for part in spec["vconcat"])
    assert bill == set(BILL_COLUMNS) and non_cash == set(NON_CASH_COLUMNS)
