"""Altair charts of the frames in :mod:`engine.frames`: what the notebooks and the dashboard draw.

Times are shown as the depot's wall clock (converted to ``timezone`` and made naive so the browser does not
shift them to its own zone)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from engine.domain import PlanningProblem
from engine.frames import BILL_COLUMNS, NON_CASH_COLUMNS, departure_frame, gantt_frame, load_frame, soc_frame
from engine.results import Decision
from engine.tariffs import Tariff

WIDTH = 720


def _wall_clock(values: pd.Series, timezone: str) -> pd.Series:
    return pd.to_datetime(values, utc=True).dt.tz_convert(timezone).dt.tz_localize(None)


def gantt_chart(gantt: pd.DataFrame, timezone: str, title: str = "Charger occupancy", width: int = WIDTH) -> alt.Chart:
    """Vehicle by charger over time: one bar per plug session, coloured by vehicle."""
    data = gantt.assign(
        plug_in=_wall_clock(gantt["plug_in"], timezone), plug_out=_wall_clock(gantt["plug_out"], timezone)
    )
    return (
        alt.Chart(data, title=title)
        .mark_bar(cornerRadius=2)
        .encode(
            x=alt.X("plug_in:T", title="time"),
            x2="plug_out:T",
            y=alt.Y("charger_id:N", title="charger", sort="ascending"),
            color=alt.Color("vehicle_id:N", legend=None),
            tooltip=["vehicle_id", "charger_id", "plug_in:T", "plug_out:T", alt.Tooltip("energy_kwh:Q", format=".1f")],
        )
        .properties(width=width, height=max(120, 14 * gantt["charger_id"].nunique()))
    )


def load_chart(
    load: pd.DataFrame, timezone: str, title: str = "Site load against the grid limit", width: int = WIDTH
) -> alt.Chart:
    """Grid import per slot [kW] with the grid limit, and the energy price [$/kWh] on a second axis."""
    data = load.assign(time=_wall_clock(load["time"], timezone))
    base = alt.Chart(data).encode(x=alt.X("time:T", title="time"))
    kw = base.mark_area(opacity=0.6, interpolate="step-after").encode(
        y=alt.Y("load_kw:Q", title="kW"), color=alt.Color("depot:N"), tooltip=["depot", "time:T", "load_kw:Q"]
    )
    limit = base.mark_line(strokeDash=[6, 3], color="firebrick", interpolate="step-after").encode(y="limit_kw:Q")
    layers = [kw, limit]
    if "price_usd_per_kwh" in data:
        price = base.mark_line(color="black", interpolate="step-after").encode(
            y=alt.Y("price_usd_per_kwh:Q", title="$/kWh"), tooltip=["time:T", "price_usd_per_kwh:Q"]
        )
        return (
            alt.layer(alt.layer(*layers), price, title=title)
            .resolve_scale(y="independent")
            .properties(width=width, height=220)
        )
    return alt.layer(*layers, title=title).properties(width=width, height=220)


def _corners(soc: pd.DataFrame) -> pd.DataFrame:
    """Drop the points of each trajectory that lie on a straight line between their neighbours (same SOC change
    before and after): the drawn line is unchanged and a depot-day stays far below Altair's row limit."""
    g = soc.groupby("vehicle_id", sort=False)["soc"]
    before = soc["soc"] - g.shift(1)
    after = g.shift(-1) - soc["soc"]
    keep = before.isna() | after.isna() | ((before - after).abs() > 1e-9)
    return soc[keep]


def soc_chart(
    soc: pd.DataFrame, departures: pd.DataFrame, timezone: str, title: str = "SOC and targets", width: int = WIDTH
) -> alt.Chart:
    """SOC trajectories [0-1] per vehicle; each departure's target as a tick (red when not reached)."""
    data = _corners(soc).assign(time=_wall_clock(soc["time"], timezone))
    lines = (
        alt.Chart(data)
        .mark_line(interpolate="linear", strokeWidth=1)
        .encode(
            x=alt.X("time:T", title="time"),
            y=alt.Y("soc:Q", title="SOC", scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("vehicle_id:N", legend=None),
            tooltip=["vehicle_id", "time:T", alt.Tooltip("soc:Q", format=".2f")],
        )
    )
    deps = departures.dropna(subset=["target_soc"])
    deps = deps.assign(departure=_wall_clock(deps["departure"], timezone))
    ticks = (
        alt.Chart(deps)
        .mark_tick(thickness=2, size=14)
        .encode(
            x="departure:T",
            y="target_soc:Q",
            color=alt.condition("datum.ready", alt.value("seagreen"), alt.value("crimson")),
            tooltip=["vehicle_id", "trip_id", "departure:T", "target_soc:Q", "soc:Q", "ready:N"],
        )
    )
    return alt.layer(lines, ticks, title=title).properties(width=width, height=240)


def cost_chart(costs: pd.DataFrame, title: str = "Cost split") -> alt.Chart:
    """Stacked cost terms [$] per labelled plan (rows of :func:`engine.frames.cost_frame`)."""
    terms = [*BILL_COLUMNS, *NON_CASH_COLUMNS]
    data = costs.reset_index().melt(id_vars="label", value_vars=terms, var_name="term", value_name="usd")
    return (
        alt.Chart(data, title=title)
        .mark_bar()
        .encode(
            x=alt.X("usd:Q", title="$", stack="zero"),
            y=alt.Y("label:N", title=None),
            color=alt.Color("term:N"),
            tooltip=["label", "term", alt.Tooltip("usd:Q", format=",.2f")],
        )
        .properties(width=WIDTH, height=40 * len(costs) + 20)
    )


def tariff_heatmap(week: pd.DataFrame, value: str = "price_usd_per_kwh", title: str | None = None) -> alt.Chart:
    """Hour of day by day of the week, coloured by ``value`` (a column of
    :func:`engine.frames.tariff_week_frame`)."""
    return (
        alt.Chart(week, title=title or value)
        .mark_rect()
        .encode(
            x=alt.X("hour:O", title="hour"),
            y=alt.Y("day:N", title=None, sort=list(dict.fromkeys(week["day"]))),
            color=alt.Color(f"{value}:Q", scale=alt.Scale(scheme="orangered")),
            tooltip=["day", "hour", "price_usd_per_kwh", "demand_windows", "demand_usd_per_kw"],
        )
        .properties(width=WIDTH, height=200)
    )


def plan_figures(
    decision: Decision, problem: PlanningProblem, tariff: Tariff | None = None, width: int = WIDTH
) -> dict[str, alt.Chart]:
    """The standard figures of one decision: ``gantt``, ``load`` (with prices when a tariff is given), ``soc``."""
    tz = problem.depots[0].timezone
    label = f"{decision.plan.strategy}: "
    return {
        "gantt": gantt_chart(gantt_frame(decision.plan), tz, label + "charger occupancy", width),
        "load": load_chart(load_frame(decision.plan, tariff), tz, label + "site load, limit and price", width),
        "soc": soc_chart(
            soc_frame(decision.plan), departure_frame(decision, problem), tz, label + "SOC and targets", width
        ),
    }
