"""Telemetry events built in code for hand-checkable tests."""

from datetime import UTC, datetime, timedelta

from engine.telemetry import TelemetryEvent

NOW = datetime(2025, 7, 15, 5, 0, tzinfo=UTC)


def event(typ: str, values: dict, minutes: float = 0, vehicle: str = "V-01", eid: str = "e") -> TelemetryEvent:
    """A ``typ`` event of ``vehicle`` at ``NOW + minutes``."""
    return TelemetryEvent(
        event_id=eid,
        vehicle_id=vehicle,
        source="t",
        event_time=NOW + timedelta(minutes=minutes),
        type=typ,
        values=values,
        payload_version="1",
    )
