import marimo

__generated_with = "0.25.2"
app = marimo.App(width="full", app_title="fleetcharge: plan explorer")

with app.setup:
    import os
    from pathlib import Path

    import marimo as mo

    from engine.charts import cost_chart, plan_figures
    from engine.decision import decide
    from engine.frames import cost_frame
    from engine.io.problem_files import load_problem
    from engine.policy import load_policy
    from engine.tariffs import load_tariff
    from engine.tariffs.files import TARIFF_DIR, resolve_tariff_path
    from engine.tuning import scale_tradeoff
    from service.browse import StoreSource
    from service.named_files import policy_names
    from service.shipped_paths import DEMO, POLICIES_DIR

    POLICIES = POLICIES_DIR
    NO_POLICY = "(no policy)"
    OWN_TARIFF = "(the problem's own)"


@app.cell
def intro():
    mo.md(r"""
    # Plan explorer

    **What it is for:** see what the scheduler decides for a depot and what it costs, against the uncontrolled
    and earliest-deadline-first baselines, and how the plan moves when you change the price-vs-uptime trade-off.

    **How to use it:** pick a problem (the demo depot, a problem file or folder, or a decision stored by the
    decision API), a policy and a tariff. The sliders scale the policy's trade-off: *uptime* multiplies the
    penalty for energy short of a departure target, *demand* and *wear* weigh demand charges and battery wear.
    Every change re-plans with `engine.decision.decide`, the function the API serves (the demo depot takes
    about ten seconds). Below: the cost split, then per strategy the charger Gantt chart, the site load against
    the grid limit with the price, and SOC against each departure's target (green ticks ready, red short).
    """)
    return


@app.cell
def controls():
    source = mo.ui.dropdown(["demo depot", "problem file", "stored decision"], value="demo depot", label="problem")
    problem_path = mo.ui.text(value=os.environ.get("FLEETCHARGE_PROBLEM", ""), label="file or folder", full_width=True)
    store_location = mo.ui.text(value=os.environ.get("FLEETCHARGE_DB", "fleetcharge.db"), label="store")
    stored_id = mo.ui.text(value="", label="decision id")
    policy_name = mo.ui.dropdown([NO_POLICY, *policy_names(POLICIES)], value=NO_POLICY, label="policy")
    tariff_name = mo.ui.dropdown(
        [OWN_TARIFF, *sorted(p.stem for p in TARIFF_DIR.glob("*.yaml"))], value=OWN_TARIFF, label="tariff"
    )
    uptime = mo.ui.slider(steps=[0.1, 0.25, 0.5, 1, 2, 4, 10], value=1, label="uptime (x shortfall penalty)")
    demand = mo.ui.slider(0, 3, step=0.25, value=1, label="demand-charge weight")
    wear = mo.ui.slider(0, 5, step=0.5, value=1, label="battery-wear weight")
    time_limit = mo.ui.number(5, 600, step=5, value=60, label="solver time limit [s]")
    mo.vstack(
        [
            mo.hstack([source, policy_name, tariff_name], justify="start"),
            mo.hstack([problem_path, store_location, stored_id], justify="start"),
            mo.hstack([uptime, demand, wear, time_limit], justify="start"),
        ]
    )
    return demand, policy_name, problem_path, source, store_location, stored_id, tariff_name, time_limit, uptime, wear


@app.cell
def load_inputs(policy_name, problem_path, source, store_location, stored_id, tariff_name):
    base = DEMO
    stored_policy = None
    if source.value == "problem file":
        mo.stop(not problem_path.value, mo.md("Enter a problem file or folder above."))
        base = Path(problem_path.value)
        problem = load_problem(base)
    elif source.value == "stored decision":
        mo.stop(not stored_id.value, mo.md("Enter a stored decision id above."))
        record = StoreSource(store_location.value).record(stored_id.value)
        problem, stored_policy = record.problem, record.policy
        base = TARIFF_DIR
    else:
        problem = load_problem(DEMO)
    policy = load_policy(POLICIES / f"{policy_name.value}.yaml") if policy_name.value != NO_POLICY else stored_policy
    tariff_ref = problem.tariff if tariff_name.value == OWN_TARIFF else tariff_name.value
    tariff = load_tariff(resolve_tariff_path(tariff_ref, base if base.is_dir() else base.parent))
    return policy, problem, tariff


@app.cell
def plan(demand, policy, problem, tariff, time_limit, uptime, wear):
    weights, tuned_policy = scale_tradeoff(policy, uptime.value, demand.value, wear.value)
    with mo.status.spinner(title="planning (optimal, uncontrolled, EDF)"):
        decision = decide(problem, "optimal", weights, tariff, time_limit=float(time_limit.value), policy=tuned_policy)
        baselines = {s: decide(problem, s, weights, tariff, policy=tuned_policy) for s in ("uncontrolled", "edf")}
    decisions = {"optimal": decision, **baselines}
    costs = cost_frame(decisions, problem)
    return costs, decision, decisions


@app.cell
def cost_view(costs, decision):
    saved = 1 - (costs.loc["optimal", "energy_usd"] + costs.loc["optimal", "demand_usd"]) / max(
        costs.loc["uncontrolled", "energy_usd"] + costs.loc["uncontrolled", "demand_usd"], 1e-9
    )
    _planned = costs.loc["optimal", "departures"]
    ready = 100.0 * costs.loc["optimal", "ready"] / _planned if _planned else 100.0
    mo.vstack(
        [
            mo.hstack(
                [
                    mo.stat(f"${decision.cost.bill_usd:,.2f}", label="optimal plan, total cost", bordered=True),
                    mo.stat(f"{saved:.0%}", label="energy + demand saved vs uncontrolled", bordered=True),
                    mo.stat(f"{ready:.0f}%", label="departures ready", bordered=True),
                    mo.stat(decision.status, label=f"status (solver {decision.solver.seconds:.1f} s)", bordered=True),
                ],
                justify="start",
            ),
            cost_chart(costs),
            mo.ui.table(costs.reset_index().round(2), selection=None, show_download=True),
        ]
    )
    return


@app.cell
def figures(decisions, problem, tariff):
    views = {label: plan_figures(d, problem, tariff, width=330) for label, d in decisions.items()}
    mo.vstack([mo.hstack([views[label][kind] for label in views], widths="equal") for kind in ("gantt", "load", "soc")])
    return (views,)


@app.cell
def details(decision):
    mo.accordion(
        {
            "violations": mo.ui.table([v.model_dump() for v in decision.violations], selection=None)
            if decision.violations
            else mo.md("none: every departure target holds"),
            "explanations (per vehicle)": mo.md(
                "\n\n".join(f"**{k}**: {v}" for k, v in decision.trace.explanations.items())
            ),
            "fallback steps": mo.md(str(decision.trace.fallbacks or "none")),
        }
    )
    return


if __name__ == "__main__":
    app.run()
