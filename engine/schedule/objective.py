"""The objective, in money, split into named terms (each an Expression so the trace can report it).

energy  = sum_{d,t} price[t] * imp[d,t] * dt
demand  = w_D * sum_{d,c,m} rate_c * (peak[d,c,m] - MTD[d,c])
          with peak[d,c,m] >= imp[d,t] for t in window c of month m, and peak[d,c,m] >= MTD[d,c]
wear    = w_kWh * sum p*dt + w_DC * sum_{DC pools} p*dt + w_plug * sum_{contended pools} occ*dt
penalty = sum_k pen_k * short_k + w_over * sum over*dt
change  = w_change * dt * sum |p - p_prev|          (rolling horizon, see stability.py)
prefer  = w_pref * dt * sum_{(v,g) off preference} p[v,g,t]   (policy Prefer rules: a small steer)
end     = - v_end * sum_v e[v,b1]                     (energy is constant after b1)
early   = (w_early + 1e-4) * sum (t/T) * p * dt       (prefer earlier charging: a hedge for online
                                                        re-planning when weighted, else a tie-break)
urgent  = w_urgent * sum ((t - a)/(b - a)) * p * dt   (t in the dwell [a, b) of its vehicle: charge the
                                                        vehicle that leaves soonest first; 0 unless weighted)
"""

from __future__ import annotations

import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import MonomialTermExpression

from engine.optim.linear import linear
from engine.schedule.inputs import ScheduleInputs

TIE_BREAK = 1e-4  # [$/kWh] at the horizon end: above solver tolerances, negligible in money


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


def add_objective(m: pyo.ConcreteModel, x: ScheduleInputs) -> None:
    """Objective terms as Expressions ``cost_<term>`` and their sum as the objective."""
    w = x.weights
    dt = x.dt_h
    dc_pools = {p.id for p in x.pools if p.kind == "DC"}
    m.cost_energy = pyo.Expression(
        expr=linear([MonomialTermExpression((float(x.depots[d].price[t]) * dt, var)) for (d, t), var in m.imp.items()])
    )
    m.cost_demand = pyo.Expression(
        expr=w.demand_weight
        * sum(x.depots[d].demand[c][1] * (m.peak[d, c, mo] - m._peak_base[d, c, mo]) for d, c, mo in m.PK)
    )
    wear = {
        p.id: (w.wear_usd_per_kwh + (w.dc_wear_extra_usd_per_kwh if p.id in dc_pools else 0.0)) * dt for p in x.pools
    }
    by_pool: dict[str, list] = {}
    by_slot: dict[int, list] = {}
    for (_v, g, t), p in m.p.items():
        by_pool.setdefault(g, []).append(p)
        by_slot.setdefault(t, []).append(p)
    # one coefficient times one sum per pool (per slot below): far fewer expression objects than a term per p
    m.cost_wear = pyo.Expression(expr=sum(wear[g] * linear(ps) for g, ps in sorted(by_pool.items()) if wear[g]))
    pen = {(vi.vehicle.id, k): d.penalty_usd_per_kwh for vi in x.vehicles for k, d in enumerate(vi.departures)}
    m.cost_penalty = pyo.Expression(
        expr=sum(pen[k] * m.short[k] for k in m.K) + w.over_limit_usd_per_kwh * dt * sum(m.over[k] for k in m.OV)
    )
    m.cost_end = pyo.Expression(
        expr=-w.end_value_usd_per_kwh * sum(m.e[vi.vehicle.id, vi.span[1]] for vi in x.vehicles)
    )
    off = {(vi.vehicle.id, g) for vi in x.vehicles for g in vi.off_preference}
    m.cost_prefer = pyo.Expression(
        expr=w.off_preference_usd_per_kwh * dt * linear([p for (v, g, _t), p in m.p.items() if (v, g) in off])
    )
    T = max(1, x.n_slots)
    early = (w.prefer_early_usd_per_kwh + TIE_BREAK) * dt
    tie = sum((early * t / T) * linear(ps) for t, ps in sorted(by_slot.items()) if t)
    if w.prefer_urgent_usd_per_kwh > 0:
        where = {}  # (vehicle, slot) -> position in its dwell [0, 1)
        for vi in x.vehicles:
            for a, b in vi.dwells():
                for t in range(a, b):
                    where[vi.vehicle.id, t] = (t - a) / max(1, b - a)
        tie += (w.prefer_urgent_usd_per_kwh * dt) * linear(
            [MonomialTermExpression((where[v, t], p)) for (v, _g, t), p in m.p.items() if where[v, t]]
        )
    m.objective = pyo.Objective(
        expr=m.cost_energy
        + m.cost_demand
        + m.cost_wear
        + m.cost_penalty
        + m.cost_end
        + m.cost_change
        + m.cost_prefer
        + tie,
        sense=pyo.minimize,
    )
