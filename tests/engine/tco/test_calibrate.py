"""The depot's charging cost taken from its plan: charging moved off-peak shows up in the TCO."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.shipped import POLICIES, shipped_dir
from engine.tco.calibrate import DepotChargingCost, calibrated
from engine.tco.load import load_assumptions
from engine.tco.model import tco

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "tco" / "demo_depot.yaml"


def test_annualised_by_hand():
    """1,000 kWh for $150 and $600 of demand charges among 10 vehicles over one billing month: 0.15 $/kWh and
    600 / 10 x 12 = 720 $/vehicle/yr; over two billing months half that."""
    cost = DepotChargingCost("d", 1000.0, 150.0, 600.0, 10, 1, "test")
    assert cost.price_usd_per_kwh == 0.15
    assert cost.demand_usd_per_vehicle_yr == 720.0
    assert DepotChargingCost("d", 1000.0, 150.0, 600.0, 10, 2, "test").demand_usd_per_vehicle_yr == 360.0
    price, demand = cost.quantities()
    assert (price.unit, demand.unit) == ("USD/kWh", "USD/vehicle/yr")
    assert "1,000.0 kWh" in price.source and "10 vehicles" in demand.source


def _with_strategy(strategy: str):
    base = load_assumptions(EXAMPLE)
    depot = base.depots[0]
    cal = depot.energy.calibrate.model_copy(update={"strategy": strategy})
    depot = depot.model_copy(update={"energy": depot.energy.model_copy(update={"calibrate": cal})})
    return calibrated(base.model_copy(update={"depots": [depot]}), EXAMPLE.parent, shipped_dir(POLICIES))


def test_off_peak_charging_lowers_the_calibrated_cost_and_the_tco():
    """The demo depot (SCE TOU-8-D, on-peak 16:00-21:00 in summer) charged as vehicles arrive against the
    courier policy's optimised plan: the plan buys cheaper energy and sets a lower peak, and the EV fleet's NPV
    falls by the discounted difference; diesel is untouched."""
    plugged = _with_strategy("uncontrolled")
    planned = _with_strategy("optimal")
    e_plugged, e_planned = plugged.depots[0].energy, planned.depots[0].energy
    assert e_planned.price.value < e_plugged.price.value
    assert e_planned.demand.value < e_plugged.demand.value
    assert "planned with optimal under policy courier" in e_planned.price.source
    t_plugged, t_planned = tco(plugged), tco(planned)
    assert t_planned.total("ev") < t_plugged.total("ev")
    assert t_planned.total("diesel") == t_plugged.total("diesel")
    # the difference is exactly the energy and demand lines
    b1, b2 = t_plugged.breakdown(), t_planned.breakdown()
    ev1, ev2 = b1[b1["powertrain"] == "ev"], b2[b2["powertrain"] == "ev"]
    moved = (ev1["depot_energy"].sum() + ev1["demand_charges"].sum()) - (
        ev2["depot_energy"].sum() + ev2["demand_charges"].sum()
    )
    assert t_plugged.total("ev") - t_planned.total("ev") == pytest.approx(moved, rel=1e-9)


def test_calibrated_from_simulated_days_agrees_with_the_simulators_kpis():
    """One simulated day of the realistic scenario, vehicles charging as they plug in (no controller: the
    quick simulation): the depot's charging energy is the KPI's energy delivered and its vehicles' energy plus
    demand charges are the KPI's cost per vehicle summed."""
    from engine.simulate.outcome import kpis
    from engine.simulate.run import simulate
    from engine.simulate.scenario import scenario_inputs
    from engine.tco.assumptions import Calibration
    from engine.tco.calibrate import depot_costs

    scenario_file = shipped_dir("service.scenarios") / "realistic_month.yaml"
    cal = Calibration(scenario="realistic_month", days=1, strategy="uncontrolled")
    (cost,) = depot_costs(cal, EXAMPLE.parent, shipped_dir(POLICIES)).values()
    w = scenario_inputs(scenario_file)
    k = kpis(simulate(w.scenario, w.problem, w.tariff, None, "uncontrolled", 1, None, w.base))
    assert cost.kwh == pytest.approx(k["energy_delivered_kwh"], abs=1e-3)
    assert cost.energy_usd + cost.demand_usd == pytest.approx(sum(k["cost_per_vehicle_usd"].values()), abs=0.01 * 68)
    assert cost.vehicles == 68 and cost.billing_months == 1
    assert "1 simulated day(s) of scenario realistic_month" in cost.origin
