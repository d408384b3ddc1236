"""Charger pools and power limits.

Pool capacity (n_g chargers; P(v,g) the power vehicle v draws from pool g), counted fractionally where a pool is
contended (more compatible vehicles than chargers): a vehicle drawing p occupies p / P(v,g) of a charger,

    sum_v p[v,g,t] / P(v,g) <= n_g           pool_capacity:<pool>:<slot>
    sum_g p[v,g,t] / P(v,g) <= 1             one_plug:<vehicle>:<slot> (vehicles with several pools: power
                                             on two pools time-shares the one plug)

This is the LP relaxation of one plug session per dwell; the sessions themselves are chosen afterwards
(:mod:`engine.schedule.contention`). An explicit occupancy variable ``occ >= p / P`` with the same rows (the
earlier formulation) gives the same optimum but doubled the columns and made HiGHS pivot through degenerate
vertices: 200 vans on 100 chargers under a demand charge took 10.7 s to solve that way, 0.83 s this way.

SOC taper on DC pools for vehicles with a charge curve (battery-side kW, concave pieces
``P <= a_k * soc + b_k``):

    eta * p[v,g,t] <= a_k * e[v,t] / C[v] + b_k
"""

from __future__ import annotations

import itertools

import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import MonomialTermExpression

from engine.optim.linear import linear
from engine.schedule.inputs import ScheduleInputs


def add_charger_pools(m: pyo.ConcreteModel, x: ScheduleInputs) -> None:
    """Constraints ``pool_capacity:<pool>:<slot>`` and ``one_plug:<v>:<slot>`` (module doc)."""
    size = {pool.id: len(pool.chargers) for pool in x.pools}
    users: dict[str, set[str]] = {}
    for v, g, _t in m.A:
        users.setdefault(g, set()).add(v)
    contended = {g for g, vs in users.items() if len(vs) > size[g]}
    per_pool: dict[tuple[str, int], list] = {}
    for (_v, g, t), p in m.p.items():
        if g in contended and p.ub:
            per_pool.setdefault((g, t), []).append(MonomialTermExpression((1.0 / p.ub, p)))
    several = {vi.vehicle.id for vi in x.vehicles if len(vi.pool_kw) > 1}  # one pool: never two plugs
    pools_at: dict[tuple[str, int], list] = {}
    for (v, _g, t), p in m.p.items():
        if v in several and p.ub:
            pools_at.setdefault((v, t), []).append(MonomialTermExpression((1.0 / p.ub, p)))
    multi = sorted(k for k, ps in pools_at.items() if len(ps) > 1)  # only these need a one-plug row
    m.contended_pools = contended
    m.pool_capacity = pyo.Constraint(sorted(per_pool), rule=lambda _m, g, t: linear(per_pool[g, t]) <= size[g])
    m.one_plug = pyo.Constraint(multi, rule=lambda _m, v, t: linear(pools_at[v, t]) <= 1)


def add_soc_taper(m: pyo.ConcreteModel, x: ScheduleInputs) -> None:
    """Constraints ``soc_taper:<vehicle>:<pool>:<slot>:<piece>`` for vehicles with a charge curve on DC."""
    pieces = {}
    dc = x.dc_pools
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
