"""Battery energy balance of every vehicle.

For vehicle v with charge efficiency eta, slot length dt [h], trip use U [kWh] leaving at boundary b_k, and
consecutive energy boundaries c_i < c_{i+1} (events, or every boundary for a vehicle with SOC taper):

    e[v,c_0]     = E0[v]
    e[v,c_{i+1}] = e[v,c_i] + eta * dt * sum_{c_i <= t < c_{i+1}} sum_g p[v,g,t]
                   - sum_{b_k in [c_i, c_{i+1})} (U[v,k] - short[v,k])

``short`` is the energy the vehicle lacks at departure (also what it is below target, see targets.py); adding it
to the balance keeps the model feasible when a trip needs more than can be charged, and it is penalised.
"""

from __future__ import annotations

import itertools

import pyomo.environ as pyo

from engine.optim.linear import linear
from engine.schedule.inputs import ScheduleInputs


def add_energy_balance(m: pyo.ConcreteModel, x: ScheduleInputs) -> None:
    """Constraints ``energy_balance:<vehicle>:<boundary>`` (one per pair of consecutive energy boundaries)."""
    by_slot: dict[tuple[str, int], list] = {}
    for (v, _g, t), p in m.p.items():
        by_slot.setdefault((v, t), []).append(p)
    info = {vi.vehicle.id: vi for vi in x.vehicles}
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
        short = linear([m.short[v, k] for k, _dep in trips])
        return m.e[v, b] == m.e[v, a] + vi.vehicle.charge_efficiency * x.dt_h * charge - use + short

    m.energy_balance = pyo.Constraint(rows, rule=rule)
