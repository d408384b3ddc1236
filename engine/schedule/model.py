"""Build the charge scheduling model: a flat list of constraint families (see each module's math)."""

from __future__ import annotations

import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC

from engine.schedule.chargers import add_charger_pools, add_soc_taper
from engine.schedule.costs import cost_rates
from engine.schedule.energy import add_energy_balance
from engine.schedule.inputs import ScheduleInputs
from engine.schedule.objective import add_demand_peaks, add_objective
from engine.schedule.site import add_site_limit, add_storage
from engine.schedule.stability import add_plan_change
from engine.schedule.targets import add_departure_targets
from engine.schedule.trip_cover import add_cover_variables, add_trip_cover
from engine.schedule.variables import add_variables


def create_model(x: ScheduleInputs) -> pyo.ConcreteModel:
    """The LP for ``x``: variables, then one call per constraint family, then the objective."""
    with PauseGC():  # hundreds of thousands of new objects, none garbage yet: no cyclic collections meanwhile
        m = pyo.ConcreteModel(name=f"fleetcharge:{x.problem.id}")
        add_variables(m, x)
        add_cover_variables(m, x)
        add_energy_balance(m, x)
        add_departure_targets(m, x)
        add_trip_cover(m, x)
        add_charger_pools(m, x)
        add_soc_taper(m, x)
        add_storage(m, x)
        add_site_limit(m, x)
        add_demand_peaks(m, x)
        rates = cost_rates(x)  # every money term's rate, shared with the reported cost
        add_plan_change(m, x, rates)
        add_objective(m, x, rates)
    return m
