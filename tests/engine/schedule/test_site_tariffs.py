"""Per-site tariffs (issue 17.2): each depot billed at its own tariff, never silently at the problem's."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.decision import decide
from engine.tariffs import load_tariff
from tests.engine.decision.test_depots import W, depot, together
from tests.engine.schedule.factory import two_level_tariff

ROOT = Path(__file__).resolve().parents[3]
FLAT_10 = two_level_tariff(cheap_hours=(0, 24), cheap=0.10)  # $0.10/kWh all day
FLAT_25 = two_level_tariff(cheap_hours=(0, 24), cheap=0.25)


def test_two_sites_are_each_billed_at_their_own_tariff() -> None:
    """20 kWh charged at site a at $0.10 = $2.00; 30 kWh at site b at $0.25 = $7.50 (no building load)."""
    p = together(depot("a", [20.0]), depot("b", [30.0]))
    d = decide(p, weights=W, tariff={"a": FLAT_10, "b": FLAT_25})
    assert d.trace.bills["a"].energy_usd == pytest.approx(2.00, abs=1e-6)
    assert d.trace.bills["b"].energy_usd == pytest.approx(7.50, abs=1e-6)
    assert d.cost.energy_usd == pytest.approx(9.50, abs=1e-6)


def test_a_depot_naming_its_own_tariff_is_billed_at_it() -> None:
    """Site b names the shipped PG&E A-10 while the problem's tariff is one Tariff for the rest."""
    p = together(depot("a", [20.0]), depot("b", [30.0]))
    p = p.model_copy(update={"depots": [p.depots[0], p.depots[1].model_copy(update={"tariff": "pge_a10"})]})
    d = decide(p, weights=W, tariff=FLAT_10)
    assert d.trace.bills["a"].energy_usd == pytest.approx(2.00, abs=1e-6)
    a10 = load_tariff(ROOT / "tariffs/pge_a10.yaml")
    import pandas as pd

    from engine.tariffs import bill

    load = pd.Series(d.plan.depot_load_kw["b"], index=pd.DatetimeIndex(d.plan.slot_starts))
    assert d.trace.bills["b"].energy_usd == pytest.approx(bill(load, a10, step_minutes=15).energy_usd, abs=1e-9)
    assert d.trace.bills["b"].energy_usd != pytest.approx(30.0 * 0.10, abs=0.05)  # not the problem's tariff
