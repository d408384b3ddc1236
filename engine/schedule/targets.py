"""Departure targets: energy in the battery when each trip leaves.

e[v, b_k] + short[v,k] >= target[v,k]        (soft: short is penalised per kWh by trip priority)
"""

from __future__ import annotations

import pyomo.environ as pyo

from engine.schedule.inputs import ScheduleInputs


def add_departure_targets(m: pyo.ConcreteModel, x: ScheduleInputs) -> None:
    """Constraints ``departure_target:<vehicle>:<trip>``."""
    deps = {(vi.vehicle.id, k): d for vi in x.vehicles for k, d in enumerate(vi.departures)}
    m.departure_target = pyo.Constraint(
        m.K, rule=lambda _m, v, k: m.e[v, deps[v, k].slot] + m.short[v, k] >= deps[v, k].target_kwh
    )
