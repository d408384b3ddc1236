"""Timezone names: known ones pass, anything else is a ValueError naming the value (never OSError)."""

import pytest

from engine.timezones import check_timezone


def test_known_timezone_passes() -> None:
    assert check_timezone("America/Los_Angeles") == "America/Los_Angeles"


@pytest.mark.parametrize("name", ["Mars/Olympus", "../../etc/passwd", "x" * 5000, "Zalgo\u0336" * 300, ""])
def test_unknown_or_hostile_names_are_value_errors(name: str) -> None:
    with pytest.raises(ValueError, match="unknown timezone"):
        check_timezone(name)


def test_as_utc_takes_a_naive_time_as_utc_and_converts_an_aware_one() -> None:
    from datetime import UTC, datetime, timedelta, timezone

    from engine.timezones import as_utc

    assert as_utc(datetime(2026, 1, 1, 12, 0)) == datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    pacific = datetime(2026, 1, 1, 4, 0, tzinfo=timezone(timedelta(hours=-8)))
    assert as_utc(pacific).hour == 12 and as_utc(pacific).tzinfo == UTC
