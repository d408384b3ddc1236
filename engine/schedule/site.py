"""Site limit: grid import of each depot, with building load, PV and stationary storage.

imp[d,t] = sum_{v at d, g} p[v,g,t] + L[d,t] - PV[d,t] + cut[d,t] + ch[d,t] - dis[d,t],  0 <= cut <= PV
                                              (cut, PV curtailed, exists only where PV > 0)
imp[d,t] <= G[d] + over[d,t]              (over >= 0 is penalised heavily and reported)
imp[d,t] >= 0                             (unless the depot may export)
s[d,t+1] = s[d,t] + eta_c * ch[d,t] * dt - dis[d,t] * dt / eta_d,   s in [S_min, S_max], s[d,T] >= S_end
"""

from __future__ import annotations

import pyomo.environ as pyo

from engine.optim.linear import linear
from engine.schedule.inputs import ScheduleInputs


def add_storage(m: pyo.ConcreteModel, x: ScheduleInputs) -> None:
    """Variables and ``storage_balance:<depot>:<slot>`` constraints for depots with a battery."""
    storages = {d.id: d.storage for d in x.problem.depots if d.storage is not None}
    m.S = pyo.Set(initialize=sorted(storages), ordered=True)
    m.ch = pyo.Var(m.S, m.T, bounds=lambda _m, d, t: (0.0, storages[d].max_charge_kw))
    m.dis = pyo.Var(m.S, m.T, bounds=lambda _m, d, t: (0.0, storages[d].max_discharge_kw))
    m.s = pyo.Var(
        m.S,
        m.B,
        bounds=lambda _m, d, b: (
            storages[d].soc_min * storages[d].energy_kwh,
            storages[d].soc_max * storages[d].energy_kwh,
        ),
    )
    for d, st in storages.items():
        m.s[d, 0].fix(st.soc * st.energy_kwh)
        end = st.soc if st.soc_end_min is None else st.soc_end_min
        m.s[d, x.n_slots].setlb(end * st.energy_kwh)
    m.storage_balance = pyo.Constraint(
        m.S,
        m.T,
        rule=lambda _m, d, t: (
            m.s[d, t + 1]
            == m.s[d, t]
            + x.dt_h * (storages[d].charge_efficiency * m.ch[d, t] - m.dis[d, t] / storages[d].discharge_efficiency)
        ),
    )


def add_site_limit(m: pyo.ConcreteModel, x: ScheduleInputs) -> None:
    """Constraints ``site_import:<depot>:<slot>`` (definition) and ``site_limit:<depot>:<slot>`` (a bound on
    ``imp`` in slots where the fixed load fits under the limit, a penalised row where it does not)."""
    depot_of = {p.id: p.depot_id for p in x.pools}  # power drawn on a pool loads the pool's site
    terms: dict[tuple[str, int], list] = {}
    for (_v, g, t), p in m.p.items():
        terms.setdefault((depot_of[g], t), []).append(p)

    sunny = [(d, t) for d in sorted(x.depots) for t in range(x.n_slots) if x.depots[d].pv_kw[t] > 0]
    m.PV = pyo.Set(dimen=2, ordered=True, initialize=sunny)
    m.cut = pyo.Var(m.PV, bounds=lambda _m, d, t: (0.0, float(x.depots[d].pv_kw[t])))
    # plain dicts and sets for the per-slot lookups (a Pyomo index or Set lookup normalises its key each time)
    imp, cut, sunny_set, stored = dict(m.imp.items()), dict(m.cut.items()), set(sunny), set(m.S)

    def definition(_m, d, t):
        di = x.depots[d]
        load = linear(terms.get((d, t), []), constant=float(di.building_kw[t] - di.pv_kw[t]))
        if (d, t) in sunny_set:
            load = load + cut[d, t]
        if d in stored:
            load = load + m.ch[d, t] - m.dis[d, t]
        return imp[d, t] == load

    m.site_import = pyo.Constraint(m.D, m.T, rule=definition)
    # the limit is a bound on imp where nothing fixed can exceed it; a penalised constraint elsewhere
    over_rows = sorted(m.OV)
    m.site_limit = pyo.Constraint(
        over_rows, rule=lambda _m, d, t: imp[d, t] <= x.depots[d].grid_limit_kw + m.over[d, t]
    )
    over = set(over_rows)
    for (d, t), var in imp.items():
        if (d, t) not in over:
            var.ub = x.depots[d].grid_limit_kw
        if not x.depots[d].allow_export:
            var.lb = 0.0
