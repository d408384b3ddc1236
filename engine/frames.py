"""Tables of a Decision for views (notebooks, dashboard): pandas frames, one row per fact, times tz-aware.

Pure functions of the Decision (and, for prices, the tariff): views draw these tables and never recompute plans.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from engine.domain import PlanningProblem
from engine.results import Decision, Plan
from engine.tariffs import Tariff, price_series
from engine.tariffs.bill import demand_windows

BILL_COLUMNS = ("energy_usd", "demand_usd", "fees_usd", "public_usd")  # money on the invoices (utility, stations) [$]
NON_CASH_COLUMNS = ("wear_usd", "penalty_usd", "change_usd", "prefer_usd", "timing_usd", "end_usd", "lateness_usd")
COST_COLUMNS = (*BILL_COLUMNS, "bill_usd", *NON_CASH_COLUMNS, "objective_usd")


def slot_times(plan: Plan) -> pd.DatetimeIndex:
    """Slot start times of the plan, in the plan's own offset."""
    return pd.DatetimeIndex(pd.to_datetime(plan.slot_starts))


def gantt_frame(plan: Plan) -> pd.DataFrame:
    """Charger occupancy: one row per plug session (vehicle_id, charger_id, plug_in, plug_out, energy_kwh [kWh])."""
    rows = [
        {
            "vehicle_id": v.vehicle_id,
            "charger_id": s.charger_id or "(none)",
            "plug_in": s.plug_in,
            "plug_out": s.plug_out,
            "energy_kwh": s.energy_kwh,
        }
        for v in plan.vehicles
        for s in v.sessions
    ]
    frame = pd.DataFrame(rows, columns=["vehicle_id", "charger_id", "plug_in", "plug_out", "energy_kwh"])
    for col in ("plug_in", "plug_out"):
        frame[col] = pd.to_datetime(frame[col], utc=True)
    return frame.sort_values(["charger_id", "plug_in", "vehicle_id"], ignore_index=True)


def load_frame(plan: Plan, tariff: Tariff | None = None) -> pd.DataFrame:
    """Per slot and depot: grid import ``load_kw`` [kW] against ``limit_kw`` [kW], and the energy price
    ``price_usd_per_kwh`` [$/kWh] when a tariff is given. A ``site`` row set holds the sum over depots."""
    times = slot_times(plan)
    step = timedelta(minutes=plan.slot_minutes)
    price = None
    if tariff is not None and len(times):
        price = price_series(tariff, times[0].to_pydatetime(), (times[-1] + step).to_pydatetime(), step).to_numpy()
    frames = []
    series = dict(plan.depot_load_kw)
    if len(series) > 1:
        series["site"] = plan.site_load_kw
    for depot, load in series.items():
        limit = plan.grid_limit_kw.get(depot, sum(plan.grid_limit_kw.values()))
        frame = pd.DataFrame({"time": times, "depot": depot, "load_kw": load, "limit_kw": limit})
        if price is not None:
            frame["price_usd_per_kwh"] = price
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["time", "depot", "load_kw"])


def soc_frame(plan: Plan) -> pd.DataFrame:
    """SOC trajectories: one row per vehicle and slot boundary (vehicle_id, time, soc [0-1])."""
    times = slot_times(plan)
    bounds = times.append(pd.DatetimeIndex([times[-1] + timedelta(minutes=plan.slot_minutes)])) if len(times) else times
    rows = [
        pd.DataFrame({"vehicle_id": v.vehicle_id, "time": bounds[: len(v.soc)], "soc": v.soc})
        for v in plan.vehicles
        if v.soc
    ]
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["vehicle_id", "time", "soc"])


def departure_frame(decision: Decision, problem: PlanningProblem) -> pd.DataFrame:
    """One row per planned departure: vehicle_id, trip_id, departure, target_soc and soc [0-1] at departure,
    ``ready`` when the SOC reaches the target (1e-4 tolerance). Targets are the ones the plan aimed for
    (``trace.departure_targets``, after policy directives)."""
    targets: Mapping[str, Mapping[str, float]] = decision.trace.departure_targets
    trips = {t.id: t for t in problem.trips}
    rows = []
    for v in decision.plan.vehicles:
        for trip_id, soc in v.soc_at_departure.items():
            target = targets.get(v.vehicle_id, {}).get(trip_id)
            trip = trips.get(trip_id)
            rows.append(
                {
                    "vehicle_id": v.vehicle_id,
                    "trip_id": trip_id,
                    "departure": trip.departure if trip is not None else None,
                    "priority": trip.priority if trip is not None else None,
                    "target_soc": target,
                    "soc": soc,
                    "ready": target is None or soc >= target - 1e-4,
                }
            )
    frame = pd.DataFrame(rows, columns=["vehicle_id", "trip_id", "departure", "priority", "target_soc", "soc", "ready"])
    frame["departure"] = pd.to_datetime(frame["departure"], utc=True)
    return frame.sort_values(["departure", "vehicle_id"], ignore_index=True)


def readiness(decision: Decision, problem: PlanningProblem) -> tuple[int, int]:
    """(departures ready, departures planned): a departure is ready when its SOC reaches the plan's target and
    no violation names its trip."""
    frame = departure_frame(decision, problem)
    short = {v.target for v in decision.violations}
    ready = sum(bool(r.ready) and r.trip_id not in short for r in frame.itertuples())
    return ready, len(frame)


def cost_frame(decisions: Mapping[str, Decision], problem: PlanningProblem | None = None) -> pd.DataFrame:
    """One row per labelled decision: the cost split [$], peak site load [kW], status, and (with the problem)
    departures ready out of planned."""
    rows = []
    for label, d in decisions.items():
        row = {"label": label, "status": d.status, **{c: getattr(d.cost, c) for c in COST_COLUMNS}}
        row["peak_kw"] = max(d.plan.site_load_kw, default=0.0)
        row["violations"] = len(d.violations)
        if problem is not None:
            row["ready"], row["departures"] = readiness(d, problem)
        rows.append(row)
    return pd.DataFrame(rows).set_index("label")


def tariff_week_frame(tariff: Tariff, start: datetime, step_minutes: int = 60) -> pd.DataFrame:
    """One week of the tariff from ``start`` (tz-aware): per step the energy price [$/kWh] and, per demand charge,
    whether the step lies in its window and its rate [$/kW]. Columns: time, day, hour, price_usd_per_kwh,
    demand_windows (names joined by ", "), demand_usd_per_kw (sum of the rates of the windows in force)."""
    step = timedelta(minutes=step_minutes)
    end = start + timedelta(days=7)
    prices = price_series(tariff, start, end, step)
    index = prices.index
    windows = demand_windows(tariff, index)
    rates = np.zeros(len(index))
    for _name, rate, mask, _month in windows:
        rates += np.where(mask, rate, 0.0)
    names = [", ".join(name for name, _r, mask, _m in windows if mask[i]) for i in range(len(index))]
    local = index.tz_convert(tariff.timezone)
    return pd.DataFrame(
        {
            "time": local,
            "day": local.strftime("%a %d %b"),
            "hour": local.hour + local.minute / 60,
            "price_usd_per_kwh": prices.to_numpy(),
            "demand_windows": names,
            "demand_usd_per_kw": rates,
        }
    )
