"""Shadow-mode comparison: what the engine's shadow plans would have done against what dispatch actually did, per
day and vehicle, as the rollout from shadow to assisted to automated needs.

Inputs: the shadow decisions (each with the problem it planned), what dispatch did (charging sessions: vehicle,
charger, plug-in, plug-out, energy [kWh]; departures: vehicle, trip, time, SOC [0-1]) and the depot's tariff.

- Energy: a shadow slot counts from the latest shadow decision (by its planning time ``now``) whose horizon holds
  it; an actual session's energy is spread evenly over its plug-in time (the log has no meter profile).
- Energy cost: each kWh at the tariff's marginal price when drawn [$] (:func:`engine.tariffs.bill.price_series`);
  peak: the highest 15-minute charging load of the day [kW], the demand charges' driver.
- Readiness: a departure is ready when its SOC reaches the departure target the shadow plan aimed for
  (``trace.departure_targets``); shadow SOC is the plan's ``soc_at_departure`` for the trip, from the latest shadow
  decision planned (``now``) before the departure that holds it.

One row per local day and vehicle; the summary adds them up (readiness as shares of the departures compared).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from pydantic import AwareDatetime, Field, ValidationError

from engine.domain import Fraction, NonNegative, PlanningProblem, _Input
from engine.errors import InputError, Problem, from_validation_error
from engine.results import Decision
from engine.tariffs import Tariff
from engine.tariffs.bill import price_series

STEP = timedelta(minutes=15)


class ActualSession(_Input):
    """A charging session as dispatch logged it."""

    vehicle_id: str = Field(min_length=1)
    charger_id: str = ""
    plug_in: AwareDatetime
    plug_out: AwareDatetime
    energy_kwh: NonNegative = Field(description="Grid-side energy of the session [kWh].")


class ActualDeparture(_Input):
    """A departure as dispatch logged it."""

    vehicle_id: str = Field(min_length=1)
    trip_id: str = Field(min_length=1)
    departure: AwareDatetime
    soc: Fraction = Field(description="SOC when it left [0-1].")


def _read(path: Path, model: type[_Input]) -> list:
    """Rows of a CSV file as ``model``; InputError naming file, line and field for every bad row."""
    if not path.is_file():
        raise InputError([Problem("no such file", "", str(path))])
    out, problems = [], []
    with path.open(newline="", encoding="utf-8") as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            try:
                out.append(model.model_validate({k: v for k, v in row.items() if v not in ("", None)}))
            except ValidationError as exc:
                problems += [
                    Problem(p.message, p.field, str(path), line) for p in from_validation_error(exc, str(path)).problems
                ]
    if problems:
        raise InputError(problems)
    return out


def load_dispatch_log(
    sessions: str | Path, departures: str | Path
) -> tuple[list[ActualSession], list[ActualDeparture]]:
    """The two CSV files of a dispatch log (columns: the fields of :class:`ActualSession` and
    :class:`ActualDeparture`)."""
    return _read(Path(sessions), ActualSession), _read(Path(departures), ActualDeparture)


def _slots(start: datetime, end: datetime) -> pd.DatetimeIndex:
    return pd.date_range(
        pd.Timestamp(start).floor("15min"), pd.Timestamp(end).ceil("15min"), freq="15min", inclusive="left"
    )


def shadow_energy(decisions: list[tuple[Decision, PlanningProblem]], index: pd.DatetimeIndex) -> dict[str, np.ndarray]:
    """Per vehicle, the shadow plans' charging energy per slot of ``index`` [kWh] (module doc)."""
    out: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(len(index)))
    for d, _p in sorted(decisions, key=lambda dp: dp[1].now):  # later plans overwrite the slots they hold
        plan = d.plan
        dt_h = plan.slot_minutes / 60
        for k, start in enumerate(plan.slot_starts):
            pos = index.searchsorted(pd.Timestamp(start))
            if pos >= len(index) or index[pos] != pd.Timestamp(start):
                continue
            for vp in plan.vehicles:
                out[vp.vehicle_id][pos] = vp.power_kw[k] * dt_h
            for vid in [v for v in out if v not in {vp.vehicle_id for vp in plan.vehicles}]:
                out[vid][pos] = 0.0
    return dict(out)


def actual_energy(sessions: list[ActualSession], index: pd.DatetimeIndex) -> dict[str, np.ndarray]:
    """Per vehicle, the logged sessions' energy per slot [kWh], spread evenly over each plug-in time."""
    out: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(len(index)))
    for s in sessions:
        span = (s.plug_out - s.plug_in).total_seconds()
        if span <= 0:
            continue
        for pos, start in enumerate(index):
            a, b = max(start, pd.Timestamp(s.plug_in)), min(start + STEP, pd.Timestamp(s.plug_out))
            if b > a:
                out[s.vehicle_id][pos] += s.energy_kwh * (b - a).total_seconds() / span
    return dict(out)


def shadow_report(
    decisions: list[tuple[Decision, PlanningProblem]],
    sessions: list[ActualSession],
    departures: list[ActualDeparture],
    tariff: Tariff,
    start: datetime,
    end: datetime,
) -> tuple[pd.DataFrame, dict[str, object]]:
    """Rows per local day and vehicle, and the summary (module doc), over ``[start, end)``."""
    zone = ZoneInfo(tariff.timezone)
    index = _slots(start, end)
    price = price_series(tariff, index[0], index[-1] + STEP, STEP).to_numpy() if len(index) else np.zeros(0)
    shadow, actual = shadow_energy(decisions, index), actual_energy(sessions, index)
    days = np.array([t.tz_convert(zone).date() for t in index])
    rows: dict[tuple, dict] = {}

    def row(day, vid: str) -> dict:
        return rows.setdefault(
            (day, vid),
            {"day": day.isoformat(), "vehicle_id": vid, "departures": 0, "ready_actual": 0, "ready_shadow": 0},
        )

    for source, energy in (("actual", actual), ("shadow", shadow)):
        for vid, kwh in energy.items():
            for day in sorted(set(days[kwh > 0])):
                mask = days == day
                r = row(day, vid)
                r[f"energy_{source}_kwh"] = round(float(kwh[mask].sum()), 3)
                r[f"cost_{source}_usd"] = round(float((kwh[mask] * price[mask]).sum()), 2)
    for dep in departures:
        if not start <= dep.departure < end:
            continue
        plan = _planned(decisions, dep)
        r = row(dep.departure.astimezone(zone).date(), dep.vehicle_id)
        r["departures"] += 1
        if plan is None:
            continue
        target, planned = plan
        r["ready_actual"] += int(dep.soc >= target - 1e-6)
        r["ready_shadow"] += int(planned >= target - 1e-6)
    table = pd.DataFrame(sorted(rows.values(), key=lambda r: (r["day"], r["vehicle_id"]))).fillna(0.0)
    total = lambda e: np.sum(list(e.values()), axis=0) if e else np.zeros(len(index))  # noqa: E731
    peaks = {s: (total(e) / 0.25) for s, e in (("actual", actual), ("shadow", shadow))}
    n = int(table["departures"].sum()) if not table.empty else 0
    summary: dict[str, object] = {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "departures": n,
        **{
            f"{k}_{s}": v
            for s in ("actual", "shadow")
            for k, v in (
                ("readiness", (int(table[f"ready_{s}"].sum()) / n) if n else None),
                ("energy_kwh", round(float(total(actual if s == "actual" else shadow).sum()), 3)),
                ("energy_cost_usd", round(float((total(actual if s == "actual" else shadow) * price).sum()), 2)),
                ("peak_kw", round(float(peaks[s].max()), 3) if len(index) else 0.0),
            )
        },
    }
    return table, summary


def _planned(decisions: list[tuple[Decision, PlanningProblem]], dep: ActualDeparture) -> tuple[float, float] | None:
    """(target, planned SOC) of a departure from the latest shadow decision before it that planned it."""
    best = None
    for d, p in decisions:
        if p.now > dep.departure:
            continue
        targets = d.trace.departure_targets.get(dep.vehicle_id, {})
        vp = next((v for v in d.plan.vehicles if v.vehicle_id == dep.vehicle_id), None)
        if vp is None or dep.trip_id not in targets or dep.trip_id not in vp.soc_at_departure:
            continue
        if best is None or p.now > best[0]:
            best = (p.now, targets[dep.trip_id], vp.soc_at_departure[dep.trip_id])
    return None if best is None else (best[1], best[2])
