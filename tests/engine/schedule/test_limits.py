"""Named rows and duals: a binding limit is priced by its dual, on a hand case where the dual is known."""

from __future__ import annotations

import pyomo.environ as pyo
import pytest

from engine.decision import decide
from engine.optim.handover import HighsLP
from engine.schedule import ObjectiveWeights, build_inputs
from engine.schedule.model import create_model
from tests.engine.schedule.factory import problem, trip, two_level_tariff, vehicle

# no wear, no reserve: the only money is energy at $0.10 (00:00-04:00) or $0.30 (after)
W = ObjectiveWeights(target_reserve=0.0, wear_usd_per_kwh=0.0, dc_wear_extra_usd_per_kwh=0.0)
TARIFF = two_level_tariff(cheap_hours=(0, 4), cheap=0.10, dear=0.30)


def capped() -> object:
    """One van needing 20 kWh by 08:00 behind a 4 kW site limit: 16 kWh fit in the cheap four hours, 4 kWh are
    bought dear. 1 kW more over 00:00-04:00 moves 4 kWh from $0.30 to $0.10: it saves 4 * 0.20 = $0.80."""
    return problem([vehicle(1, battery=60, ac=10.0)], [trip(1, 8.0, 20.0)], [0.0], limit=4.0)


def test_the_site_limit_dual_is_what_one_more_kw_saves_by_hand() -> None:
    d = decide(capped(), weights=W, tariff=TARIFF)
    (top, *rest) = d.trace.binding_limits
    assert top.constraint == "site_limit:d:0-15"  # slots 0-15: 00:00-04:00
    assert top.value_usd_per_unit == pytest.approx(0.80, abs=0.005)  # the early tie-break is 1e-4 $/kWh
    assert top.text == "the 4 kW site limit of depot d at 00:00-04:00 is binding: 1 kW more would save $0.80"
    assert all(b.value_usd_per_unit < 0.01 for b in rest)  # the dear slots at the limit only break ties
    assert "The 4 kW site limit of depot d at 00:00-04:00 is binding" in d.trace.explanations["v1"]


def test_the_dual_prices_a_real_change_of_the_limit() -> None:
    """Re-solve with the limit raised by 1 kW: the objective falls by what the dual said."""
    base = decide(capped(), weights=W, tariff=TARIFF)
    raised = capped()
    raised = raised.model_copy(update={"depots": [raised.depots[0].model_copy(update={"grid_limit_kw": 5.0})]})
    more = decide(raised, weights=W, tariff=TARIFF)
    drop = base.cost.objective_usd - more.cost.objective_usd
    assert drop == pytest.approx(base.trace.binding_limits[0].value_usd_per_unit, abs=1e-3)


def test_every_row_carries_its_family_and_entity_into_highs() -> None:
    x = build_inputs(capped(), W, TARIFF)
    m = create_model(x)
    lp = HighsLP(m)
    assert lp.rows == list(m.component_data_objects(pyo.Constraint, active=True, descend_into=True, sort=False))
    names = lp.highs.getLp().row_names_
    assert len(names) == len(lp.rows) and len(set(names)) == len(names)
    assert "energy_balance:v1:0" in names and "departure_target:v1:0" in names
    assert all(n.split(":", 1)[0] in {"energy_balance", "departure_target", "site_import"} for n in names), names


def test_no_binding_limit_when_nothing_binds() -> None:
    loose = problem([vehicle(1, battery=60, ac=10.0)], [trip(1, 8.0, 20.0)], [0.0], limit=100.0)
    assert decide(loose, weights=W, tariff=TARIFF).trace.binding_limits == []
