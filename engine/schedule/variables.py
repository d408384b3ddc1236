"""Decision variables and their index sets.

Sets: ``A = {(v, g, t)}``: vehicle v may draw from pool g in slot t (at the depot, compatible pool).
Variables: ``p[v,g,t] in [0, P(v,g)]`` grid-side power [kW]; ``e[v,b] in [0, E_max(v)]`` battery energy at
boundary b [kWh], only over the vehicle's span ``b0 <= b <= b1`` (constant outside it); ``short[v,k] >= 0`` energy short of departure k's target [kWh]; ``imp[d,t]`` grid import
[kW]; ``over[d,t] >= 0`` import above the grid limit [kW] (penalised, reported).
"""

from __future__ import annotations

import pyomo.environ as pyo

from engine.schedule.inputs import ScheduleInputs


def add_variables(m: pyo.ConcreteModel, x: ScheduleInputs) -> None:
    """Create the index sets and variables (sparse: only where a vehicle can charge)."""
    T = x.n_slots
    m.T = pyo.RangeSet(0, T - 1)
    m.B = pyo.RangeSet(0, T)
    m.V = pyo.Set(initialize=[vi.vehicle.id for vi in x.vehicles], ordered=True)
    m.A = pyo.Set(
        dimen=3,
        ordered=True,
        initialize=[(vi.vehicle.id, g, t) for vi in x.vehicles for g in sorted(vi.pool_kw) for t in vi.charge_slots],
    )
    pkw = {(vi.vehicle.id, g): kw for vi in x.vehicles for g, kw in vi.pool_kw.items()}
    m.p = pyo.Var(m.A, bounds=lambda _m, v, g, t: (0.0, pkw[v, g]))
    emax = {vi.vehicle.id: vi.e_max_kwh for vi in x.vehicles}
    m.EB = pyo.Set(
        dimen=2,
        ordered=True,
        initialize=[(vi.vehicle.id, b) for vi in x.vehicles for b in range(vi.span[0], vi.span[1] + 1)],
    )
    m.e = pyo.Var(m.EB, bounds=lambda _m, v, b: (0.0, emax[v]))
    m.K = pyo.Set(
        dimen=2, ordered=True, initialize=[(vi.vehicle.id, k) for vi in x.vehicles for k in range(len(vi.departures))]
    )
    m.short = pyo.Var(m.K, within=pyo.NonNegativeReals)
    m.D = pyo.Set(initialize=sorted(x.depots), ordered=True)
    m.imp = pyo.Var(m.D, m.T)
    m.over = pyo.Var(m.D, m.T, within=pyo.NonNegativeReals)
