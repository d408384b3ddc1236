"""The ``from`` / ``to`` query parameters of the endpoints that read a period (KPIs, the shadow report, a
vehicle's events): times with their offset, ``to`` after ``from``; 422 naming the parameter otherwise."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from litestar.exceptions import ValidationException


def require_offsets(start: datetime | None, end: datetime | None) -> None:
    """Each given time has its UTC offset."""
    for name, value in (("from", start), ("to", end)):
        if value is not None and value.tzinfo is None:
            raise ValidationException(f"{name}: give the time with its offset, e.g. 2026-12-07T00:00:00+00:00")


def period(start: datetime | None, end: datetime | None, default: timedelta) -> tuple[datetime, datetime]:
    """``[start, end)`` with the defaults: ``to`` now, ``from`` ``default`` before ``to``."""
    require_offsets(start, end)
    now = datetime.now(UTC)
    end = end or now
    start = start or end - default
    if end <= start:
        raise ValidationException("to: must be after from")
    return start, end
