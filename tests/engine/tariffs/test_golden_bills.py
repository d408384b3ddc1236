"""Golden bills: third-party published numbers (data/golden_bills/golden_bill_cases.json) to the cent."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.tariffs import bill, load_tariff

ROOT = Path(__file__).resolve().parents[3]
CASES = {c["id"]: c for c in json.loads((ROOT / "data/golden_bills/golden_bill_cases.json").read_text())["cases"]}
CENT = 0.005


def ramp_load(case: dict) -> pd.Series:
    """load[i] = i kW for i = 0..95 over the case's 15-minute billing day (naive local time)."""
    start = pd.Timestamp(case["billing_period"]["start"])
    index = pd.date_range(start, periods=96, freq="15min")
    return pd.Series(np.arange(96, dtype=float), index=index)


@pytest.mark.parametrize(
    "case_id",
    [
        "eeco_pge_ramp_summer_weekday",
        "eeco_pge_ramp_summer_weekend",
        "eeco_pge_ramp_winter_weekday",
        "eeco_pge_ramp_winter_weekend",
    ],
)
def test_pge_ramp_cases_energy_and_demand_exact(case_id: str) -> None:
    case = CASES[case_id]
    b = bill(ramp_load(case), load_tariff(ROOT / "tariffs/pge_eeco.yaml"))
    assert b.energy_usd == pytest.approx(case["expected"]["energy_usd"], abs=1e-6)
    assert b.demand_usd == pytest.approx(case["expected"]["demand_usd"], abs=1e-6)


def test_pge_summer_weekday_demand_breakdown() -> None:
    b = bill(ramp_load(CASES["eeco_pge_ramp_summer_weekday"]), load_tariff(ROOT / "tariffs/pge_eeco.yaml"))
    peaks = {line.name: line.quantity for line in b.lines if line.kind == "demand" and line.rate > 1}
    # published: peak 71 kW, half-peak 85 kW (two windows share one max), off-peak 95 kW
    assert peaks == {"demand peak-summer": 71, "demand half-peak-summer": 85, "demand off-peak": 95}


def pnm_load() -> pd.Series:
    df = pd.read_csv(ROOT / "data/golden_bills/eeco_consumption_2023-04-09_1min.csv")
    index = pd.to_datetime(df["Datetime"], format="%m/%d/%y %H:%M")
    return pd.Series(df["Load [kW]"].to_numpy(), index=pd.DatetimeIndex(index))


def test_pnm_4b_baseline_bill() -> None:
    case = CASES["eeco_pnm4b_baseline_bill_2day"]
    b = bill(pnm_load(), load_tariff(ROOT / "tariffs/pnm_4b.yaml"))
    parts = case["expected"]["components_rederived"]
    assert b.total_usd == pytest.approx(case["expected"]["total_usd"], abs=CENT)
    assert b.fixed_usd == pytest.approx(parts["customer_charge_full_month_not_prorated"], abs=CENT)
    assert b.energy_usd == pytest.approx(parts["energy"], abs=1e-4)
    assert b.demand_usd == pytest.approx(parts["demand"], abs=1e-4)


def test_pnm_4b_four_separate_demand_charges() -> None:
    b = bill(pnm_load(), load_tariff(ROOT / "tariffs/pnm_4b.yaml"))
    demand = [line for line in b.lines if line.kind == "demand"]
    assert len(demand) == 4
    assert sorted(round(line.rate, 2) for line in demand) == [19.79, 19.79, 19.79, 28.44]
