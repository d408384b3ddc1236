"""The depot's charging cost for the TCO, taken from operations rather than typed in: a depot plan or simulated
depot days (the metered charging, with whatever went wrong) billed at the depot's real tariff and split among vehicles
(:mod:`engine.cost_allocation`).

Per depot, over the planned (or simulated) days, with K the vehicles' charging energy [kWh], E their energy
charges and M their share of the demand charges [USD], n the depot's vehicles and b the billing months the days
touch:

- energy price = E / K [USD/kWh] (the time-of-use mix the policy produced);
- demand charges = M / n x 12 / b [USD/vehicle/yr] (the planned days taken as representative: the peak they set
  recurs every billing month).

A policy that moves charging off-peak lowers both, and so the TCO.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from engine.cost_allocation import SITE, allocate, depot_power
from engine.domain import PlanningProblem
from engine.errors import InputError, Problem
from engine.policy.schema import Policy
from engine.results import Decision
from engine.simulate.run import Simulation
from engine.tariffs import Tariff
from engine.tco.assumptions import Calibration, TcoAssumptions
from engine.tco.units import Quantity


@dataclass(frozen=True)
class DepotChargingCost:
    """What charging cost a depot's vehicles over the observed days."""

    depot: str
    kwh: float  # vehicles' charging energy [kWh]
    energy_usd: float  # their energy charges [USD]
    demand_usd: float  # their share of the demand charges [USD]
    vehicles: int
    billing_months: int
    origin: str  # what was billed, in words

    @property
    def price_usd_per_kwh(self) -> float:
        return self.energy_usd / self.kwh if self.kwh > 0 else 0.0

    @property
    def demand_usd_per_vehicle_yr(self) -> float:
        return self.demand_usd / self.vehicles * 12 / self.billing_months if self.vehicles else 0.0

    def quantities(self) -> tuple[Quantity, Quantity]:
        """The depot energy price and demand charge as TCO quantities, their source the calculation."""
        note = (
            f"calibrated from {self.origin}: {self.kwh:,.1f} kWh for ${self.energy_usd:,.2f} of energy "
            f"and ${self.demand_usd:,.2f} of demand charges over {self.billing_months} billing month(s), "
            f"{self.vehicles} vehicles"
        )
        return (
            Quantity(value=self.price_usd_per_kwh, unit="USD/kWh", source=note),
            Quantity(value=self.demand_usd_per_vehicle_yr, unit="USD/vehicle/yr", source=note),
        )


def _months(index: pd.DatetimeIndex, tariff: Tariff) -> int:
    local = index.tz_convert(tariff.timezone) if index.tz is not None else index
    return len({(t.year, t.month) for t in local})


def from_allocation(
    split: pd.DataFrame, kwh: dict[str, float], vehicles: dict[str, int], index, tariffs: dict[str, Tariff], origin: str
) -> dict[str, DepotChargingCost]:
    """Per depot, from a bill split (:func:`engine.cost_allocation.allocate`) and the vehicles' energy [kWh]."""
    out = {}
    for depot, rows in split.groupby("depot"):
        cars = rows[rows["party"] != SITE]
        out[str(depot)] = DepotChargingCost(
            str(depot),
            kwh.get(str(depot), 0.0),
            float(cars["energy_usd"].sum()),
            float(cars["demand_usd"].sum()),
            vehicles.get(str(depot), 0),
            _months(pd.DatetimeIndex(index), tariffs[str(depot)]),
            origin,
        )
    return out


def from_plan(
    decision: Decision, problem: PlanningProblem, tariffs: dict[str, Tariff], origin: str
) -> dict[str, DepotChargingCost]:
    """Per depot, the charging cost of a decision's plan billed at each depot's tariff."""
    plan = decision.plan
    dt_h = plan.slot_minutes / 60
    kwh = {d: float(sum(np.sum(p) for p in cars.values()) * dt_h) for d, cars in depot_power(plan, problem).items()}
    vehicles: dict[str, int] = {}
    for v in problem.vehicles:
        vehicles[v.depot_id] = vehicles.get(v.depot_id, 0) + 1
    split = allocate(plan, problem, tariffs)
    return from_allocation(split, kwh, vehicles, plan.slot_starts, tariffs, origin)


def from_simulation(sim: Simulation, origin: str) -> dict[str, DepotChargingCost]:
    """The simulated depot's charging cost: the metered charging billed at its tariff (price spikes included)
    and split among its vehicles (:func:`engine.simulate.outcome.allocation`)."""
    from engine.simulate.outcome import allocation, billed_tariff, quarter_load

    load = quarter_load(sim)
    tariff = billed_tariff(sim, load.index)
    depot = sim.world.depot.id
    split = allocation(sim, load, tariff)
    kwh = {depot: float(sim.world.charged_kwh.sum())}
    return from_allocation(split, kwh, {depot: len(sim.world.cars)}, load.index, {depot: tariff}, origin)


def _policy(ref: str | None, base: Path, policies_dir: Path | None) -> Policy | None:
    from engine.policy import load_policy

    if ref is None:
        return None
    candidates = [base / ref, *([policies_dir / f"{ref}.yaml"] if policies_dir else [])]
    found = next((p for p in candidates if p.is_file()), None)
    if found is None:
        raise InputError([Problem(f"no policy file or shipped policy {ref!r}", "calibrate.policy")])
    return load_policy(found)


def _planned(cal: Calibration, base: Path, policy: Policy | None) -> tuple[dict[str, DepotChargingCost], str]:
    from engine.decision.decide import decide
    from engine.io.problem_files import load_problem
    from engine.schedule.inputs import site_tariffs

    assert cal.problem is not None
    path = (base / cal.problem).resolve()
    problem = load_problem(path)
    folder = path if path.is_dir() else path.parent
    tariffs = site_tariffs(problem, None, folder)
    decision = decide(problem, cal.strategy, policy=policy, base=folder, created=problem.now)
    origin = f"{cal.problem} planned with {cal.strategy}"
    origin += (f" under policy {cal.policy}" if cal.policy else "") + f" (decision {decision.decision_id[:12]})"
    return from_plan(decision, problem, tariffs, origin), origin


def _simulated(cal: Calibration, base: Path, policy: Policy | None) -> dict[str, DepotChargingCost]:
    from engine.shipped import SCENARIOS, shipped_dir
    from engine.simulate.run import simulate
    from engine.simulate.scenario import scenario_inputs

    assert cal.scenario is not None
    path = base / cal.scenario
    if not path.is_file() and (shipped_dir(SCENARIOS) / f"{cal.scenario}.yaml").is_file():
        path = shipped_dir(SCENARIOS) / f"{cal.scenario}.yaml"
    world = scenario_inputs(path)
    sim = simulate(world.scenario, world.problem, world.tariff, policy, cal.strategy, cal.days, cal.seed, world.base)
    origin = f"{cal.days} simulated day(s) of scenario {cal.scenario} (seed {sim.seed}) with {cal.strategy}"
    origin += f" under policy {cal.policy}" if cal.policy else ""
    return from_simulation(sim, origin)


def depot_costs(cal: Calibration, base: Path, policies_dir: Path | None = None) -> dict[str, DepotChargingCost]:
    """What charging cost each depot of the calibration's plan or simulation."""
    policy = _policy(cal.policy, base, policies_dir)
    if cal.scenario is not None:
        return _simulated(cal, base, policy)
    return _planned(cal, base, policy)[0]


def calibrated(a: TcoAssumptions, base: Path, policies_dir: Path | None = None) -> TcoAssumptions:
    """``a`` with every depot that has a ``calibrate`` block priced from its plan or simulation (module doc);
    ``base``: the assumptions file's folder, ``policies_dir``: where shipped policies are found by name."""
    depots = []
    for depot in a.depots:
        cal = depot.energy.calibrate
        if cal is None:
            depots.append(depot)
            continue
        costs = depot_costs(cal, base, policies_dir)
        if depot.id in costs:
            cost = costs[depot.id]
        elif len(costs) == 1:  # the plan's one depot stands for this one
            cost = next(iter(costs.values()))
        else:
            raise InputError([Problem(f"the calibration has no depot {depot.id!r}", f"depots.{depot.id}")])
        price, demand = cost.quantities()
        energy = depot.energy.model_copy(update={"price": price, "demand": demand})
        depots.append(depot.model_copy(update={"energy": energy}))
    return a.model_copy(update={"depots": depots})
