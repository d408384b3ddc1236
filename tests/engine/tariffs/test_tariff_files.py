"""Tariff files: every shipped file loads; mistakes are reported with file, line, column and field."""

from pathlib import Path

import pandas as pd
import pytest

from engine.errors import InputError
from engine.tariffs import bill, load_tariff

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = ["sce_tou_8_d", "sdge_al_tou", "sce_tou_ev_4", "pge_a10", "pnm_4b", "pge_eeco"]


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_tariffs_load(name: str) -> None:
    t = load_tariff(ROOT / f"tariffs/{name}.yaml")
    assert t.energy and t.demand


def test_acn_sce_tou_ev_4_matches_its_json() -> None:
    t = load_tariff(ROOT / "tariffs/sce_tou_ev_4.yaml")
    # Winter (March) weekday: 0-8 0.06087, 8-12 0.07492, 12-18 0.0869, 18-23 0.07492, 23-24 0.06087; demand 15.51
    idx = pd.date_range("2019-03-05", periods=24, freq="h")  # a Tuesday
    b = bill(pd.Series(1.0, index=idx), t)
    expected = 9 * 0.06087 + 4 * 0.07492 + 6 * 0.0869 + 5 * 0.07492
    assert b.energy_usd == pytest.approx(expected)
    assert b.demand_usd == pytest.approx(15.51)


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "bad.yaml"
    p.write_text(text)
    return p


def test_bad_rate_type_names_line_and_field(tmp_path: Path) -> None:
    p = write(tmp_path, "name: x\nenergy:\n  - name: base\n    rate: cheap\n")
    with pytest.raises(InputError) as info:
        load_tariff(p)
    assert str(info.value).startswith(f"{p}:4:5: energy[0].rate: ")


def test_unknown_key_and_unknown_season(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "name: x\nenergy:\n  - name: base\n    rate: 0.1\n    when:\n      - season: summer\nrebate: 3\n",
    )
    with pytest.raises(InputError) as info:
        load_tariff(p)
    assert f"{p}:7:1: rebate: unknown field" in str(info.value)
    p = write(tmp_path, "name: x\nenergy:\n  - name: base\n    rate: 0.1\n    when:\n      - season: summer\n")
    with pytest.raises(InputError, match="names season 'summer'; known seasons: none"):
        load_tariff(p)


def test_bad_hours_and_yaml_syntax(tmp_path: Path) -> None:
    p = write(tmp_path, "name: x\nenergy:\n  - name: base\n    rate: 0.1\n    when:\n      - hours: [[20, 8]]\n")
    with pytest.raises(InputError, match=r":6:9: energy\[0\]\.when\[0\]\.hours: .*0 <= start < end <= 24"):
        load_tariff(p)
    p = write(tmp_path, "name: x\nenergy: [\n")
    with pytest.raises(InputError, match=r"bad.yaml:3:1: invalid YAML"):
        load_tariff(p)
