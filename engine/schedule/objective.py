"""The objective, in money, split into named terms: each an Expression ``cost_<term>`` the trace reports, each
rate from :mod:`engine.schedule.costs` (the same rates price the reported cost of a plan).

energy + demand + public + wear + penalty + change + prefer + timing + end (+ cover: unpinned trips,
trip_cover.py), with
    peak[d,c,m] >= imp[d,t] for t in window c of month m, and peak[d,c,m] >= MTD[d,c]   demand_peak rows
(rolling-horizon plan changes: :mod:`engine.schedule.stability`).
"""

from __future__ import annotations

import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import MonomialTermExpression

from engine.optim.linear import linear
from engine.schedule.costs import CostRates
from engine.schedule.inputs import ScheduleInputs


def add_demand_peaks(m: pyo.ConcreteModel, x: ScheduleInputs) -> None:
    """Variables ``peak`` and constraints ``demand_peak:<depot>:<charge>:<month>:<slot>``."""
    keys, rows, base = [], [], {}
    for d, di in sorted(x.depots.items()):
        for ci, (_name, _rate, mask, month, mtd) in enumerate(di.demand):
            for mo in sorted(set(month[mask].tolist())):
                keys.append((d, ci, mo))
                base[d, ci, mo] = mtd
                rows += [(d, ci, mo, t) for t in range(x.n_slots) if mask[t] and month[t] == mo]
    m.PK = pyo.Set(dimen=3, ordered=True, initialize=keys)
    m.peak = pyo.Var(m.PK, bounds=lambda _m, d, c, mo: (base[d, c, mo], None))
    imp, peak = dict(m.imp.items()), dict(m.peak.items())  # plain dicts: a Pyomo index lookup normalises its key
    m.demand_peak = pyo.Constraint(rows, rule=lambda _m, d, c, mo, t: peak[d, c, mo] >= imp[d, t])
    m._peak_base = base


def add_objective(m: pyo.ConcreteModel, x: ScheduleInputs, r: CostRates) -> None:
    """Objective terms as Expressions ``cost_<term>`` (rates ``r``) and their sum as the objective."""
    m.cost_energy = pyo.Expression(
        expr=linear([MonomialTermExpression((float(r.energy[d][t]), var)) for (d, t), var in m.imp.items()])
    )
    m.cost_demand = pyo.Expression(
        expr=sum(r.demand[d, c] * (m.peak[d, c, mo] - m._peak_base[d, c, mo]) for d, c, mo in m.PK)
    )
    by_pool: dict[str, list] = {}
    by_slot: dict[int, list] = {}
    for (_v, g, t), p in m.p.items():
        by_pool.setdefault(g, []).append(p)
        by_slot.setdefault(t, []).append(p)
    # one coefficient times one sum per pool (per slot below): far fewer expression objects than a term per p
    m.cost_wear = pyo.Expression(expr=sum(r.wear[g] * linear(ps) for g, ps in sorted(by_pool.items()) if r.wear[g]))
    m.cost_penalty = pyo.Expression(
        expr=sum(r.short[k] * m.short[k] for k in m.K)
        + sum(r.lack[k] * m.lack[k] for k in m.KL)
        + r.over * sum(m.over[k] for k in m.OV)
    )
    m.cost_end = pyo.Expression(expr=r.end * sum(m.e[vi.vehicle.id, vi.span[1]] for vi in x.vehicles))
    off = {(vi.vehicle.id, g) for vi in x.vehicles for g in vi.off_preference}
    m.cost_prefer = pyo.Expression(expr=r.prefer * linear([p for (v, g, _t), p in m.p.items() if (v, g) in off]))
    timing = sum(float(r.early[t]) * linear(ps) for t, ps in sorted(by_slot.items()) if r.early[t])
    if r.urgent:
        timing += linear(
            [MonomialTermExpression((float(r.urgent[v][t]), p)) for (v, _g, t), p in m.p.items() if r.urgent[v][t]]
        )
    m.cost_timing = pyo.Expression(expr=timing)
    m.cost_public = pyo.Expression(
        expr=linear(
            [MonomialTermExpression((r.public[v, g], p)) for (v, g, _t), p in m.p.items() if (v, g) in r.public]
        )
    )
    m.objective = pyo.Objective(
        expr=m.cost_energy
        + m.cost_demand
        + m.cost_wear
        + m.cost_penalty
        + m.cost_end
        + m.cost_change
        + m.cost_prefer
        + m.cost_timing
        + m.cost_public
        + m.cost_cover,
        sense=pyo.minimize,
    )
