import marimo

__generated_with = "0.25.2"
app = marimo.App(width="full", app_title="fleetcharge: operations lab")

with app.setup:
    import altair as alt
    import marimo as mo
    import pandas as pd

    from engine.policy import load_policy
    from engine.shadow import shadow_report
    from engine.simulate.outcome import alerts, daily, departures, dispatch_log, kpis
    from engine.simulate.run import simulate
    from engine.simulate.scenario import scenario_inputs
    from service.shipped_paths import POLICIES_DIR, SCENARIOS_DIR

    SCENARIOS = SCENARIOS_DIR


@app.cell
def intro():
    mo.md(r"""
    # Operations lab

    **What it is for:** what a policy's plans do to a depot over days of things going wrong, before it runs a
    real one: departure readiness, cost, peaks and alerts day by day, planned against actual SOC at each
    departure, and the shadow-mode comparison a rollout needs (the policy's plans next to what uncontrolled
    dispatch did under the same faults).

    **How to use it:** pick a scenario of `examples/scenarios/`, a policy, the days and the seed, and press
    **Simulate**. The same seed gives the same days. The engine runs in the loop exactly as `fleetcharge simulate`
    runs it.
    """)
    return


@app.cell
def controls():
    scenario_pick = mo.ui.dropdown(
        sorted(p.stem for p in SCENARIOS.glob("*.yaml")), value="session_aborts", label="scenario"
    )
    policy_pick = mo.ui.dropdown(sorted(p.stem for p in POLICIES_DIR.glob("*.yaml")), value="courier", label="policy")
    days_pick = mo.ui.number(start=1, stop=30, value=1, label="days")
    seed_pick = mo.ui.number(start=0, stop=10_000, value=0, label="seed (0: the scenario's)")
    run_button = mo.ui.run_button(label="Simulate")
    mo.hstack([scenario_pick, policy_pick, days_pick, seed_pick, run_button], justify="start")
    return days_pick, policy_pick, run_button, scenario_pick, seed_pick


@app.cell
def runs(days_pick, policy_pick, run_button, scenario_pick, seed_pick):
    mo.stop(not run_button.value, mo.md("Press **Simulate**."))
    scenario_file = SCENARIOS / f"{scenario_pick.value}.yaml"
    _inputs = scenario_inputs(scenario_file)
    scenario, problem, tariff, folder = _inputs.scenario, _inputs.problem, _inputs.tariff, _inputs.base
    policy = load_policy(POLICIES_DIR / f"{policy_pick.value}.yaml")
    seed = int(seed_pick.value) or None
    days = int(days_pick.value)
    with mo.status.spinner(title="simulating with the engine in the loop ..."):
        sim = simulate(scenario, problem, tariff, policy, "optimal", days, seed, folder, mode="automated")
        shadow = simulate(scenario, problem, tariff, policy, "optimal", days, seed, folder, mode="shadow")
    return shadow, sim, tariff


@app.cell
def headline(sim):
    k = kpis(sim)
    shown = {key: value for key, value in k.items() if not isinstance(value, dict)}
    mo.vstack([mo.md("## KPIs"), mo.ui.table(pd.DataFrame([shown]).T.rename(columns={0: "value"}), selection=None)])
    return (k,)


@app.cell
def trends(sim):
    per_day = daily(sim)
    long = per_day.melt(id_vars=["date"], value_vars=["readiness", "charging_energy_usd", "charging_peak_kw", "alerts"])
    chart = (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(x="date:N", y="value:Q", color="variable:N")
        .facet(row="variable:N")
        .resolve_scale(y="independent")
    )
    mo.vstack([mo.md("## Trends over days"), mo.ui.table(per_day, selection=None), chart])
    return (per_day,)


@app.cell
def forecast_vs_actual(sim):
    dep = departures(sim).dropna(subset=["planned_soc"])
    scatter = (
        alt.Chart(dep)
        .mark_circle()
        .encode(
            x=alt.X("planned_soc:Q", title="planned SOC at departure"),
            y=alt.Y("soc:Q", title="actual SOC at departure"),
            color="ready:N",
            tooltip=["vehicle_id", "trip_id", "planned_soc", "soc", "target_soc"],
        )
    )
    mo.vstack([mo.md("## Forecast vs actual at departure"), scatter])
    return (dep,)


@app.cell
def alert_table(sim):
    table = alerts(sim)
    mo.vstack(
        [
            mo.md("## Alerts (one per condition)"),
            mo.ui.table(table[["key", "priority", "raised_at", "reason", "action"]], selection=None)
            if not table.empty
            else mo.callout(mo.md("No departure or cost was at risk."), kind="success"),
        ]
    )
    return (table,)


@app.cell
def shadow_view(shadow, tariff):
    sessions, deps = dispatch_log(shadow)
    made = [(r.decision, r.problem) for r in shadow.controller.decisions]
    start, end = shadow.world.at(0.0), shadow.world.at(shadow.days * 1440.0)
    rows, summary = shadow_report(made, sessions, deps, tariff, start, end)
    mo.vstack(
        [
            mo.md("## Shadow mode: the policy's plans against uncontrolled dispatch under the same faults"),
            mo.ui.table(pd.DataFrame([summary]).T.rename(columns={0: "value"}), selection=None),
            mo.ui.table(rows, selection=None, label="per day and vehicle"),
        ]
    )
    return rows, summary


if __name__ == "__main__":
    app.run()
