"""The array hand-over to HiGHS: small LPs and MIPs solved by hand, and the depot model against Pyomo's own
HiGHS interface."""

from __future__ import annotations

from pathlib import Path

import pyomo.environ as pyo
import pytest
from hypothesis import HealthCheck, given, settings
from pyomo.contrib.solver.solvers.highs import Highs

from engine.io.problem_files import load_problem
from engine.optim.handover import HighsLP, NonLinearError, linear_value
from engine.optim.linear import linear
from engine.schedule.inputs import build_inputs
from engine.schedule.model import create_model
from tests.engine.schedule.factory import random_depots, two_level_tariff
from tests.engine.schedule.test_invariants import W

ROOT = Path(__file__).resolve().parents[3]


def _two_vars() -> pyo.ConcreteModel:
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 2))
    m.y = pyo.Var(within=pyo.NonNegativeReals)
    return m


def test_constants_on_both_sides_and_bounds() -> None:
    """min x + 2y  s.t.  x + 1 >= 4 - y  (i.e. x + y >= 3), x <= 2: x = 2, y = 1, cost 4."""
    m = _two_vars()
    m.need = pyo.Constraint(expr=m.x + 1 >= 4 - m.y)
    m.cost = pyo.Objective(expr=m.x + 2 * m.y)
    info = HighsLP(m).solve()
    assert info.status == "optimal" and info.gap == 0.0
    assert m.x.value == pytest.approx(2.0) and m.y.value == pytest.approx(1.0)
    assert info.objective == pytest.approx(4.0)


def test_maximise_with_named_expressions_products_and_division() -> None:
    """max 3x + 2y  s.t.  x + y <= 4, x + 3y <= 6, x <= 3: vertex (3, 1), value 11; the objective is written as
    2 * (1.5 x) + (8 y) / 4 + 5 - 5 through a named Expression."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 3))
    m.y = pyo.Var(bounds=(0, None))
    m.a = pyo.Constraint(expr=m.x + m.y <= 4)
    m.b = pyo.Constraint(expr=m.x + 3 * m.y <= 6)
    m.half = pyo.Expression(expr=1.5 * m.x)
    m.value_ = pyo.Objective(expr=2 * m.half + (8 * m.y) / 4 + 5 - 5, sense=pyo.maximize)
    info = HighsLP(m).solve()
    assert (m.x.value, m.y.value) == (pytest.approx(3.0), pytest.approx(1.0))
    assert info.objective == pytest.approx(11.0)
    assert linear_value(m.half) == pytest.approx(4.5)


def test_repeated_variable_in_a_row_is_merged() -> None:
    """x + x + y <= 2 is 2x + y <= 2: max x + y gives x = 0, y = 2 (y has the cheaper use of the row)."""
    m = _two_vars()
    m.row = pyo.Constraint(expr=linear([m.x, m.x, m.y]) <= 2)
    m.obj = pyo.Objective(expr=m.x + m.y, sense=pyo.maximize)
    HighsLP(m).solve()
    assert (m.x.value, m.y.value) == (pytest.approx(0.0), pytest.approx(2.0))


def test_fixed_variable_is_a_column_at_its_value_and_update_bounds_re_solves() -> None:
    """min y s.t. x + y >= 3 with x fixed at 0.5: y = 2.5; re-fixed at 2 (warm): y = 1, as a fresh build says."""
    m = _two_vars()
    m.need = pyo.Constraint(expr=m.x + m.y >= 3)
    m.obj = pyo.Objective(expr=m.y)
    m.x.fix(0.5)
    lp = HighsLP(m)
    lp.solve()
    assert m.y.value == pytest.approx(2.5) and m.x.value == 0.5
    m.x.fix(2.0)
    lp.update_bounds([m.x])
    assert lp.solve().objective == pytest.approx(1.0)
    assert HighsLP(m).solve().objective == pytest.approx(1.0)


def test_binary_knapsack() -> None:
    """max 5a + 4b + 3c  s.t.  2a + 3b + c <= 5, binary: {a, b} (weight 5, value 9) beats {a, c} (8), {b, c} (7)."""
    m = pyo.ConcreteModel()
    m.k = pyo.Var(["a", "b", "c"], within=pyo.Binary)
    m.weight = pyo.Constraint(expr=2 * m.k["a"] + 3 * m.k["b"] + m.k["c"] <= 5)
    m.obj = pyo.Objective(expr=5 * m.k["a"] + 4 * m.k["b"] + 3 * m.k["c"], sense=pyo.maximize)
    info = HighsLP(m).solve()
    assert info.status == "optimal" and info.objective == pytest.approx(9.0)
    assert [round(m.k[i].value) for i in "abc"] == [1, 1, 0]


def test_infeasible_and_nonlinear() -> None:
    m = _two_vars()
    m.low = pyo.Constraint(expr=m.x >= 3)  # x <= 2 by its bound
    m.obj = pyo.Objective(expr=m.x)
    assert HighsLP(m).solve().status == "infeasible"
    n = _two_vars()
    n.curve = pyo.Constraint(expr=n.x * n.y <= 1)
    n.obj = pyo.Objective(expr=n.x)
    with pytest.raises(NonLinearError, match="constraint curve is not linear"):
        HighsLP(n)


def test_depot_model_matches_pyomo_highs_interface() -> None:
    """The demo depot's LP through our hand-over and through Pyomo's own HiGHS interface: same optimum."""
    x = build_inputs(load_problem(ROOT / "examples/demo_depot"))
    ours = create_model(x)
    info = HighsLP(ours).solve()
    theirs = create_model(x)
    result = Highs().solve(theirs, load_solutions=True)
    assert info.status == "optimal"
    assert info.objective == pytest.approx(result.incumbent_objective, rel=1e-9, abs=1e-6)
    for name in ("cost_energy", "cost_demand", "cost_penalty"):
        assert linear_value(getattr(ours, name)) == pytest.approx(pyo.value(getattr(theirs, name)), rel=1e-6, abs=1e-4)


def test_time_limit_without_incumbent_reports_no_solution_and_loads_nothing() -> None:
    """A zero time limit stops HiGHS before any solution: status ``noSolution``, values untouched."""
    m = pyo.ConcreteModel()
    m.k = pyo.Var(range(30), within=pyo.Binary)
    m.weight = pyo.Constraint(expr=sum((i % 7 + 2) * m.k[i] for i in range(30)) <= 41)
    m.obj = pyo.Objective(expr=sum((i % 5 + 1) * m.k[i] for i in range(30)), sense=pyo.maximize)
    info = HighsLP(m).solve(time_limit=0.0)
    assert info.status == "noSolution" and info.objective is None and info.gap is None
    assert all(m.k[i].value is None for i in range(30))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(p=random_depots())
def test_random_depots_reach_the_optimum_of_pyomos_interface(p) -> None:
    """Over random small depots (chargers shared, DC, building load), the hand-over's optimum is the optimum
    Pyomo's own HiGHS interface finds for the same model."""
    x = build_inputs(p, W, two_level_tariff(cheap_hours=(1, 5), demand_rate=12.0))
    info = HighsLP(create_model(x)).solve()
    reference = Highs().solve(create_model(x), load_solutions=False)
    assert info.status == "optimal"
    assert info.objective == pytest.approx(reference.incumbent_objective, rel=1e-7, abs=1e-6)
