"""Battery energy balance of every vehicle.

For vehicle v with charge efficiency eta, slot length dt [h], trip use U [kWh] leaving at boundary b_k:

    e[v,b0]  = E0[v]
    e[v,t+1] = e[v,t] + eta * sum_g p[v,g,t] * dt - U[v,t] + short[v,k if t = b_k]     for b0 <= t < b1

``short`` is the energy the vehicle lacks at departure (also what it is below target, see targets.py); adding it
to the balance keeps the model feasible when a trip needs more than can be charged, and it is penalised.
"""

from __future__ import annotations

import pyomo.environ as pyo

from engine.schedule.inputs import ScheduleInputs


def add_energy_balance(m: pyo.ConcreteModel, x: ScheduleInputs) -> None:
    """Constraints ``energy_balance:<vehicle>:<boundary>`` and the fixed initial energy."""
    by_vehicle: dict[str, dict[int, list]] = {}
    for v, g, t in m.A:
        by_vehicle.setdefault(v, {}).setdefault(t, []).append(m.p[v, g, t])
    info = {vi.vehicle.id: vi for vi in x.vehicles}
    rows = []
    for vi in x.vehicles:
        b0, b1 = vi.span
        m.e[vi.vehicle.id, b0].fix(vi.e0_kwh)
        rows += [(vi.vehicle.id, t) for t in range(b0, b1)]

    def rule(_m: pyo.ConcreteModel, v: str, t: int):
        vi = info[v]
        eta = vi.vehicle.charge_efficiency
        charge = sum(by_vehicle.get(v, {}).get(t, []))
        use, short = 0.0, 0.0
        for k, dep in enumerate(vi.departures):
            if dep.slot == t:
                use += dep.use_kwh
                short = short + m.short[v, k]
        return m.e[v, t + 1] == m.e[v, t] + eta * x.dt_h * charge - use + short

    m.energy_balance = pyo.Constraint(rows, rule=rule)
