"""Domain model: units validated, errors name the field path and the bad value."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from engine.domain import PlanningProblem, TimeSeries, Vehicle
from engine.errors import from_validation_error
from engine.io.problem_files import load_problem

ROOT = Path(__file__).resolve().parents[2]


def demo_dict() -> dict:
    return load_problem(ROOT / "examples/demo_depot").model_dump(mode="json", by_alias=True)


def test_negative_battery_names_path_and_value() -> None:
    data = demo_dict()
    data["vehicles"][3]["battery_kwh"] = -5
    with pytest.raises(ValidationError) as info:
        PlanningProblem.model_validate(data)
    assert str(from_validation_error(info.value)) == "vehicles[3].battery_kwh: must be > 0, got -5"


def test_naive_datetime_is_refused() -> None:
    data = demo_dict()
    data["now"] = "2025-07-14T15:00:00"
    with pytest.raises(ValidationError) as info:
        PlanningProblem.model_validate(data)
    assert "now: " in str(from_validation_error(info.value))


def test_cross_references_are_checked() -> None:
    data = demo_dict()
    data["chargers"][2]["depot_id"] = "nowhere"
    data["states"][0]["vehicle_id"] = "ghost"
    with pytest.raises(ValidationError) as info:
        PlanningProblem.model_validate(data)
    text = str(from_validation_error(info.value))
    assert "chargers[2].depot_id: unknown depot 'nowhere'" in text
    assert "states[0].vehicle_id: unknown vehicle 'ghost'" in text


def test_trip_return_before_departure() -> None:
    data = demo_dict()
    data["trips"][0]["return"] = data["trips"][0]["departure"]
    with pytest.raises(ValidationError, match="must be after departure"):
        PlanningProblem.model_validate(data)


def test_charge_curve_must_increase() -> None:
    with pytest.raises(ValidationError, match="strictly increasing soc"):
        Vehicle(
            id="v",
            vehicle_class="van",
            depot_id="d",
            battery_kwh=80,
            max_ac_kw=11,
            connectors=["J1772"],
            charge_curve=[{"soc": 0.5, "max_kw": 50}, {"soc": 0.2, "max_kw": 40}],
        )


def test_time_series_lookup() -> None:
    ts = TimeSeries(start=datetime(2025, 1, 1, tzinfo=UTC), step_minutes=15, values_kw=[1, 2, 3])
    assert ts.at(datetime(2025, 1, 1, 0, 20, tzinfo=UTC)) == 2
    assert ts.at(datetime(2025, 1, 2, tzinfo=UTC)) == 3
    assert ts.at(datetime(2024, 12, 31, tzinfo=UTC)) == 0
