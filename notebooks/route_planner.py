import marimo

__generated_with = "0.25.2"
app = marimo.App(width="full", app_title="fleetcharge: route planner")

with app.setup:
    import json

    import altair as alt
    import marimo as mo
    import pandas as pd

    from engine.policy import load_policy
    from engine.routing.drive import drive
    from engine.routing.fixed_route import FixedRoute
    from engine.routing.options import route_options
    from service.shipped_paths import POLICIES_DIR, ROUTES_DIR


@app.cell
def intro():
    mo.md(r"""
    # Route planner

    **What it is for:** where a route should stop to charge, as options: the fastest, the cheapest, the one least
    likely to meet a queue or a broken charger, and the policy's balance of the three; with why each differs.

    **How to use it:** pick a route file (`examples/routes/`, the fields of `FixedRoute`: nodes in order, time and
    energy matrices, stations with their charging curves, prices and availability) and a policy (its `routing:`
    weights). The chart shows the energy along the route for every option: flat at a stop, rising while charging;
    grey bands are the customers' service windows (`timed_loop.json` has some): early, a vehicle waits.
    The same function answers `POST /v1/routes/options` and `fleetcharge route`.
    """)
    return


@app.cell
def controls():
    route_pick = mo.ui.dropdown(
        sorted(p.name for p in ROUTES_DIR.glob("*.json")), value="delivery_loop.json", label="route"
    )
    policy_pick = mo.ui.dropdown(sorted(p.stem for p in POLICIES_DIR.glob("*.yaml")), value="courier", label="policy")
    mo.hstack([route_pick, policy_pick], justify="start")
    return policy_pick, route_pick


@app.cell
def solved(policy_pick, route_pick):
    route = FixedRoute.model_validate(json.loads((ROUTES_DIR / route_pick.value).read_text()))
    policy = load_policy(POLICIES_DIR / f"{policy_pick.value}.yaml")
    out = route_options(route, policy.routing)
    mo.stop(
        not out.feasible, mo.callout(mo.md(f"Cannot be done: {out.reason}. {out.alternative or ''}"), kind="danger")
    )
    table = pd.DataFrame(
        [
            {
                "option": o.label,
                "hours": round(o.duration_h, 3),
                "charging $": round(o.charging_usd, 2),
                "failure risk": f"{o.failure_risk:.1%}",
                "score $": round(o.score_usd, 2),
                "stops": ", ".join(f"{s.station} (+{s.depart - s.arrive:.1f})" for s in o.stops) or "none",
                "why": o.why,
            }
            for o in out.options
        ]
    )
    mo.vstack([mo.md("## Options"), mo.ui.table(table, selection=None)])
    return out, route, table


@app.cell
def along_the_route(out, route):
    paths = pd.concat([drive(route, o.stops).assign(option=o.label) for o in out.options], ignore_index=True)
    chart = (
        alt.Chart(paths)
        .mark_line(point=True)
        .encode(
            x=alt.X("hours:Q", title="hours since leaving"),
            y=alt.Y("energy:Q", title="energy on board"),
            color=alt.Color("option:N"),
            tooltip=["option", "node", "kind", "hours", "energy"],
        )
        .properties(height=320, title="Energy along the route (flat: a stop; rising: charging)")
    )
    floor = alt.Chart(pd.DataFrame({"energy": [route.q_min]})).mark_rule(strokeDash=[4, 4]).encode(y="energy:Q")
    windows = pd.DataFrame(
        [
            {"node": n, "opens": route.window(n)[0], "closes": route.window(n)[1]}
            for n in dict.fromkeys(route.route[1:])
            if route.window(n) is not None
        ],
        columns=["node", "opens", "closes"],
    )
    shaded = (
        alt.Chart(windows)
        .mark_rect(opacity=0.12, color="gray")
        .encode(x="opens:Q", x2="closes:Q", tooltip=["node", "opens", "closes"])
    )
    mo.vstack([mo.md("## Along the route"), (shaded + chart + floor) if len(windows) else chart + floor])
    return paths, windows


if __name__ == "__main__":
    app.run()
