"""Scenario files: every shipped one loads; mistakes name the file, line and field."""

from pathlib import Path

import pytest

from engine.errors import InputError
from engine.simulate.scenario import load_scenario

SCENARIOS = Path(__file__).resolve().parents[3] / "examples" / "scenarios"


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_scenarios_load(path: Path) -> None:
    assert load_scenario(path).name == path.stem


def test_a_bad_value_names_file_line_and_field(tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text("name: x\ndays: 1\nchargers:\n  session_abort_share: 1.5\n")
    with pytest.raises(InputError) as err:
        load_scenario(f)
    text = str(err.value.problems[0])
    assert f"{f}:4" in text and "chargers.session_abort_share" in text


def test_an_incident_without_its_fields_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text('name: x\nincidents:\n  - {kind: price_spike, day: 0, at: "23:00", hours: 2}\n')
    with pytest.raises(InputError) as err:
        load_scenario(f)
    assert "price_usd_per_kwh" in str(err.value.problems[0])
