"""The tariff explorer, headless: its bill of the example load is eeco's published bill."""

import json
from datetime import date

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


class Upload:
    """What ``mo.ui.file`` holds after an upload: ``name()`` and ``contents()`` of the first file."""

    def __init__(self, path) -> None:
        self.path = path
        self.value = [path.name]  # non-empty: a file was uploaded

    def name(self) -> str:
        return self.path.name

    def contents(self) -> bytes:
        return self.path.read_bytes()


def test_uploaded_urdb_json_and_load_csv_bill_like_the_engine(root_dir, tmp_path) -> None:
    from engine.io.load_csv import read_load_csv
    from engine.tariffs import bill, load_tariff
    from tests.notebooks.conftest import widget

    urdb = root_dir / "data/tariffs/urdb/SCE_TOU-8_Option-D_Under-2-kV.json"
    load_csv = tmp_path / "depot_day.csv"
    rows = [f"2025-07-14T{h:02d}:00:00-07:00,{50 + 10 * (h % 6)}" for h in range(24)]
    load_csv.write_text("start,kw\n" + "\n".join(rows) + "\n")
    defs = run_notebook(
        "tariff_explorer",
        tariff_name=widget("(uploaded file)"),
        tariff_upload=Upload(urdb),
        week_start=widget(date(2025, 7, 14)),
        load_name=widget("(uploaded file)"),
        load_upload=Upload(load_csv),
    )
    tariff = load_tariff(urdb)
    expected = bill(read_load_csv(load_csv, tariff.timezone), tariff)
    assert defs["tariff"] == tariff
    assert defs["result"].total_usd == pytest.approx(expected.total_usd, abs=1e-9) and expected.total_usd > 0
    # TOU-8 Option D in summer: the on-peak demand window is 16:00-21:00 on weekdays, 5 h x 5 days of this week
    week = defs["week"]
    peak = week[week["demand_windows"].str.contains("tou demand")]
    assert len(peak) == 25 and set(peak["hour"]) == {16, 17, 18, 19, 20}
    assert set(peak["day"].str[:3]) == {"Mon", "Tue", "Wed", "Thu", "Fri"}
