"""Telematics: the normalised event, vendor mappers, plausibility checks (quarantine) and derived vehicle state.

Pure functions: the service stores events and calls these; the CLI and MQTT ingest feed the same pipeline."""

from engine.telemetry.checks import CheckContext, Verdict, check_event
from engine.telemetry.events import EVENT_TYPES, TelemetryEvent
from engine.telemetry.mappers import MappingError, normalise
from engine.telemetry.state import VehicleTelemetry, fold_events

__all__ = [
    "EVENT_TYPES",
    "CheckContext",
    "MappingError",
    "TelemetryEvent",
    "VehicleTelemetry",
    "Verdict",
    "check_event",
    "fold_events",
    "normalise",
]
