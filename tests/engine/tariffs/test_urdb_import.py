"""URDB import: the shipped YAML bills exactly like the URDB JSON it was imported from."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.tariffs import bill, dump_tariff, load_tariff, tariff_from_urdb

ROOT = Path(__file__).resolve().parents[3]
URDB = ROOT / "data/tariffs/urdb"


def sample_year() -> pd.Series:
    """pysam's hourly sample load; hour 0 is Monday 1 January of a non-leap year (2018 is one)."""
    values = pd.read_csv(ROOT / "data/golden_bills/pysam_tests_sample_load.csv", skiprows=1, header=None)[0]
    assert len(values) == 8760
    return pd.Series(values.to_numpy(), index=pd.date_range("2018-01-01", periods=8760, freq="h"))


def assert_same_bill(a, b) -> None:
    assert a.total_usd == pytest.approx(b.total_usd, abs=1e-9)
    assert [(x.name, x.period, x.quantity, x.amount_usd) for x in a.lines] == [
        (x.name, x.period, x.quantity, x.amount_usd) for x in b.lines
    ]


@pytest.mark.parametrize(
    ("yaml_name", "json_name"),
    [
        ("sce_tou_8_d", "SCE_TOU-8_Option-D_Under-2-kV.json"),
        ("sdge_al_tou", "SDGE_AL-TOU_Secondary_Above_500kW.json"),
    ],
)
def test_shipped_yaml_bills_like_its_urdb_json(yaml_name: str, json_name: str) -> None:
    load = sample_year()
    from_yaml = bill(load, load_tariff(ROOT / f"tariffs/{yaml_name}.yaml"))
    from_json = bill(load, load_tariff(URDB / json_name, timezone="America/Los_Angeles"))
    assert_same_bill(from_yaml, from_json)
    assert from_yaml.fixed_usd > 0 and from_yaml.demand_usd > 0 and from_yaml.energy_usd > 0


@pytest.mark.parametrize(
    "json_name", ["pysam_tests_urdbv7.json", "pysam_tests_urdb_rate_539f6a23ec4f024411ec8beb.json"]
)
def test_urdb_yaml_round_trip(tmp_path: Path, json_name: str) -> None:
    tariff = load_tariff(URDB / json_name)
    out = tmp_path / "t.yaml"
    dump_tariff(tariff, out)
    again = load_tariff(out)
    assert again == tariff
    assert_same_bill(bill(sample_year(), again), bill(sample_year(), tariff))


def test_sce_tou8_hand_checked_rates() -> None:
    """Hand check against the URDB record: rate + adj per period, schedules by month and hour."""
    t = load_tariff(ROOT / "tariffs/sce_tou_8_d.yaml")
    # Wednesday 2018-07-11 17:00 (summer weekday on-peak, period 5): 0.15072 + 0.00114
    # Wednesday 2018-01-10 10:00 (winter weekday mid-day, period 0): 0.08859 + 0.00114
    idx = pd.DatetimeIndex(["2018-07-11 17:00", "2018-01-10 10:00"])
    one_kw_hour = bill(pd.Series([1.0], index=idx[:1]), t, step_minutes=60)
    assert one_kw_hour.energy_usd == pytest.approx(0.15186)
    # demand: summer on-peak 29.54 + facility 25.36 on a 1 kW peak
    assert one_kw_hour.demand_usd == pytest.approx(29.54 + 25.36)
    winter = bill(pd.Series([1.0], index=idx[1:]), t, step_minutes=60)
    assert winter.energy_usd == pytest.approx(0.08973)
    assert winter.demand_usd == pytest.approx(25.36)  # 10:00 is outside the 16-21 winter demand window


def test_tiered_urdb_energy_and_demand_hand_checked() -> None:
    """pysam urdbv7: January weekday 10:00 is demand period 1 (8.091 $/kW up to 100 kW, then 4.676)."""
    t = tariff_from_urdb(json.loads((URDB / "pysam_tests_urdbv7.json").read_text()))
    # Tuesday 2018-01-02 at 10:00 is demand period 1 on weekdays in January; a flat 150 kW for one hour
    load = pd.Series([150.0], index=pd.DatetimeIndex(["2018-01-02 10:00"]))
    b = bill(load, t, step_minutes=60)
    tou = [line for line in b.lines if line.name.startswith("tou demand period 1")]
    assert sum(x.amount_usd for x in tou) == pytest.approx(100 * 8.090999603271484 + 50 * 4.676000118255615)
    energy = [line for line in b.lines if line.kind == "energy"]
    assert sum(x.quantity for x in energy) == pytest.approx(150.0)
    assert [round(x.quantity, 6) for x in energy] == [100.0, 50.0]


def test_urdb_unsupported_unit_is_refused_with_key() -> None:
    record = json.loads((URDB / "pysam_tests_urdbv7.json").read_text())
    record["energyratestructure"][0][0]["unit"] = "kWh daily"
    with pytest.raises(ValueError, match=r"energyratestructure\[0\]: unit 'kWh daily' is not supported"):
        tariff_from_urdb(record)


def test_double_encoded_urdb_answer_with_kwh_per_kw_tiers() -> None:
    """Energy tiers in kWh per kW of the month's peak: 300 kWh/kW at 0.049 $/kWh, the rest at 0.033."""
    t = load_tariff(URDB / "pysam_tests_urdb_rate_539f6a23ec4f024411ec8beb.json")
    assert all(c.tier_basis == "kWh/kW" for c in t.energy)
    # 10 kW flat for 40 hours in January: peak 10 kW -> first block 3,000 kWh; 400 kWh all in block 1
    idx = pd.date_range("2018-01-01", periods=40, freq="h")
    small = bill(pd.Series(10.0, index=idx), t)
    energy = [line for line in small.lines if line.kind == "energy"]
    assert sum(x.quantity for x in energy) == pytest.approx(400.0)
    assert all(x.rate in (0.049, 0.042) for x in energy)
    # 10 kW for 400 hours: 4,000 kWh; 3,000 kWh in block 1, 1,000 kWh in block 2
    idx = pd.date_range("2018-01-01", periods=400, freq="h")
    big = bill(pd.Series(10.0, index=idx), t)
    by_rate: dict[float, float] = {}
    for line in big.lines:
        if line.kind == "energy":
            by_rate[line.rate] = by_rate.get(line.rate, 0.0) + line.quantity
    assert sum(by_rate.values()) == pytest.approx(4000.0)
    assert by_rate.get(0.033, 0.0) + by_rate.get(0.029, 0.0) == pytest.approx(1000.0)
    assert np.isfinite(big.total_usd)
