import marimo

__generated_with = "0.25.2"
app = marimo.App(width="full", app_title="fleetcharge: policy lab")

with app.setup:
    import marimo as mo
    import yaml

    from engine.charts import cost_chart
    from engine.compare import compare_decisions, summary_diff
    from engine.decision import decide
    from engine.frames import cost_frame
    from engine.policy import check_policy_text, explain
    from service.browse import open_source, source_inputs
    from service.named_files import shipped_tariff
    from service.shipped_paths import POLICIES_DIR

    POLICIES = POLICIES_DIR
    SOURCE_NAME = "policy.yaml"  # how problems in the edited text are located: policy.yaml:LINE:COL


@app.cell
def intro():
    mo.md(r"""
    # Policy lab

    **What it is for:** try a policy change on a real decision before it goes live: what it would cost, whether
    every vehicle is still ready, which vehicles' plans change and why.

    **How to use it:** open the store (or the API with a key) and pick a stored decision. The editor starts with
    the policy that made it (its file in `policies/` when there is one). Edit the YAML: it is checked as you type
    with the same messages as `fleetcharge policy check` (`policy.yaml:LINE:COL: ...`). **Apply** re-plans the
    decision's stored inputs under your text and shows the difference.
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
def pick_decision(table):
    _labels = {
        f"{r.decision_id}  {r.created:%Y-%m-%d %H:%M}  {r.policy}  ${r.bill_usd:,.0f}": r.decision_id
        for r in table.itertuples()
    }
    picked = mo.ui.dropdown(_labels, value=next(iter(_labels)), label="stored decision", full_width=True)
    picked
    return (picked,)


@app.cell
def load_record(picked, source):
    record = source.record(picked.value)
    named = POLICIES / f"{record.policy_name}.yaml"
    if named.is_file():
        start_text = named.read_text(encoding="utf-8")
    else:
        start_text = yaml.safe_dump(record.policy.model_dump(mode="json", exclude_defaults=True), sort_keys=False)
    return record, start_text


@app.cell
def editor_cell(start_text):
    editor = mo.ui.code_editor(value=start_text, language="yaml", min_height=320, debounce=400, label="policy")
    editor
    return (editor,)


@app.cell
def validate(editor):
    policy, problems = check_policy_text(editor.value, SOURCE_NAME)
    messages = [str(p) for p in problems]
    mo.callout(
        mo.md("```\n" + "\n".join(messages) + "\n```")
        if messages
        else mo.md("**Valid.**\n\n```\n" + explain(policy) + "\n```"),
        kind="danger" if messages else "success",
    )
    return messages, policy


@app.cell
def apply_control(policy):
    apply_button = mo.ui.run_button(label="Apply to the decision's inputs", disabled=policy is None)
    apply_button
    return (apply_button,)


@app.cell
def apply(apply_button, policy, record):
    mo.stop(not apply_button.value or policy is None)
    with mo.status.spinner(title="re-planning the stored inputs under the edited policy"):
        trial = decide(record.problem, record.strategy, tariff=shipped_tariff(record.problem.tariff), policy=policy)
    summary = summary_diff(record.decision, trial, record.problem)
    changes = compare_decisions(record.decision, trial)
    changed = int(changes["changed"].sum())
    mo.vstack(
        [
            mo.hstack(
                [
                    mo.stat(
                        f"${trial.cost.bill_usd:,.2f}",
                        label="total cost under the edit",
                        caption=f"{summary.loc['change', 'bill_usd']:+,.2f} $ vs stored",
                        direction="increase" if summary.loc["change", "bill_usd"] > 0 else "decrease",
                        bordered=True,
                    ),
                    mo.stat(
                        f"{int(summary.loc['after', 'ready'])}/{int(summary.loc['after', 'departures'])}",
                        label="departures ready",
                        caption=f"{int(summary.loc['change', 'ready']):+d} vs stored",
                        bordered=True,
                    ),
                    mo.stat(f"{changed}", label="vehicles whose plan changed", bordered=True),
                    mo.stat(trial.status, label="status", bordered=True),
                ],
                justify="start",
            ),
            cost_chart(cost_frame({"stored": record.decision, "edited": trial})),
            mo.ui.table(summary.round(2).reset_index(names="plan"), selection=None),
            mo.ui.table(changes, selection=None, page_size=15, label="per vehicle (changed first)"),
        ]
    )
    return changes, summary, trial


if __name__ == "__main__":
    app.run()
