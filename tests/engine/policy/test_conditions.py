"""Conditions: parsing and the reference evaluator on hand-checked facts."""

import pytest

from engine.policy.conditions import ConditionError, evaluate, parse_condition

VAN_EARLY = {"vehicle": {"class": "van", "id": "V-01", "soc": 0.4}, "trip": {"departure": "06:15", "priority": 3}}
TRUCK_LATE = {
    "vehicle": {"class": "box_truck", "id": "T-01", "soc": 0.9},
    "trip": {"departure": "08:30", "priority": 5},
}


@pytest.mark.parametrize(
    ("text", "van", "truck"),
    [
        ('trip.departure < "07:00" and vehicle.class == "van"', True, False),
        ("trip.priority >= 4 or vehicle.soc < 0.5", True, True),
        ('vehicle.id in ["V-01", "V-02"]', True, False),
        ('not (vehicle.class == "van")', False, True),
        ("true", True, True),
        ("false", False, False),
        ("charger.kind == 'DC'", False, False),  # fact absent: comparison is false
    ],
)
def test_reference_evaluator(text: str, van: bool, truck: bool) -> None:
    cond = parse_condition(text)
    assert evaluate(cond, VAN_EARLY) is van
    assert evaluate(cond, TRUCK_LATE) is truck


@pytest.mark.parametrize(
    ("text", "message", "offset"),
    [
        ("vehicle.colour == 'red'", "unknown field 'vehicle.colour'", 0),
        ("trip.priority >= 2 >= 1", "chained comparisons", 0),
        ("vehicle.class == __import__('os')", "expected a fact", 17),
        ("trip.priority >= >= 2", "does not parse", 17),
    ],
)
def test_bad_conditions_say_what_and_where(text: str, message: str, offset: int) -> None:
    with pytest.raises(ConditionError, match=message) as info:
        parse_condition(text)
    assert info.value.offset == offset
