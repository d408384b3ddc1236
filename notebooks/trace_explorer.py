import marimo

__generated_with = "0.25.2"
app = marimo.App(width="full", app_title="fleetcharge: trace explorer")

with app.setup:
    import marimo as mo
    import pandas as pd

    from engine.charts import plan_figures
    from engine.tariffs import load_tariff
    from engine.tariffs.files import resolve_tariff_path
    from service.browse import open_source, source_inputs


@app.cell
def intro():
    mo.md(r"""
    # Trace explorer

    **What it is for:** audit decisions the service stored: which policy rules fired, which constraints bound or
    were violated, which fallback steps ran, why each vehicle got its plan, and whether re-running the stored
    inputs gives the identical plan.

    **How to use it:** give the store (a SQLite file such as `fleetcharge.db`, or a database URL; pick the
    tenant) or the API's URL with a key (`fc_...`, read scope; replay needs the plan scope). Pick a decision in the
    table (the newest is shown until you pick one). **Replay** re-runs it and reports any difference.
    """)
    return


@app.cell
def controls():
    location, key, tenant = source_inputs()
    mo.hstack([location, key, tenant], justify="start")
    return key, location, tenant


@app.cell
def open_decisions(key, location, tenant):
    source = open_source(location.value, key.value, tenant.value)
    table = source.table()
    mo.stop(table.empty, mo.md(f"No decisions in {source.label}."))
    return source, table


@app.cell
def decision_table(source, table):
    picker = mo.ui.table(table, selection="single", page_size=10, label=f"decisions in {source.label}")
    picker
    return (picker,)


@app.cell
def pick(picker, source, table):
    chosen = picker.value
    decision_id = chosen["decision_id"].iloc[0] if len(chosen) else table["decision_id"].iloc[0]
    record = source.record(decision_id)
    decision = record.decision
    trace = decision.trace
    mo.hstack(
        [
            mo.stat(decision_id, label="decision", bordered=True),
            mo.stat(decision.status, label=f"status, {record.mode} mode", bordered=True),
            mo.stat(record.review, label="review", bordered=True),
            mo.stat(f"${decision.cost.bill_usd:,.2f}", label="total cost", bordered=True),
            mo.stat(f"{record.policy_name}", label=f"policy ({record.strategy})", bordered=True),
        ],
        justify="start",
    )
    return decision, decision_id, record, trace


@app.cell
def trace_tables(decision, trace):
    rules = pd.DataFrame([r.model_dump() for r in trace.rules_fired], columns=["rule", "entity", "directive"])
    status = pd.DataFrame(
        [
            {
                "vehicle_id": v,
                "constraint": c,
                "status": s,
                "cost_usd": trace.constraint_cost_usd.get(v, {}).get(c),
            }
            for v, named in trace.constraint_status.items()
            for c, s in named.items()
        ],
        columns=["vehicle_id", "constraint", "status", "cost_usd"],
    )
    bound = status[status["status"].isin(["binding", "violated"])]
    fallbacks = pd.DataFrame(trace.fallbacks)
    violations = pd.DataFrame([v.model_dump() for v in decision.violations])
    mo.ui.tabs(
        {
            f"rules fired ({len(rules)})": mo.ui.table(rules.astype(str), selection=None),
            f"binding or violated ({len(bound)})": mo.ui.table(bound, selection=None),
            f"all constraints ({len(status)})": mo.ui.table(status, selection=None),
            f"fallback steps ({len(fallbacks)})": mo.ui.table(fallbacks.astype(str), selection=None)
            if len(fallbacks)
            else mo.md("No fallback step ran."),
            f"violations ({len(violations)})": mo.ui.table(violations, selection=None)
            if len(violations)
            else mo.md("No target was violated."),
        }
    )
    return bound, fallbacks, rules, status


@app.cell
def explanations(trace):
    explained = trace.explanations
    vehicle = mo.ui.dropdown(sorted(explained), value=min(explained) if explained else None, label="vehicle")
    vehicle
    return explained, vehicle


@app.cell
def explanation(explained, vehicle):
    mo.callout(mo.md(explained.get(vehicle.value, "no explanation recorded")), kind="info")
    return


@app.cell
def figures(decision, record):
    tariff = load_tariff(resolve_tariff_path(record.problem.tariff))
    views = plan_figures(decision, record.problem, tariff)
    mo.vstack([views["gantt"], views["load"]])
    return


@app.cell
def replay_control():
    replay_button = mo.ui.run_button(label="Replay: re-run the stored inputs")
    replay_button
    return (replay_button,)


@app.cell
def replay(decision_id, replay_button, source):
    mo.stop(not replay_button.value)
    with mo.status.spinner(title=f"replaying {decision_id}"):
        outcome = source.replay(decision_id)
    mo.callout(
        mo.md(
            "**Identical**: the replay gave the same plan, cost and trace."
            if outcome.identical
            else "**Different** at: "
            + ", ".join(f"`{d}`" for d in outcome.differences)
            + (f" ({outcome.reason})" if outcome.reason else "")
        ),
        kind="success" if outcome.identical else "danger",
    )
    return (outcome,)


if __name__ == "__main__":
    app.run()
