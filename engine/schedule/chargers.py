"""Charger pools and power limits.

Pool capacity (n_g identical chargers of rated P_g), with occupancy ``occ[v,g,t] in [0,1]`` where a pool is
contended (more compatible vehicles than chargers):

    p[v,g,t] <= P(v,g) * occ[v,g,t]          (a vehicle draws only while plugged)
    sum_v occ[v,g,t] <= n_g                  (pool size)
    sum_g u[v,g,t] <= 1                      (one plug per vehicle: u = occ on contended pools,
                                              p / P(v,g) on the others, so power on two pools time-shares)

SOC taper on DC pools for vehicles with a charge curve (battery-side kW, concave pieces
``P <= a_k * soc + b_k``):

    eta * p[v,g,t] <= a_k * e[v,t] / C[v] + b_k
"""

from __future__ import annotations

import itertools

import pyomo.environ as pyo

from engine.schedule.inputs import ScheduleInputs
from engine.schedule.linear import linear


def add_charger_pools(m: pyo.ConcreteModel, x: ScheduleInputs) -> None:
    """Constraints ``pool_capacity:<pool>:<slot>``, ``plug_power:<v>:<pool>:<slot>``, ``one_plug:<v>:<slot>``."""
    size = {pool.id: len(pool.chargers) for pool in x.pools}
    users: dict[str, set[str]] = {}
    for v, g, _t in m.A:
        users.setdefault(g, set()).add(v)
    contended = {g for g, vs in users.items() if len(vs) > size[g]}
    m.O = pyo.Set(dimen=3, ordered=True, initialize=[a for a in m.A if a[1] in contended])
    m.occ = pyo.Var(m.O, bounds=(0.0, 1.0))
    m.plug_power = pyo.Constraint(m.O, rule=lambda _m, v, g, t: m.p[v, g, t] <= m.p[v, g, t].ub * m.occ[v, g, t])
    per_pool: dict[tuple[str, int], list] = {}
    for v, g, t in m.O:
        per_pool.setdefault((g, t), []).append(m.occ[v, g, t])
    several = {vi.vehicle.id for vi in x.vehicles if len(vi.pool_kw) > 1}  # one pool: never two plugs
    pools_at: dict[tuple[str, int], list[str]] = {}
    for v, g, t in m.A:
        if v in several and (g in contended or m.p[v, g, t].ub):
            pools_at.setdefault((v, t), []).append(g)
    multi = sorted(k for k, gs in pools_at.items() if len(gs) > 1)  # only these need a one-plug row

    def plug_use(v: str, g: str, t: int):
        return m.occ[v, g, t] if g in contended else m.p[v, g, t] / m.p[v, g, t].ub

    m.pool_capacity = pyo.Constraint(sorted(per_pool), rule=lambda _m, g, t: linear(per_pool[g, t]) <= size[g])
    m.one_plug = pyo.Constraint(multi, rule=lambda _m, v, t: sum(plug_use(v, g, t) for g in pools_at[v, t]) <= 1)


def add_soc_taper(m: pyo.ConcreteModel, x: ScheduleInputs) -> None:
    """Constraints ``soc_taper:<vehicle>:<pool>:<slot>:<piece>`` for vehicles with a charge curve on DC."""
    pieces = {}
    dc = {pool.id for pool in x.pools if pool.kind == "DC"}
    for vi in x.vehicles:
        curve = vi.vehicle.charge_curve
        if not curve:
            continue
        segs = []
        for a, b in itertools.pairwise(curve):
            slope = (b.max_kw - a.max_kw) / (b.soc - a.soc)
            segs.append((slope, a.max_kw - slope * a.soc))
        pieces[vi.vehicle.id] = (segs, vi.vehicle.battery_kwh, vi.vehicle.charge_efficiency)
    index = [(v, g, t, k) for v, g, t in m.A if g in dc and v in pieces for k in range(len(pieces[v][0]))]

    def rule(_m, v, g, t, k):
        segs, cap, eta = pieces[v]
        slope, intercept = segs[k]
        if slope >= 0:  # a rising piece never binds below the next point for a concave curve
            return pyo.Constraint.Skip
        return eta * m.p[v, g, t] <= slope * m.e[v, t] / cap + intercept

    m.soc_taper = pyo.Constraint(index, rule=rule)
