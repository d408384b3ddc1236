"""Battery energy balance of every vehicle.

For vehicle v with charge efficiency eta, slot length dt [h], trip use U [kWh] leaving at boundary b_k, and
consecutive energy boundaries c_i < c_{i+1} (events, or every boundary for a vehicle with SOC taper):

    e[v,c_0]     = E0[v]
    e[v,c_{i+1}] = e[v,c_i] + eta * dt * sum_{c_i <= t < c_{i+1}} sum_g p[v,g,t]
                   - sum_{b_k in [c_i, c_{i+1})} (U[v,k] - lack[v,k] - lfree[v,k])
    lack[v,k] + lfree[v,k] <= short[v,k]                                     trip_lack:<vehicle>:<k>

``short`` is what the vehicle is below departure k's target (targets.py); ``lack`` is the energy added back so a
trip that needs more than the battery holds still leaves the battery at >= 0, and is part of that shortfall.
For a vehicle's last departure the added-back energy is ``short`` itself (no row, no extra variable: nothing later
uses it). For a departure followed by another, ``lack`` costs the highest penalty of any departure (costs.py) on
top of the shortfall, so a cheap shortfall now never buys energy for a dearer departure later: the plan reports
the departure that is really short. ``lfree`` (free, as for a last departure) exists only where every later trip
is an unpinned candidate, and only while none is taken (trip_cover.py).
Unpinned trips the vehicle may take subtract ``U_k y[v,k] - cshort[v,k]`` the same way (trip_cover.py).
"""

from __future__ import annotations

import itertools

import pyomo.environ as pyo

from engine.optim.linear import linear
from engine.schedule.inputs import ScheduleInputs
from engine.schedule.trip_cover import candidate_energy


def add_energy_balance(m: pyo.ConcreteModel, x: ScheduleInputs) -> None:
    """Constraints ``energy_balance:<vehicle>:<boundary>`` (one per pair of consecutive energy boundaries)."""
    by_slot: dict[tuple[str, int], list] = {}
    for (v, _g, t), p in m.p.items():
        by_slot.setdefault((v, t), []).append(p)
    info = {vi.vehicle.id: vi for vi in x.vehicles}
    lacks, free = set(m.KL), set(m.KF)
    rows, nxt = [], {}
    for v, marks in m._energy_marks.items():
        m.e[v, marks[0]].fix(info[v].e0_kwh)
        for a, b in itertools.pairwise(marks):
            rows.append((v, a))
            nxt[v, a] = b

    def rule(_m: pyo.ConcreteModel, v: str, a: int):
        vi, b = info[v], nxt[v, a]
        charge = linear([p for t in range(a, b) for p in by_slot.get((v, t), ())])
        trips = [(k, dep) for k, dep in enumerate(vi.departures) if a <= dep.slot < b]
        use = sum(dep.use_kwh for _k, dep in trips)
        back = []
        for k, _dep in trips:
            back += [m.lack[v, k], m.lfree[v, k]] if (v, k) in free else [m.lack[v, k]] if (v, k) in lacks else []
            back += [] if (v, k) in lacks else [m.short[v, k]]
        short = linear(back)
        taken = candidate_energy(m, vi, a, b)  # unpinned trips it may take (engine.schedule.trip_cover)
        return m.e[v, b] == m.e[v, a] + vi.vehicle.charge_efficiency * x.dt_h * charge - use + short - taken

    m.energy_balance = pyo.Constraint(rows, rule=rule)
    m.trip_lack = pyo.Constraint(
        m.KL, rule=lambda _m, v, k: m.lack[v, k] + (m.lfree[v, k] if (v, k) in free else 0.0) <= m.short[v, k]
    )
