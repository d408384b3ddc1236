"""The fixed-route vehicle charging problem (FRVCP, Montoya et al. 2017): a vehicle must visit a fixed sequence of
nodes; insert charging stops so that it never runs out of energy and the route's duration is least.

Between consecutive route nodes ``r_g`` and ``r_{g+1}`` (gap ``g``) the vehicle drives direct or through one
charging station ``s``. A station charges by a concave piecewise-linear function ``c_s(t)`` (charge after ``t``
hours from empty, breakpoints ``(t_k, c_k)``), so the time to go from charge ``a`` to ``b`` is
``tau_s(b) - tau_s(a)`` with ``tau_s = c_s^-1`` convex piecewise linear: charging is slower the fuller the battery.

The exact MIP (``q`` energy in the matrix's unit, e.g. Wh; times in hours):

    y[g,s] in {0,1}                 stop at s in gap g;      sum_s y[g,s] <= 1
    q[0] = q_init;  q_min <= q[g] <= Q                       energy leaving node g (no charging at route nodes)
    a[g,s] = q[g] - E[r_g,s]   if y[g,s]   (0 otherwise)     energy arriving at s      (big-M with M = Q)
    q_min y <= a[g,s] <= b[g,s] <= Q y                       energy leaving s
    q[g+1] = q[g] - E[r_g,r_g+1] + sum_s (E[r_g,r_g+1] - E[r_g,s] - E[s,r_g+1]) y[g,s] + b[g,s] - a[g,s]
    T_b[g,s] >= m_k b[g,s] + (t_{k-1} - m_k c_{k-1})   for each segment k          (tau_s(b), epigraph: convex)
    a[g,s] = sum_k d[g,s,k],  L_k w_k <= d_k <= L_k,  d_{k+1} <= L_{k+1} w_k       (tau_s(a) exact: fill in order)
    T_b - sum_k m_k d_k >= 0                                                        the charging time
    h_g = T[r_g,r_g+1] + sum_s (T[r_g,s] + T[s,r_g+1] - T[r_g,r_g+1] + p_s) y[g,s] + sum_s (T_b - sum_k m_k d_k)
    duration = sum_g h_g + sum_{g >= 1} p_{r_g}      <= t_max
With time windows ``[e_i, l_i]`` (service at a route node starts when reached, not before ``e_i``, by ``l_i``):
    e_{r_g} <= begin[g] <= l_{r_g};  begin[g+1] >= begin[g] + p_{r_g} + h_g  (leaving the start at 0)
    duration = begin[last] + p_{r_last}
    minimise duration

with ``m_k = (t_k - t_{k-1}) / L_k`` the time per unit of charge of segment ``k`` and ``L_k = c_k - c_{k-1}``.
HiGHS solves it through the same hand-over as the depot plans (:mod:`engine.optim.handover`), to a zero gap.
"""

from __future__ import annotations

from collections import defaultdict

import pyomo.environ as pyo

from engine.optim.handover import HighsLP
from engine.route_data import ChargeStop, ChargingFunction, FixedRoute, NonNeg, RoutePlan, Station

__all__ = ["ChargeStop", "ChargingFunction", "FixedRoute", "NonNeg", "RoutePlan", "Station", "build_model"]


def build_model(p: FixedRoute, per_gap: int = 2) -> pyo.ConcreteModel:
    """The MIP of the module doc, with up to ``per_gap`` stations in a row in each gap."""
    m = pyo.ConcreteModel(name="frvcp")
    r, Q, E, T = p.route, p.q_max, p.energy, p.time_h
    S = len(p.stations)
    gaps = range(len(r) - 1)
    visits = [(g, j, i) for g in gaps for j in range(per_gap) for i in range(S)]
    segs = {i: st.function.segments() for i, st in enumerate(p.stations)}
    node = {i: st.node for i, st in enumerate(p.stations)}
    # arcs of gap g: ("o",) the route node r_g, (j, i) the j-th stop at station i, ("e",) the next route node
    arcs = []
    for g in gaps:
        arcs.append((g, "o", -1, "e", -1))
        for i in range(S):
            arcs += [(g, "o", -1, 0, i), (g, per_gap - 1, i, "e", -1)]
            arcs += [(g, j, i, "e", -1) for j in range(per_gap - 1)]
            arcs += [(g, j, i, j + 1, k) for j in range(per_gap - 1) for k in range(S) if k != i]
    m.q = pyo.Var(range(len(r)), bounds=(p.q_min, Q))
    m.x = pyo.Var(arcs, domain=pyo.Binary)
    m.e = pyo.Var(arcs, bounds=(0, Q))  # energy carried into the arc, 0 unless it is driven
    m.y = pyo.Var(visits, domain=pyo.Binary)
    m.a = pyo.Var(visits, bounds=(0, Q))
    m.b = pyo.Var(visits, bounds=(0, Q))
    m.tb = pyo.Var(visits, bounds=(0, None))
    dk = [(g, j, i, k) for g, j, i in visits for k in range(len(segs[i]))]
    m.d = pyo.Var(dk, bounds=lambda _m, g, j, i, k: (0, segs[i][k][1]))
    wk = [(g, j, i, k) for g, j, i in visits for k in range(len(segs[i]) - 1)]
    m.w = pyo.Var(wk, domain=pyo.Binary)
    m.q[0].fix(min(p.q_init, Q))

    def where(g: int, pos, i: int) -> int:
        return r[g] if pos == "o" else r[g + 1] if pos == "e" else node[i]

    def used(arc) -> float:
        g, fp, fi, tp, ti = arc
        return E[where(g, fp, fi)][where(g, tp, ti)]

    out_of: dict = defaultdict(list)  # a second stop has no arc in when there is one station only
    into: dict = defaultdict(list)
    for arc in arcs:
        g, fp, fi, tp, ti = arc
        out_of[g, fp, fi].append(arc)
        into[g, tp, ti].append(arc)

    m.leave_route_node = pyo.Constraint(gaps, rule=lambda m, g: sum(m.x[a] for a in out_of[(g, "o", -1)]) == 1)
    m.visit_in = pyo.Constraint(visits, rule=lambda m, g, j, i: sum(m.x[a] for a in into[(g, j, i)]) == m.y[g, j, i])
    m.visit_out = pyo.Constraint(visits, rule=lambda m, g, j, i: sum(m.x[a] for a in out_of[(g, j, i)]) == m.y[g, j, i])
    m.carry_max = pyo.Constraint(arcs, rule=lambda m, *arc: m.e[arc] <= Q * m.x[arc])
    m.carry_min = pyo.Constraint(arcs, rule=lambda m, *arc: m.e[arc] >= (used(arc) + p.q_min) * m.x[arc])
    m.depart_node = pyo.Constraint(gaps, rule=lambda m, g: m.q[g] == sum(m.e[a] for a in out_of[(g, "o", -1)]))
    m.arrive_node = pyo.Constraint(
        gaps, rule=lambda m, g: m.q[g + 1] == sum(m.e[a] - used(a) * m.x[a] for a in into[(g, "e", -1)])
    )
    m.arrive_station = pyo.Constraint(
        visits, rule=lambda m, g, j, i: m.a[g, j, i] == sum(m.e[a] - used(a) * m.x[a] for a in into[(g, j, i)])
    )
    m.depart_station = pyo.Constraint(
        visits, rule=lambda m, g, j, i: m.b[g, j, i] == sum(m.e[a] for a in out_of[(g, j, i)])
    )
    m.charge_up = pyo.Constraint(visits, rule=lambda m, g, j, i: m.b[g, j, i] >= m.a[g, j, i])
    m.tau_b = pyo.Constraint(
        dk,
        rule=lambda m, g, j, i, k: (
            m.tb[g, j, i] >= segs[i][k][2] * m.b[g, j, i] + segs[i][k][3] - segs[i][k][2] * segs[i][k][0]
        ),
    )
    m.split_a = pyo.Constraint(
        visits, rule=lambda m, g, j, i: m.a[g, j, i] == sum(m.d[g, j, i, k] for k in range(len(segs[i])))
    )
    m.fill_full = pyo.Constraint(wk, rule=lambda m, g, j, i, k: m.d[g, j, i, k] >= segs[i][k][1] * m.w[g, j, i, k])
    m.fill_next = pyo.Constraint(
        wk, rule=lambda m, g, j, i, k: m.d[g, j, i, k + 1] <= segs[i][k + 1][1] * m.w[g, j, i, k]
    )

    def charging(m, g, j, i):
        return m.tb[g, j, i] - sum(segs[i][k][2] * m.d[g, j, i, k] for k in range(len(segs[i])))

    m.charge_time = pyo.Constraint(visits, rule=lambda m, g, j, i: charging(m, g, j, i) >= 0)

    def gap_hours(g: int):  # driving, station stays and charging between route nodes g and g + 1
        drive = sum(T[where(g, fp, fi)][where(g, tp, ti)] * m.x[g, fp, fi, tp, ti] for _g, fp, fi, tp, ti in arcs_of[g])
        stay = sum(
            p.stations[i].process_h * m.y[g, j, i] + charging(m, g, j, i) for j in range(per_gap) for i in range(S)
        )
        return drive + stay

    arcs_of = {g: [a for a in arcs if a[0] == g] for g in gaps}
    if p.windows is None:
        fixed = sum(p.process_h[r[g]] for g in range(1, len(r)))
        m.duration = pyo.Expression(expr=sum(gap_hours(g) for g in gaps) + fixed)
    else:  # begin[g] = start of service at route node g: not before it is reached nor before its window opens
        m.begin = pyo.Var(range(1, len(r)), bounds=lambda _m, g: p.window(r[g]) or (0, None))
        leave = {0: 0.0} | {g: m.begin[g] + p.process_h[r[g]] for g in range(1, len(r))}
        m.reach = pyo.Constraint(gaps, rule=lambda m, g: m.begin[g + 1] >= leave[g] + gap_hours(g))
        m.duration = pyo.Expression(expr=leave[len(r) - 1])
    if p.t_max is not None:
        m.duration_limit = pyo.Constraint(expr=m.duration <= p.t_max)
    m.objective = pyo.Objective(expr=m.duration, sense=pyo.minimize)
    return m


def solve_fixed_route(p: FixedRoute) -> RoutePlan:
    """The least-duration charging stops of ``p`` (exact: zero MIP gap), or why there are none."""
    m = build_model(p)
    lp = HighsLP(m)
    info = lp.solve(mip_gap=0.0)
    if info.status not in ("optimal", "feasible"):
        return RoutePlan(feasible=False, reason=infeasible_reason(p), seconds=info.seconds)
    stops = []
    for g, j, i in sorted(m.y, key=lambda v: (v[0], v[1])):
        if pyo.value(m.y[g, j, i]) > 0.5:
            st = p.stations[i]
            a, b = pyo.value(m.a[g, j, i]), pyo.value(m.b[g, j, i])
            stops.append(
                ChargeStop(
                    after=g, station=st.node, arrive=a, depart=b, hours=st.function.hours(b) - st.function.hours(a)
                )
            )
    return RoutePlan(feasible=True, duration_h=pyo.value(m.duration), stops=stops, seconds=info.seconds)


def infeasible_reason(p: FixedRoute) -> str:
    """Where a route fails even charging full at every chance: the first leg it cannot make, and how short."""
    r, E = p.route, p.energy
    q = min(p.q_init, p.q_max)
    for g in range(len(r) - 1):
        need = E[r[g]][r[g + 1]]
        via = [(E[r[g]][s.node], E[s.node][r[g + 1]]) for s in p.stations if q - E[r[g]][s.node] >= p.q_min]
        best_after = max((p.q_max - e2 for _e1, e2 in via), default=q - need)
        after = max(q - need, best_after)
        if after < p.q_min:
            return f"leg {g} ({r[g]} to {r[g + 1]}): {p.q_min - after:.1f} short even charging full on the way"
        q = after
    return "the route cannot be done within t_max or its windows even with the fastest charging"
