"""Rolling horizon: penalise needless changes against the last approved plan.

For each vehicle v and slot t that the previous plan also covered (matched by slot start time), with previous
grid-side power q[v,t] [kW]:

    dev[v,t] >= sum_g p[v,g,t] - q[v,t]          plan_change_up:<vehicle>:<slot>
    dev[v,t] >= q[v,t] - sum_g p[v,g,t]          plan_change_down:<vehicle>:<slot>
    cost    += w_change * dt * sum dev            (moving a kWh costs w_change)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from engine.optim.linear import linear
from engine.results import Plan
from engine.schedule.costs import CostRates
from engine.schedule.inputs import ScheduleInputs


def previous_power(previous: Plan, slot_starts: pd.DatetimeIndex) -> dict[str, np.ndarray]:
    """Previous plan's power per vehicle on the current slots (NaN where it did not plan) [kW]."""
    old = {pd.Timestamp(t).tz_convert("UTC"): i for i, t in enumerate(previous.slot_starts)}
    index = [old.get(t.tz_convert("UTC")) for t in slot_starts]
    out = {}
    for vp in previous.vehicles:
        out[vp.vehicle_id] = np.array([np.nan if i is None else vp.power_kw[i] for i in index])
    return out


def add_plan_change(m: pyo.ConcreteModel, x: ScheduleInputs, rates: CostRates) -> None:
    """Deviation variables and rows above; the term joins the objective as ``cost_change`` (rate from
    ``rates``)."""
    rows = []
    drawn: dict[tuple[str, int], list] = {}
    for (v, _g, t), p in m.p.items() if x.previous else ():  # without a previous plan nothing to compare with
        drawn.setdefault((v, t), []).append(p)
    for vi in x.vehicles:
        q = x.previous.get(vi.vehicle.id) if x.previous else None
        if q is None:
            continue
        rows += [
            (vi.vehicle.id, t)
            for t in range(x.n_slots)
            if not np.isnan(q[t]) and (q[t] > 0 or (vi.vehicle.id, t) in drawn)
        ]
    m.CH = pyo.Set(dimen=2, ordered=True, initialize=rows)
    m.dev = pyo.Var(m.CH, within=pyo.NonNegativeReals)

    def now(v: str, t: int):
        return linear(drawn.get((v, t), ()))

    m.plan_change_up = pyo.Constraint(m.CH, rule=lambda _m, v, t: m.dev[v, t] >= now(v, t) - float(x.previous[v][t]))
    m.plan_change_down = pyo.Constraint(m.CH, rule=lambda _m, v, t: m.dev[v, t] >= float(x.previous[v][t]) - now(v, t))
    m.cost_change = pyo.Expression(expr=rates.change * linear([m.dev[k] for k in m.CH]))
