"""Vendor payloads -> :class:`TelemetryEvent`. Three shapes, recognised by their keys:

- ``normalised``: our schema (see :mod:`engine.telemetry.events`), as JSON object or CSV row.
- ``webhook`` ("Acme webhook v2", nested JSON): ``{"id", "vehicle": {"id"}, "occurred_at", "kind", "data": {...},
  "schema_version"}`` with ``kind`` one of ``battery``, ``gps``, ``ignition``, ``odometer``, ``charging``,
  ``fault``; battery ``{"level": {"value": 62.5, "unit": "%"}}``, gps ``{"coordinates": {"lat", "lng"},
  "speed": {"value", "unit": "km/h"|"mph"}, "geofence"}``, odometer ``{"reading": {"value", "unit": "km"|"mi"}}``,
  temperatures ``{"ambient": {"value", "unit": "C"|"F"}}``.
- ``csv_export`` ("Fleetbook CSV export", one metric per row): columns ``record_id, unit_id, recorded_at, metric,
  value, unit`` with metric ``soc`` (unit ``%``), ``odometer`` (``mi`` or ``km``), ``ambient_temp`` (``F`` or
  ``C``), ``lat``/``lon`` (``deg``), ``ignition`` (``on``/``off``), ``plug`` (``in``/``out``), ``fault``.

A mapper converts units to canonical ones; a unit it does not know keeps its key with the unit as suffix
(``odometer_furlong``), which the checks quarantine as a unit mismatch instead of guessing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ValidationError

from engine.telemetry.events import TelemetryEvent

KM_PER_MI = 1.609344
WEBHOOK_KINDS = {
    "battery": "soc",
    "gps": "position",
    "ignition": "ignition",
    "odometer": "odometer",
    "charging": "charge_session",
    "fault": "fault",
}
CSV_METRICS = {
    "soc": "soc",
    "odometer": "odometer",
    "lat": "position",
    "lon": "position",
    "ignition": "ignition",
    "plug": "charge_session",
    "fault": "fault",
    "ambient_temp": "ambient",  # a temperature row on its own (it was a position without coordinates)
}
CSV_EXPORT_COLUMNS = {"record_id", "unit_id", "recorded_at", "metric", "value", "unit"}


class MappingError(ValueError):
    """A payload that no mapper can read; ``field`` says where, ``event_id`` when one was found."""

    def __init__(self, message: str, field: str = "", event_id: str | None = None) -> None:
        super().__init__(message)
        self.field, self.event_id = field, event_id


def _distance_km(value: Any, unit: str, name: str) -> tuple[str, float]:
    unit = str(unit).strip().lower()
    if unit in ("km", "kilometers", "kilometres"):
        return f"{name}_km", float(value)
    if unit in ("mi", "mile", "miles"):
        return f"{name}_km", float(value) * KM_PER_MI
    return f"{name}_{unit or 'unitless'}", float(value)


def _temperature_c(value: Any, unit: str) -> tuple[str, float]:
    unit = str(unit).strip().upper().removeprefix("°")
    if unit == "C":
        return "temperature_c", float(value)
    if unit == "F":
        return "temperature_c", (float(value) - 32.0) * 5.0 / 9.0
    return f"temperature_{unit.lower() or 'unitless'}", float(value)


def _speed_kph(value: Any, unit: str) -> tuple[str, float]:
    unit = str(unit).strip().lower()
    if unit in ("km/h", "kph", "kmh"):
        return "speed_kph", float(value)
    if unit == "mph":
        return "speed_kph", float(value) * KM_PER_MI
    return f"speed_{unit.replace('/', '_per_') or 'unitless'}", float(value)


def _soc_pct(value: Any, unit: str) -> tuple[str, float]:
    unit = str(unit).strip().lower()
    if unit in ("%", "pct", "percent"):
        return "soc_pct", float(value)
    return f"soc_{unit or 'unitless'}", float(value)


def _measure(obj: Any, path: str) -> tuple[Any, str]:
    if not isinstance(obj, dict) or "value" not in obj:
        raise MappingError("expected {value, unit}", path)
    return obj["value"], obj.get("unit", "")


def _webhook(p: dict[str, Any]) -> dict[str, Any]:
    kind = p.get("kind")
    if kind not in WEBHOOK_KINDS:
        raise MappingError(f"unknown kind {kind!r}; known: {', '.join(WEBHOOK_KINDS)}", "kind", p.get("id"))
    vehicle = p.get("vehicle")
    if not isinstance(vehicle, dict) or not vehicle.get("id"):
        raise MappingError("vehicle.id is required", "vehicle.id", p.get("id"))
    data = p.get("data") or {}
    if not isinstance(data, dict):
        raise MappingError("data must be an object", "data", p.get("id"))
    values: dict[str, Any] = {}
    if kind == "battery":
        values.update([_soc_pct(*_measure(data.get("level"), "data.level"))])
        if "energy" in data:
            values["energy_kwh"] = float(_measure(data["energy"], "data.energy")[0])
    elif kind == "gps":
        c = data.get("coordinates") or {}
        values["lat"], values["lon"] = c.get("lat"), c.get("lng")
        if "speed" in data:
            values.update([_speed_kph(*_measure(data["speed"], "data.speed"))])
        if data.get("geofence"):
            values["depot_id"] = data["geofence"]
    elif kind == "ignition":
        values["on"] = bool(data.get("on"))
    elif kind == "odometer":
        values.update([_distance_km(*_measure(data.get("reading"), "data.reading"), "odometer")])
    elif kind == "charging":
        values["state"] = data.get("state")
        if data.get("charger"):
            values["charger_id"] = data["charger"]
        if "energy" in data:
            values["energy_kwh"] = float(_measure(data["energy"], "data.energy")[0])
    else:
        values["code"] = data.get("code")
        values["severity"] = data.get("severity", "warning")
        if data.get("charger"):
            values["charger_id"] = data["charger"]
    temps = data.get("temperatures") or {}
    if "ambient" in temps:
        values.update([_temperature_c(*_measure(temps["ambient"], "data.temperatures.ambient"))])
    return {
        "event_id": f"acme:{p.get('id')}",
        "vehicle_id": vehicle["id"],
        "source": "acme-webhook",
        "event_time": p.get("occurred_at"),
        "type": WEBHOOK_KINDS[kind],
        "values": values,
        "payload_version": f"acme-{p.get('schema_version', '2')}",
        "confidence": p.get("confidence"),
    }


def _csv_export(row: dict[str, Any]) -> dict[str, Any]:
    metric = str(row.get("metric", "")).strip().lower()
    if metric not in CSV_METRICS:
        raise MappingError(
            f"unknown metric {metric!r}; known: {', '.join(CSV_METRICS)}", "metric", row.get("record_id")
        )
    raw, unit = row.get("value", ""), row.get("unit", "")
    values: dict[str, Any]
    try:
        if metric == "soc":
            values = dict([_soc_pct(raw, unit)])
        elif metric == "odometer":
            values = dict([_distance_km(raw, unit, "odometer")])
        elif metric in ("lat", "lon"):
            values = {metric: float(raw)}
        elif metric == "ambient_temp":
            values = dict([_temperature_c(raw, unit)])
        elif metric == "ignition":
            values = {"on": str(raw).strip().lower() in ("on", "1", "true")}
        elif metric == "plug":
            values = {"state": "started" if str(raw).strip().lower() in ("in", "plugged") else "stopped"}
        else:
            values = {"code": str(raw)}
    except ValueError:
        raise MappingError(f"value {raw!r} is not a number", "value", row.get("record_id")) from None
    return {
        "event_id": f"fleetbook:{row.get('record_id')}",
        "vehicle_id": row.get("unit_id"),
        "source": "fleetbook-csv",
        "event_time": row.get("recorded_at"),
        "type": CSV_METRICS[metric],
        "values": values,
        "payload_version": "fleetbook-csv-1",
    }


def shape_of(payload: dict[str, Any]) -> str:
    """``normalised``, ``webhook`` or ``csv_export`` by the payload's keys."""
    if "event_id" in payload and "values" in payload:
        return "normalised"
    if "kind" in payload and "vehicle" in payload:
        return "webhook"
    if set(payload) >= CSV_EXPORT_COLUMNS:
        return "csv_export"
    raise MappingError(
        "unrecognised payload: expected our normalised event (event_id, values, ...), an Acme webhook "
        "(id, vehicle, kind, data) or a Fleetbook CSV row (record_id, unit_id, recorded_at, metric, value, unit)",
        "",
        payload.get("event_id") or payload.get("id") or payload.get("record_id"),
    )


def _parse_normalised(payload: dict[str, Any]) -> dict[str, Any]:
    out = dict(payload)
    if isinstance(out.get("values"), str):  # a CSV row carries values as JSON text
        import json

        try:
            out["values"] = json.loads(out["values"])
        except ValueError:
            raise MappingError("values is not a JSON object", "values", out.get("event_id")) from None
    if out.get("confidence") in ("", None):
        out.pop("confidence", None)
    out.pop("received_time", None)
    return out


def normalise(payload: dict[str, Any]) -> TelemetryEvent:
    """The normalised event for any known payload shape; raises MappingError naming the field."""
    if not isinstance(payload, dict):
        raise MappingError("an event must be a JSON object")
    shape = shape_of(payload)
    data = {"normalised": _parse_normalised, "webhook": _webhook, "csv_export": _csv_export}[shape](payload)
    if isinstance(data.get("event_time"), datetime):
        data["event_time"] = data["event_time"].isoformat()
    try:
        return TelemetryEvent.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        raise MappingError(f"{field}: {err['msg']}", field, data.get("event_id")) from None
