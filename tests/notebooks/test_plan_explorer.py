"""The plan explorer, headless on the demo depot: its numbers are ``engine.decision.decide``'s."""

import pytest

from engine.decision import decide
from engine.io.problem_files import load_problem
from engine.tariffs import load_tariff, resolve_tariff_path
from service.shipped_paths import DEMO
from tests.notebooks.conftest import run_notebook


@pytest.fixture(scope="module")
def explored() -> dict:
    return run_notebook("plan_explorer")


def test_total_cost_equals_engine_decide_on_the_same_input(explored: dict) -> None:
    problem = load_problem(DEMO)
    direct = decide(problem, "optimal", tariff=load_tariff(resolve_tariff_path(problem.tariff, DEMO)))
    shown = explored["decision"]
    assert shown.decision_id == direct.decision_id
    assert shown.cost.bill_usd == pytest.approx(direct.cost.bill_usd, abs=1e-6)
    assert explored["costs"].loc["optimal", "bill_usd"] == pytest.approx(direct.cost.bill_usd, abs=1e-6)


def test_baselines_side_by_side_and_the_optimum_saves_a_third(explored: dict) -> None:
    costs = explored["costs"]
    assert list(costs.index) == ["optimal", "uncontrolled", "edf"]
    money = costs["energy_usd"] + costs["demand_usd"]
    assert money["optimal"] <= 0.65 * money["uncontrolled"]  # the demo claim: at least 35 % less
    assert costs.loc["optimal", "ready"] == costs.loc["optimal", "departures"] == 68
    # every strategy gets the same three figures
    assert {label: sorted(v) for label, v in explored["views"].items()} == {
        s: ["gantt", "load", "soc"] for s in ("optimal", "uncontrolled", "edf")
    }
