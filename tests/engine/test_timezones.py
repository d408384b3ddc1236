"""Timezone names: known ones pass, anything else is a ValueError naming the value (never OSError)."""

import pytest

from engine.timezones import check_timezone


def test_known_timezone_passes() -> None:
    assert check_timezone("America/Los_Angeles") == "America/Los_Angeles"


@pytest.mark.parametrize("name", ["Mars/Olympus", "../../etc/passwd", "x" * 5000, "Zalgo\u0336" * 300, ""])
def test_unknown_or_hostile_names_are_value_errors(name: str) -> None:
    with pytest.raises(ValueError, match="unknown timezone"):
        check_timezone(name)
