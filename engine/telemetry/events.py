"""The normalised telemetry event: exactly the keys ``event_id``, ``vehicle_id``, ``source``, ``event_time``,
``type``, ``values``, ``payload_version`` and optional ``confidence``; the store adds ``received_time``.

Values per type, in canonical units (a key in other units is a unit mismatch, see :mod:`engine.telemetry.checks`):

| type | values |
| --- | --- |
| ``soc`` | ``soc_pct`` [0-100], optional ``energy_kwh`` [kWh] |
| ``position`` | ``lat``, ``lon`` [deg], optional ``speed_kph`` [km/h], ``depot_id`` (the geofence the vehicle is in) |
| ``ignition`` | ``on`` [bool] |
| ``odometer`` | ``odometer_km`` [km] |
| ``charge_session`` | ``state`` (``started`` / ``charging`` / ``stopped``), optional ``charger_id``, ``energy_kwh`` [kWh] delivered in the session so far; from a charger's own meter (OCPP) also ``transaction_id``, ``meter_kwh`` [kWh] (its register), ``power_kw`` [kW] |
| ``fault`` | ``code``, optional ``severity`` (``info`` / ``warning`` / ``critical``), ``charger_id`` |
| ``ambient`` | ``temperature_c`` [degC]: a reading of the air around the vehicle on its own |

Optional ``temperature_c`` [degC] may ride on any event.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from engine.text import check_strings

EVENT_TYPES = ("position", "soc", "ignition", "odometer", "charge_session", "fault", "ambient")
EventType = Literal["position", "soc", "ignition", "odometer", "charge_session", "fault", "ambient"]
Scalar = float | int | bool | str | None


class TelemetryEvent(BaseModel):
    """One telematics fact about one vehicle at one time."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: object) -> object:
        return check_strings(value)

    event_id: str = Field(min_length=1, max_length=200, description="Idempotency key: the same id is one event.")
    vehicle_id: str = Field(min_length=1, max_length=100)
    source: str = Field(min_length=1, max_length=100, description="Who sent it, e.g. 'acme-webhook', 'mqtt'.")
    event_time: AwareDatetime = Field(description="When it happened (ISO 8601 with offset).")
    type: EventType
    values: dict[str, Scalar] = Field(description="Measurements in canonical units, e.g. {'soc_pct': 62.5}.")
    payload_version: str = Field(min_length=1, max_length=40)
    confidence: float | None = Field(None, ge=0, le=1, description="Sender's confidence in the values [0-1].")

    def value(self, key: str) -> Any:
        """A value or None."""
        return self.values.get(key)
