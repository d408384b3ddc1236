"""Decision variables and their index sets.

Sets: ``A = {(v, g, t)}``: vehicle v may draw from pool g in slot t (at the depot, compatible pool).
Variables: ``p[v,g,t] in [0, P(v,g)]`` grid-side power [kW]; ``e[v,b] in [0, E_max(v)]`` battery energy at
boundary b [kWh], only at the vehicle's event boundaries (every boundary of its span if it has an SOC taper);
``short[v,k] >= 0`` energy short of departure k's target [kWh]; ``lack[v,k] >= 0`` the part of it the trip itself
lacks, only for departures followed by another (energy.py) [kWh]; ``imp[d,t]`` grid import [kW]; ``over[d,t] >= 0`` import above the grid limit [kW] (penalised, reported), only in slots where the
fixed load alone (building minus PV) exceeds the limit: elsewhere charging can always yield.
"""

from __future__ import annotations

import pyomo.environ as pyo

from engine.schedule.inputs import ScheduleInputs, VehicleInputs


def dense_energy(vi: VehicleInputs, x: ScheduleInputs) -> bool:
    """Whether a vehicle needs energy at every boundary: only for an SOC taper on a DC pool it can use."""
    return bool(vi.vehicle.charge_curve) and any(g in x.dc_pools for g in vi.pool_kw)


def add_variables(m: pyo.ConcreteModel, x: ScheduleInputs) -> None:
    """Create the index sets and variables (sparse: only where a vehicle can charge)."""
    T = x.n_slots
    m.T = pyo.RangeSet(0, T - 1)
    m.B = pyo.RangeSet(0, T)
    m.V = pyo.Set(initialize=[vi.vehicle.id for vi in x.vehicles], ordered=True)
    m.A = pyo.Set(
        dimen=3,
        ordered=True,
        initialize=[
            (vi.vehicle.id, g, t)
            for vi in x.vehicles
            for g in sorted(vi.pool_kw)
            for t in vi.charge_slots
            if (g, t) not in vi.blocked
        ],
    )
    pkw = {(vi.vehicle.id, g): kw for vi in x.vehicles for g, kw in vi.pool_kw.items()}
    # upper bounds set on each variable after construction: a bounds rule is one Python call per index (~40 %
    # of creating the variables)
    m.p = pyo.Var(m.A, bounds=(0.0, None))
    for (v, g, _t), var in m.p.items():
        var.ub = pkw[v, g]
    emax = {vi.vehicle.id: vi.e_max_kwh for vi in x.vehicles}
    m._energy_marks = {vi.vehicle.id: vi.boundaries(dense_energy(vi, x)) for vi in x.vehicles}
    m.EB = pyo.Set(dimen=2, ordered=True, initialize=[(v, b) for v, marks in m._energy_marks.items() for b in marks])
    m.e = pyo.Var(m.EB, bounds=(0.0, None))
    for (v, _b), var in m.e.items():
        var.ub = emax[v]
    m.K = pyo.Set(
        dimen=2, ordered=True, initialize=[(vi.vehicle.id, k) for vi in x.vehicles for k in range(len(vi.departures))]
    )
    m.short = pyo.Var(m.K, within=pyo.NonNegativeReals)
    m.KL = pyo.Set(
        dimen=2,
        ordered=True,
        initialize=[
            (vi.vehicle.id, k) for vi in x.vehicles for k, d in enumerate(vi.departures) if vi.departs_again(d.slot)
        ],
    )
    m.lack = pyo.Var(m.KL, within=pyo.NonNegativeReals)
    # departures whose only later trips are candidates: lack is free (as for a last departure) if none is taken
    m.KF = pyo.Set(
        dimen=2,
        ordered=True,
        initialize=[
            (vi.vehicle.id, k)
            for vi in x.vehicles
            for k, d in enumerate(vi.departures)
            if vi.departs_again(d.slot) and not vi.departs_again(d.slot, candidates=False)
        ],
    )
    m.lfree = pyo.Var(m.KF, within=pyo.NonNegativeReals)
    m.D = pyo.Set(initialize=sorted(x.depots), ordered=True)
    m.imp = pyo.Var(m.D, m.T)
    m.OV = pyo.Set(
        dimen=2,
        ordered=True,
        initialize=[
            (d, t)
            for d in sorted(x.depots)
            for t in range(T)
            if x.depots[d].building_kw[t] - x.depots[d].pv_kw[t] > x.depots[d].grid_limit_kw
        ],
    )
    m.over = pyo.Var(m.OV, within=pyo.NonNegativeReals)
