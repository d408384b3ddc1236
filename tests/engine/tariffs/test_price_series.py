"""Prices as time series (issue 17.2): a day-ahead price per interval, from a CSV, in the tariff's currency."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from engine.decision import decide
from engine.errors import InputError
from engine.schedule import ObjectiveWeights
from engine.tariffs import load_tariff
from tests.engine.schedule.factory import NOW, problem, trip, vehicle

W = ObjectiveWeights(target_reserve=0.0, wear_usd_per_kwh=0.0, dc_wear_extra_usd_per_kwh=0.0)


def market_tariff(tmp_path: Path, cheap_hour: int = 3) -> Path:
    """Eight hourly prices from NOW at 100 EUR/MWh, one hour at 20 EUR/MWh."""
    rows = ["start,price"] + [
        f"{(NOW + timedelta(hours=h)).isoformat()},{20.0 if h == cheap_hour else 100.0}" for h in range(8)
    ]
    (tmp_path / "day_ahead.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "market.yaml").write_text(
        "name: market\ncurrency: EUR\ntimezone: America/Los_Angeles\n"
        "price_series: {file: day_ahead.csv, unit: MWh, name: day-ahead}\n"
    )
    return tmp_path / "market.yaml"


def test_the_one_cheap_hour_is_chosen(tmp_path: Path) -> None:
    """10 kWh on a 10 kW charger fit in one hour: all of it at 03:00-04:00, 10 kWh x 0.020 EUR/kWh = 0.20 EUR."""
    tariff = load_tariff(market_tariff(tmp_path))
    p = problem([vehicle(1, battery=60, ac=10.0)], [trip(1, 7.5, 10.0)], [0.0])
    d = decide(p, weights=W, tariff=tariff)
    kw = d.plan.vehicles[0].power_kw
    assert kw[12:16] == pytest.approx([10.0] * 4) and sum(kw) == pytest.approx(40.0)  # slots 12-15: 03:00-04:00
    assert d.cost.energy_usd == pytest.approx(0.20, abs=1e-9)


def test_a_bad_price_line_names_the_file_and_line(tmp_path: Path) -> None:
    path = market_tariff(tmp_path)
    csv = tmp_path / "day_ahead.csv"
    lines = csv.read_text().splitlines()
    lines[3] = lines[3].split(",")[0] + ",cheap"
    csv.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as err:
        load_tariff(path)
    assert str(err.value.problems[0]).startswith(f"{csv}:4:")
    assert "price" in str(err.value.problems[0])


def test_a_horizon_beyond_the_series_is_a_clear_error(tmp_path: Path) -> None:
    tariff = load_tariff(market_tariff(tmp_path))
    p = problem([vehicle(1)], [trip(1, 7.5, 10.0)], [0.0], horizon_h=10.0)
    with pytest.raises(InputError, match="price series 'day-ahead' covers"):
        decide(p, weights=W, tariff=tariff)


def test_the_currency_reaches_the_decision(tmp_path: Path) -> None:
    tariff = load_tariff(market_tariff(tmp_path))
    d = decide(problem([vehicle(1)], [trip(1, 7.5, 10.0)], [0.0]), weights=W, tariff=tariff)
    assert d.cost.currency == "EUR"
