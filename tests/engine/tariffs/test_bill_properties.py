"""Invariants of billing (hypothesis) plus small hand-checked cases."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.tariffs import Tariff, bill, load_tariff, price_series

ROOT = Path(__file__).resolve().parents[3]
TARIFFS = [load_tariff(ROOT / f"tariffs/{n}.yaml") for n in ("sce_tou_8_d", "sdge_al_tou", "pge_eeco", "pnm_4b")]

loads = st.lists(st.floats(0, 500, allow_nan=False), min_size=96 * 2, max_size=96 * 2)
tariff_index = st.integers(0, len(TARIFFS) - 1)
start_day = st.dates(min_value=pd.Timestamp("2023-01-01").date(), max_value=pd.Timestamp("2024-12-29").date())


def series(values: list[float], day) -> pd.Series:
    return pd.Series(values, index=pd.date_range(pd.Timestamp(day), periods=len(values), freq="15min"))


@settings(max_examples=40, deadline=None)
@given(values=loads, t=tariff_index, day=start_day)
def test_energy_is_additive_over_disjoint_days(values: list[float], t: int, day) -> None:
    tariff = TARIFFS[t]
    whole = bill(series(values, day), tariff)
    first = bill(series(values[:96], day), tariff)
    second = bill(series(values[96:], pd.Timestamp(day) + pd.Timedelta(days=1)), tariff)
    assert whole.energy_usd == pytest.approx(first.energy_usd + second.energy_usd, rel=1e-9, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(
    values=loads,
    extra=st.lists(st.floats(0, 50, allow_nan=False), min_size=192, max_size=192),
    t=tariff_index,
    day=start_day,
)
def test_bill_is_monotone_in_load(values: list[float], extra: list[float], t: int, day) -> None:
    tariff = TARIFFS[t]
    base = bill(series(values, day), tariff)
    more = bill(series(list(np.add(values, extra)), day), tariff)
    assert more.energy_usd >= base.energy_usd - 1e-9
    assert more.demand_usd >= base.demand_usd - 1e-9
    assert more.total_usd >= base.total_usd - 1e-9


@settings(max_examples=20, deadline=None)
@given(t=tariff_index, day=start_day)
def test_zero_load_costs_only_fixed_charges(t: int, day) -> None:
    tariff = TARIFFS[t]
    b = bill(series([0.0] * 192, day), tariff)
    months = len({pd.Timestamp(day).strftime("%Y-%m"), (pd.Timestamp(day) + pd.Timedelta(hours=47)).strftime("%Y-%m")})
    assert b.energy_usd == 0 and b.demand_usd == 0
    assert b.total_usd == pytest.approx(months * sum(f.amount for f in tariff.fixed))


def tiny() -> Tariff:
    return Tariff.model_validate(
        {
            "name": "tiny",
            "timezone": "America/Los_Angeles",
            "holidays": ["2024-07-04"],
            "energy": [
                {"name": "base", "rate": 0.10},
                {
                    "name": "peak adder",
                    "rate": 0.20,
                    "when": [{"day_types": ["weekday"], "hours": [[16, 21]]}],
                },
            ],
            "demand": [{"name": "facility", "rate": 10.0}],
            "fixed": [{"name": "meter", "amount": 5.0}],
            "demand_interval_minutes": 15,
        }
    )


def test_hand_checked_day_with_holiday_and_demand_averaging() -> None:
    t = tiny()
    # Thursday 2024-07-04 is a holiday: no peak adder. 1-minute load: 60 kW for 5 minutes at 17:00, else 0.
    idx = pd.date_range("2024-07-04", periods=24 * 60, freq="min")
    kw = np.zeros(len(idx))
    kw[17 * 60 : 17 * 60 + 5] = 60.0
    b = bill(pd.Series(kw, index=idx), t)
    assert b.energy_usd == pytest.approx(60 * 5 / 60 * 0.10)  # 5 kWh at the base rate
    assert b.demand_usd == pytest.approx(10.0 * 60 * 5 / 15)  # 15-min average: 20 kW
    assert b.fixed_usd == 5.0
    # the next day (Friday) the same load pays the peak adder
    b2 = bill(pd.Series(kw, index=idx + pd.Timedelta(days=1)), t)
    assert b2.energy_usd == pytest.approx(5 * 0.30)


def test_tz_aware_load_is_billed_on_local_clock_across_dst() -> None:
    t = tiny()
    # 2024-03-10: US spring forward. 92 quarter hours of 4 kW from local midnight, given in UTC.
    local = pd.date_range("2024-03-10", "2024-03-11", freq="15min", inclusive="left", tz="America/Los_Angeles")
    assert len(local) == 92
    b = bill(pd.Series(4.0, index=local.tz_convert("UTC")), t)
    assert b.energy_kwh == pytest.approx(92)
    # Sunday: no adder, so the day costs 92 kWh x 0.10
    assert b.energy_usd == pytest.approx(9.2)


def test_price_series_matches_the_windows() -> None:
    p = price_series(tiny(), pd.Timestamp("2024-07-05 15:00"), pd.Timestamp("2024-07-05 17:00"), pd.Timedelta("30min"))
    assert list(p.round(6)) == [0.10, 0.10, 0.30, 0.30]
    assert str(p.index.tz) == "America/Los_Angeles"


def test_irregular_load_is_refused_with_the_row() -> None:
    idx = pd.DatetimeIndex(["2024-01-01 00:00", "2024-01-01 00:15", "2024-01-01 00:45"])
    with pytest.raises(ValueError, match="row 3"):
        bill(pd.Series([1.0, 1.0, 1.0], index=idx), tiny())
