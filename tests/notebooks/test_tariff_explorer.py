"""The tariff explorer, headless: its bill of the example load is eeco's published bill."""

import json

import pytest

from tests.notebooks.conftest import run_notebook


def test_example_load_on_pnm_4b_gives_the_published_bill(root_dir) -> None:
    defs = run_notebook("tariff_explorer")
    cases = json.loads((root_dir / "data/golden_bills/golden_bill_cases.json").read_text())["cases"]
    case = next(c for c in cases if c["id"] == "eeco_pnm4b_baseline_bill_2day")
    published = case["expected"]["total_usd"]  # $765.29
    assert defs["result"].total_usd == pytest.approx(published, abs=0.01)
    assert defs["lines"]["amount_usd"].sum() == pytest.approx(defs["result"].total_usd, abs=1e-6)


def test_week_heat_map_covers_seven_days_hour_by_hour() -> None:
    week = run_notebook("tariff_explorer")["week"]
    assert len(week) == 7 * 24
    assert week["day"].nunique() == 7
    # PNM 4B prices: every hour carries a positive energy price and the demand windows are named
    assert (week["price_usd_per_kwh"] > 0).all()
    assert week["demand_windows"].str.len().gt(0).any()
