"""Altair charts of the frames in :mod:`engine.frames`: what the notebooks and the dashboard draw.

Times are shown as the depot's wall clock (converted to ``timezone`` and made naive so the browser does not
shift them to its own zone), every time axis titled with that zone; the figures of one plan share its horizon
as their time range."""

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


Span = tuple[pd.Timestamp, pd.Timestamp] | None  # a time axis's range, wall clock of the depot


def _time_axis(field: str, timezone: str, span: Span = None) -> alt.X:
    """A time axis in the depot's wall clock, titled with its time zone; ``span`` fixes its range (so charts of
    one plan line up)."""
    scale = alt.Scale(domain=[t.isoformat() for t in span]) if span is not None else alt.Undefined
    return alt.X(f"{field}:T", title=f"time ({timezone})", scale=scale, axis=alt.Axis(format="%a %H:%M"))


def plan_span(decision: Decision, timezone: str) -> Span:
    """The plan's horizon on the depot's wall clock: first slot start to last slot end."""
    starts = pd.Series(pd.to_datetime(decision.plan.slot_starts, utc=True))
    end = starts.iloc[-1] + pd.Timedelta(minutes=decision.plan.slot_minutes)
    wall = _wall_clock(pd.concat([starts.iloc[:1], pd.Series([end])], ignore_index=True), timezone)
    return wall.iloc[0], wall.iloc[1]


def gantt_chart(
    gantt: pd.DataFrame, timezone: str, title: str = "Charger occupancy", width: int = WIDTH, span: Span = None
) -> alt.Chart:
    """Vehicle by charger over time: one bar per plug session, labelled with its vehicle and coloured by it (the
    legend names every vehicle)."""
    data = gantt.assign(
        plug_in=_wall_clock(gantt["plug_in"], timezone), plug_out=_wall_clock(gantt["plug_out"], timezone)
    )
    base = alt.Chart(data).encode(y=alt.Y("charger_id:N", title="charger", sort="ascending"))
    bars = base.mark_bar(cornerRadius=2).encode(
        x=_time_axis("plug_in", timezone, span),
        x2="plug_out:T",
        color=alt.Color("vehicle_id:N", title="vehicle", legend=alt.Legend(columns=4, symbolLimit=0)),
        tooltip=["vehicle_id", "charger_id", "plug_in:T", "plug_out:T", alt.Tooltip("energy_kwh:Q", format=".1f")],
    )
    labels = base.mark_text(align="left", dx=3, fontSize=9, color="black").encode(x="plug_in:T", text="vehicle_id:N")
    return alt.layer(bars, labels, title=title).properties(
        width=width, height=max(120, 14 * gantt["charger_id"].nunique())
    )


def load_chart(
    load: pd.DataFrame,
    timezone: str,
    title: str = "Site load against the grid limit",
    width: int = WIDTH,
    span: Span = None,
) -> alt.Chart:
    """Grid import per slot [kW] with the grid limit, and the energy price [$/kWh] on a second axis."""
    data = load.assign(time=_wall_clock(load["time"], timezone))
    base = alt.Chart(data).encode(x=_time_axis("time", timezone, span))
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
    soc: pd.DataFrame,
    departures: pd.DataFrame,
    timezone: str,
    title: str = "SOC and targets",
    width: int = WIDTH,
    span: Span = None,
) -> alt.Chart:
    """SOC trajectories [0-1] per vehicle; each departure's target as a tick (red when not reached). A vehicle
    chosen in the menu below the chart is drawn bold and the others faint (all alike until one is chosen)."""
    data = _corners(soc).assign(time=_wall_clock(soc["time"], timezone))
    vehicles = sorted(data["vehicle_id"].unique())
    pick = alt.selection_point(
        fields=["vehicle_id"],
        bind=alt.binding_select(options=[None, *vehicles], labels=["all", *vehicles], name="vehicle "),
    )
    lines = (
        alt.Chart(data)
        .mark_line(interpolate="linear")
        .encode(
            x=_time_axis("time", timezone, span),
            y=alt.Y("soc:Q", title="SOC", scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("vehicle_id:N", legend=None),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.12)),
            strokeWidth=alt.condition(pick, alt.value(1.5), alt.value(1.0)),
            tooltip=["vehicle_id", "time:T", alt.Tooltip("soc:Q", format=".2f")],
        )
        .add_params(pick)
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
    """Cost terms [$] per labelled plan (rows of :func:`engine.frames.cost_frame`): bill money and the non-cash
    terms (penalties, wear, ...) as two charts with an axis each, so a large penalty does not flatten the bills."""
    data = costs.reset_index()

    def part(terms: list[str], what: str) -> alt.Chart:
        rows = data.melt(id_vars="label", value_vars=terms, var_name="term", value_name="usd")
        return (
            alt.Chart(rows, title=what)
            .mark_bar()
            .encode(
                x=alt.X("usd:Q", title="$", stack="zero"),
                y=alt.Y("label:N", title=None),
                color=alt.Color("term:N"),
                tooltip=["label", "term", alt.Tooltip("usd:Q", format=",.2f")],
            )
            .properties(width=WIDTH, height=40 * len(costs) + 20)
        )

    return alt.vconcat(
        part(list(BILL_COLUMNS), f"{title}: bill money"), part(list(NON_CASH_COLUMNS), "non-cash terms")
    ).resolve_scale(x="independent", color="independent")


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
    span = plan_span(decision, tz)  # one time range for the three
    return {
        "gantt": gantt_chart(gantt_frame(decision.plan), tz, label + "charger occupancy", width, span),
        "load": load_chart(load_frame(decision.plan, tariff), tz, label + "site load, limit and price", width, span),
        "soc": soc_chart(
            soc_frame(decision.plan), departure_frame(decision, problem), tz, label + "SOC and targets", width, span
        ),
    }
