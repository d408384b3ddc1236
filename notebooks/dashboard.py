import marimo

__generated_with = "0.25.2"
app = marimo.App(width="full", app_title="fleetcharge: dispatcher dashboard")

with app.setup:
    import os
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    import altair as alt
    import marimo as mo

    from engine.charts import plan_figures
    from engine.frames import readiness
    from service.browse import ApiError, ApiSource, latest_per_depot
    from service.key_box import KeyBox
    from service.named_files import shipped_tariff

    DEFAULT_API = "http://127.0.0.1:8000"


@app.function
def api_base_url() -> str:
    """The decision API this dashboard reads: ``FLEETCHARGE_API_URL`` (``fleetcharge serve`` sets it to its own
    address), else the local default. Never taken from the page or its request: the dashboard's server makes
    the requests, so a URL a visitor could choose would let them aim it at any host (server-side request
    forgery)."""
    return os.environ.get("FLEETCHARGE_API_URL", DEFAULT_API)


@app.function
def shown_table(per_depot):
    """The latest-decision table as a dispatcher reads it: money rounded to the cent, times to the minute in UTC."""
    table = per_depot.drop(columns=["depots"], errors="ignore").copy()
    table["created"] = table["created"].dt.strftime("%Y-%m-%d %H:%M UTC")
    table["bill_usd"] = table["bill_usd"].map(lambda usd: f"${usd:,.2f}")
    return table.rename(columns={"bill_usd": "bill", "decision_id": "decision"})


@app.cell
def intro():
    mo.md(r"""
    # Dispatcher dashboard

    **What it is for:** the latest decision per depot at a glance (which vehicle is on which charger when, the
    site load against the grid limit, what the plan costs) and the dispatcher's approve or override.

    **How to use it:** enter your API key (read scope to look; approve scope to approve or override). Pick a
    depot. **Approve** records your approval of the shown decision; **Override** holds one vehicle to a charger
    (or to no charging) for a window, with the reason, and records the plan made around it. Both go through the decision API under your key and appear in its audit log. This page never
    plans: decisions come from `POST /v1/decisions`.
    """)
    return


@app.cell
def key_input():
    api_url = api_base_url()
    # kept by the browser for the tab's session (service/key_box.py): a reload does not ask again
    key = mo.ui.anywidget(KeyBox(value=os.environ.get("FLEETCHARGE_KEY", "")))
    mo.hstack([mo.md(f"decision API: `{api_url}`"), key], justify="start", widths=[1, 2])
    return api_url, key


@app.cell
def refresh_state():
    get_refresh, set_refresh = mo.state(0)
    return get_refresh, set_refresh


@app.cell
def latest(api_url, get_refresh, key):
    mo.stop(not key.value["value"], mo.callout(mo.md("Enter your API key to see the latest decisions."), kind="info"))
    get_refresh()  # re-read after an approval or override
    source = ApiSource(api_url, key.value["value"])
    try:
        per_depot = latest_per_depot(source.table())
    except ApiError as err:
        per_depot = None
        mo.stop(True, mo.callout(mo.md(err.in_words(api_url)), kind="danger"))
    mo.stop(
        per_depot.empty,
        mo.callout(
            mo.md("No decisions yet: plan one with `POST /v1/decisions` (see the API docs at `/schema`)."), kind="info"
        ),
    )
    depot = mo.ui.dropdown(list(per_depot["depot"]), value=per_depot["depot"].iloc[0], label="depot")
    mo.vstack(
        [
            mo.ui.table(
                shown_table(per_depot), selection=None, label="latest decision per depot", show_data_types=False
            ),
            depot,
        ]
    )
    return depot, per_depot, source


@app.cell
def shown(depot, per_depot, source):
    decision_id = per_depot.set_index("depot").loc[depot.value, "decision_id"]
    record = source.record(decision_id)
    decision = record.decision
    ready, departures = readiness(decision, record.problem)
    mo.hstack(
        [
            mo.stat(f"${decision.cost.bill_usd:,.2f}", label="plan cost", bordered=True),
            mo.stat(f"{ready}/{departures}", label="departures ready", bordered=True),
            mo.stat(decision.status, label=f"status, {record.mode} mode", bordered=True),
            mo.stat(record.review, label="review", bordered=True),
            mo.stat(decision_id, label=f"decision ({record.policy_name})", bordered=True),
        ],
        justify="start",
    )
    return decision, decision_id, record


@app.cell
def figures(decision, record):
    views = plan_figures(decision, record.problem, shipped_tariff(record.problem.tariff))
    mo.vstack([views["gantt"], views["load"]])
    return


@app.cell
def review_controls(decision, record):
    zone = ZoneInfo(record.problem.depots[0].timezone)
    bounds = [*decision.plan.slot_starts, decision.plan.slot_starts[-1] + timedelta(minutes=decision.plan.slot_minutes)]
    times = {t.astimezone(zone).strftime("%a %d %b %H:%M %Z"): t.isoformat() for t in bounds}
    labels = list(times)
    vehicle = mo.ui.dropdown([v.id for v in record.problem.vehicles], label="vehicle")
    charger = mo.ui.dropdown(
        ["(no charging)", *(c.id for c in record.problem.chargers)], value="(no charging)", label="charger"
    )
    start = mo.ui.dropdown(labels[:-1], value=labels[0], label="from")
    end = mo.ui.dropdown(labels[1:], value=labels[-1], label="to")
    reason = mo.ui.text(label="reason (required to override)", full_width=True)
    accept = mo.ui.checkbox(label="record it even if a departure ends up short")
    approve_button = mo.ui.run_button(label="Approve", kind="success", disabled=record.mode == "shadow")
    override_button = mo.ui.run_button(label="Override", kind="warn", disabled=record.mode == "shadow")
    mo.vstack(
        [
            mo.md("_Shadow-mode decisions are never executed: they cannot be approved._")
            if record.mode == "shadow"
            else mo.md(""),
            mo.md(
                "**Override**: hold one vehicle to a charger (or to no charging) for a window; the rest of the "
                "fleet is planned again around it."
            ),
            mo.hstack([vehicle, charger, start, end], justify="start"),
            reason,
            accept,
            mo.hstack([approve_button, override_button], justify="start"),
        ]
    )
    return accept, approve_button, charger, end, override_button, reason, start, times, vehicle


@app.cell
def act(
    accept,
    approve_button,
    charger,
    decision_id,
    end,
    override_button,
    reason,
    set_refresh,
    source,
    start,
    times,
    vehicle,
):
    mo.stop(not (approve_button.value or override_button.value))
    try:
        if approve_button.value:
            result = source.approve(decision_id, reason.value)
            note = ""
        else:
            if not vehicle.value:
                raise ValueError("choose the vehicle to override")
            change = {
                "vehicle_id": vehicle.value,
                "charger_id": None if charger.value == "(no charging)" else charger.value,
                "start": times[start.value],
                "end": times[end.value],
            }
            result = source.override(decision_id, [change], reason.value, accept.value)
            note = (
                f" Replacement `{result['replacement_decision_id']}`: bill "
                f"{result['bill_difference_usd']:+,.2f} $ against this plan."
            )
        outcome = mo.callout(mo.md(f"Decision `{decision_id}` is now **{result['review']}**.{note}"), kind="success")
        set_refresh(lambda n: n + 1)
    except (ValueError, RuntimeError) as exc:
        outcome = mo.callout(mo.md(f"Not recorded: {exc}"), kind="danger")
    outcome
    return


@app.cell
def chargers_and_drift(get_refresh, source):
    get_refresh()
    try:
        chargers, drifts = source.chargers(), source.reconciliation()
    except ApiError as err:
        chargers = drifts = None
        mo.stop(True, mo.callout(mo.md(err.in_words(source.base_url)), kind="warn"))
    mo.vstack(
        [
            mo.md("## Chargers and reconciliation"),
            mo.ui.table(chargers, selection=None, label="charge points (OCPP)", show_data_types=False)
            if not chargers.empty
            else mo.md("No charge points registered (`fleetcharge chargers add`)."),
            mo.ui.table(
                drifts.round({"difference": 2}), selection=None, label="drift, last 24 h", show_data_types=False
            )
            if not drifts.empty
            else mo.callout(
                mo.md("No drift in the last 24 h: chargers' meters, telematics and plans agree."), kind="success"
            ),
        ]
    )
    return


@app.cell
def alerts_and_kpis(get_refresh, per_depot, source):
    get_refresh()
    try:
        open_alerts = source.alerts("open")
        trend = {depot: source.kpi_days(depot) for depot in sorted(per_depot["depot"].unique())}
    except ApiError as err:
        open_alerts, trend = None, {}
        mo.stop(True, mo.callout(mo.md(err.in_words(source.base_url)), kind="warn"))

    def _trend_chart(frame, columns: list[str], unit: str, title: str):
        data = frame.melt(id_vars=["day"], value_vars=columns)
        return mo.ui.altair_chart(
            alt.Chart(data)
            .mark_line(point=True)
            .encode(x="day:N", y=alt.Y("value:Q", title=unit), color=alt.Color("variable:N", title=""))
            .properties(title=title, height=180)
        )

    kpi_charts = [
        chart
        for depot, frame in trend.items()
        if not frame.empty
        for chart in (
            _trend_chart(
                frame,
                ["energy_delivered_kwh", "energy_planned_kwh"],
                "kWh",
                f"{depot}: energy delivered vs planned (forecast vs actual), last 7 days",
            ),
            _trend_chart(
                frame,
                ["peak_kw", "limit_kw"],
                "kW",
                f"{depot}: the chargers' metered peak against the grid limit, last 7 days",
            ),
        )
    ]
    mo.vstack(
        [
            mo.md("## Alerts and KPIs"),
            mo.ui.table(open_alerts, selection=None, label="open alerts (acknowledge or resolve: /v1/alerts)")
            if not open_alerts.empty
            else mo.callout(mo.md("No open alert: no departure or cost at risk."), kind="success"),
            *kpi_charts,
        ]
    )
    return open_alerts, trend


if __name__ == "__main__":
    app.run()
