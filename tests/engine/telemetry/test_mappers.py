"""Vendor payloads to the normalised event, units converted by hand-checkable factors."""

import pytest

from engine.telemetry import MappingError, normalise
from engine.telemetry.mappers import shape_of

T = "2025-07-14T22:00:00-07:00"


def test_normalised_passes_through() -> None:
    e = normalise(
        {
            "event_id": "e1",
            "vehicle_id": "V-01",
            "source": "s",
            "event_time": T,
            "type": "soc",
            "values": {"soc_pct": 62.5},
            "payload_version": "1",
            "confidence": 0.9,
        }
    )
    assert (e.event_id, e.type, e.values, e.confidence) == ("e1", "soc", {"soc_pct": 62.5}, 0.9)
    assert e.event_time.utcoffset().total_seconds() == -7 * 3600


def test_webhook_nested_with_miles_and_fahrenheit() -> None:
    odo = normalise(
        {
            "id": "9",
            "vehicle": {"id": "V-02"},
            "occurred_at": T,
            "kind": "odometer",
            "schema_version": "2",
            "data": {"reading": {"value": 100, "unit": "mi"}, "temperatures": {"ambient": {"value": 50, "unit": "F"}}},
        }
    )
    assert odo.event_id == "acme:9" and odo.type == "odometer" and odo.source == "acme-webhook"
    assert odo.values["odometer_km"] == pytest.approx(160.9344)  # 100 mi x 1.609344
    assert odo.values["temperature_c"] == pytest.approx(10.0)  # (50 - 32) x 5/9
    gps = normalise(
        {
            "id": "10",
            "vehicle": {"id": "V-02"},
            "occurred_at": T,
            "kind": "gps",
            "data": {
                "coordinates": {"lat": 34.0, "lng": -118.2},
                "speed": {"value": 30, "unit": "mph"},
                "geofence": "lax-1",
            },
        }
    )
    assert gps.values == {"lat": 34.0, "lon": -118.2, "speed_kph": pytest.approx(48.28032), "depot_id": "lax-1"}


def test_csv_export_rows() -> None:
    row = {"record_id": "r7", "unit_id": "V-03", "recorded_at": T, "metric": "odometer", "value": "12.5", "unit": "mi"}
    assert normalise(row).values == {"odometer_km": pytest.approx(20.1168)}
    plug = normalise({**row, "metric": "plug", "value": "in", "unit": ""})
    assert plug.type == "charge_session" and plug.values == {"state": "started"}
    assert normalise({**row, "metric": "soc", "value": "55", "unit": "%"}).values == {"soc_pct": 55.0}


def test_unknown_units_are_kept_visible_not_guessed() -> None:
    row = {
        "record_id": "r8",
        "unit_id": "V-03",
        "recorded_at": T,
        "metric": "odometer",
        "value": "3",
        "unit": "furlong",
    }
    assert normalise(row).values == {"odometer_furlong": 3.0}


def test_errors_name_the_field() -> None:
    with pytest.raises(MappingError, match="unrecognised payload"):
        shape_of({"foo": 1})
    with pytest.raises(MappingError, match="event_time") as exc:
        normalise(
            {
                "event_id": "e",
                "vehicle_id": "v",
                "source": "s",
                "event_time": "2025-07-14T22:00:00",
                "type": "soc",
                "values": {},
                "payload_version": "1",
            }
        )
    assert exc.value.event_id == "e"
    with pytest.raises(MappingError, match="unknown kind"):
        normalise({"id": "1", "vehicle": {"id": "v"}, "occurred_at": T, "kind": "weather", "data": {}})
    with pytest.raises(MappingError, match="not a number"):
        normalise({"record_id": "r", "unit_id": "v", "recorded_at": T, "metric": "soc", "value": "lots", "unit": "%"})


def test_a_lone_ambient_temperature_row_is_an_ambient_reading_that_passes_the_checks() -> None:
    """Issue 18: a Fleetbook ``ambient_temp`` row became a position without coordinates and was always quarantined
    as ``values.lat: required``. 50 F is (50 - 32) x 5 / 9 = 10 degC."""
    from engine.telemetry.checks import CheckContext, check_event

    row = {"record_id": "r9", "unit_id": "V-03", "recorded_at": T, "metric": "ambient_temp", "value": "50", "unit": "F"}
    e = normalise(row)
    assert (e.type, e.values) == ("ambient", {"temperature_c": pytest.approx(10.0)})
    assert check_event(e, CheckContext(received=e.event_time, known_vehicles={"V-03"})).ok
