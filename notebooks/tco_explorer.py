import marimo

__generated_with = "0.25.2"
app = marimo.App(width="full", app_title="fleetcharge: TCO explorer")

with app.setup:
    import altair as alt
    import marimo as mo
    import pandas as pd
    import yaml

    from engine.tco.calibrate import calibrated
    from engine.tco.load import load_assumptions, with_values
    from engine.tco.model import tco
    from engine.tco.report import default_metric
    from engine.tco.sweeps import tornado
    from service.shipped_paths import POLICIES_DIR, TCO_DIR


@app.cell
def intro():
    mo.md(r"""
    # TCO explorer

    **What it is for:** what the fleet costs over its life, electric against the diesel it replaces, and which
    assumptions move the answer most.

    **How to use it:** pick an assumptions file (`examples/tco/`) and a scenario. The depot's energy price and
    demand charges come from its own plan under the file's policy (the `calibrate` block). The sliders hold the
    six assumptions with the widest swing in the tornado; move them to see the cash flow and the difference
    change. The same functions answer `POST /v1/tco`, `POST /v1/tco/sensitivity` and `fleetcharge tco`.
    """)
    return


@app.cell
def controls():
    file_pick = mo.ui.dropdown(sorted(p.name for p in TCO_DIR.glob("*.yaml")), value="demo_depot.yaml", label="file")
    mo.hstack([file_pick], justify="start")
    return (file_pick,)


@app.cell
def scenario_controls(file_pick):
    _names = sorted((yaml.safe_load((TCO_DIR / file_pick.value).read_text()) or {}).get("scenarios") or {})
    scenario_pick = mo.ui.dropdown(["base", *_names], value="base", label="scenario")
    scenario_pick
    return (scenario_pick,)


@app.cell
def loaded(file_pick, scenario_pick):
    path = TCO_DIR / file_pick.value
    scenario = None if scenario_pick.value == "base" else scenario_pick.value
    base = calibrated(load_assumptions(path, scenario), path.parent, POLICIES_DIR)
    metric = default_metric(base)
    swings = tornado(base, metric)
    return base, metric, scenario, swings


@app.cell
def slider_cell(swings):
    _main = swings.head(6)
    sliders = mo.ui.dictionary(
        {
            row.parameter: mo.ui.slider(
                start=float(row.low),
                stop=float(row.high),
                value=float(row.value),
                step=(float(row.high) - float(row.low)) / 100,
                label=f"{row.parameter} [{row.unit}]",
                full_width=True,
            )
            for row in _main.itertuples()
        }
    )
    mo.vstack([mo.md("## Main assumptions (widest swing first)"), sliders])
    return (sliders,)


@app.cell
def result(base, scenario, sliders):
    varied = with_values(base, dict(sliders.value))
    outcome = tco(varied, scenario)
    summary = outcome.summary
    comparison = outcome.comparison
    mo.vstack(
        [
            mo.md(
                f"## {outcome.name}"
                + (f", scenario {scenario}" if scenario else "")
                + f": EV fleet NPV ${outcome.total('ev'):,.0f}, diesel ${outcome.total('diesel'):,.0f}"
            ),
            mo.ui.table(summary, selection=None),
            mo.ui.table(comparison, selection=None),
        ]
    )
    return comparison, outcome, summary, varied


@app.cell
def cash_flow_chart(outcome):
    flows = outcome.cash_flows.groupby(["powertrain", "year", "component"], as_index=False)["fleet_usd"].sum()
    cash = (
        alt.Chart(flows)
        .mark_bar()
        .encode(
            x=alt.X("year:O", title="year"),
            y=alt.Y("sum(fleet_usd):Q", title="cash flow [USD, fleet]"),
            color=alt.Color("component:N"),
            column=alt.Column("powertrain:N", title=None),
            tooltip=["powertrain", "year", "component", alt.Tooltip("fleet_usd:Q", format=",.0f")],
        )
        .properties(width=360, height=260, title="Cash flow by year and component (undiscounted)")
    )
    mo.vstack([mo.md("## Cash flow"), cash])
    return (flows,)


@app.cell
def tornado_chart(metric, swings):
    at_low, at_high = f"{metric}_at_low", f"{metric}_at_high"
    bars = pd.DataFrame(
        {
            "parameter": swings["parameter"],
            "from": swings[[at_low, at_high]].min(axis=1),
            "to": swings[[at_low, at_high]].max(axis=1),
            "swing": swings["swing"],
        }
    )
    order = list(bars["parameter"])
    chart = (
        alt.Chart(bars)
        .mark_bar()
        .encode(
            y=alt.Y("parameter:N", sort=order, title=None),
            x=alt.X("from:Q", title=f"{metric} [USD] with the assumption at its low and its high"),
            x2="to:Q",
            tooltip=["parameter", alt.Tooltip("swing:Q", format=",.0f")],
        )
        .properties(width=640, height=22 * max(1, len(bars)))
    )
    rule = (
        alt.Chart(pd.DataFrame({"base": [float(swings["base"].iloc[0])] if len(swings) else []}))
        .mark_rule(color="black")
        .encode(x="base:Q")
    )
    mo.vstack([mo.md(f"## Tornado on `{metric}`"), chart + rule])
    return (bars,)


if __name__ == "__main__":
    app.run()
