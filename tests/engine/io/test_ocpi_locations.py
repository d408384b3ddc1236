"""An OCPI Location with its tariffs as the planner's public station (fixture: tests/data/ocpi/harbour_hub.json,
ours). Every number below is worked out by hand from the fixture."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from engine.domain import ChargerKind, ChargerStatus, Connector
from engine.io.ocpi_locations import OcpiLocation, public_station
from engine.tariffs.bill import price_series
from engine.tariffs.ocpi import OcpiTariff

FIXTURE = json.loads((Path(__file__).parents[2] / "data" / "ocpi" / "harbour_hub.json").read_text())
LOCATION = OcpiLocation.model_validate(FIXTURE["location"])
TARIFFS = {t["id"]: OcpiTariff.model_validate(t) for t in FIXTURE["tariffs"]}
AMS = ZoneInfo("Europe/Amsterdam")


def test_each_usable_evse_is_a_charger_with_its_rating_connectors_and_status() -> None:
    station = public_station(LOCATION, TARIFFS)
    got = [(c.id, c.kind, round(c.max_kw, 2), c.connectors, c.status) for c in station.chargers]
    assert got == [
        ("ocpi:LOC1:E1", ChargerKind.AC, 22.08, [Connector.TYPE2], ChargerStatus.AVAILABLE),  # 230 V x 32 A x 3
        ("ocpi:LOC1:E2", ChargerKind.AC, 22.08, [Connector.TYPE2], ChargerStatus.OCCUPIED),
        ("ocpi:LOC1:E3", ChargerKind.DC, 150.0, [Connector.CCS2, Connector.CHADEMO], ChargerStatus.AVAILABLE),
    ]
    assert any("E4" in n and "DOMESTIC_F" in n for n in station.notes)  # a plug the planner does not know


def test_the_location_is_a_depot_in_its_time_zone_with_the_share_available() -> None:
    d = public_station(LOCATION, TARIFFS).depot
    assert (d.id, d.timezone, d.tariff) == ("ocpi:LOC1", "Europe/Amsterdam", "ocpi-T-AC")
    assert d.grid_limit_kw == pytest.approx(22.08 * 2 + 150)
    assert d.availability == pytest.approx(2 / 3)


def test_the_price_model_follows_first_match_by_hour_and_day() -> None:
    tariff = public_station(LOCATION, TARIFFS).tariff
    assert tariff is not None
    monday = datetime(2026, 3, 2, tzinfo=AMS)
    week = price_series(tariff, monday, monday + timedelta(days=7), timedelta(hours=1))
    by_hour = {(t.weekday(), t.hour): p for t, p in week.items()}
    assert [by_hour[(0, h)] for h in (6, 7, 22, 23)] == pytest.approx([0.22, 0.30, 0.30, 0.22])
    assert [by_hour[(5, h)] for h in (6, 12, 22)] == pytest.approx([0.22, 0.22, 0.22])  # Saturday
    fees = tariff.public_fees
    assert fees is not None and (fees.session_fee, fees.per_minute) == (0.35, 0.0)
    assert fees.idle_fee_per_min == pytest.approx(0.10)  # 6.00 per hour


def test_what_the_price_model_cannot_follow_is_named() -> None:
    from engine.io.ocpi_locations import planner_tariff

    _tariff, notes = planner_tariff(TARIFFS["T-DC"], "Europe/Amsterdam")
    assert notes == ["element 0: restrictions ['max_power'] ignored (the plan prices by time only)"]
    _tariff, notes = planner_tariff(TARIFFS["T-AC"], "Europe/Amsterdam")
    assert notes == [
        "element 2: PARKING_TIME restricted by ['end_time', 'start_time']: the plan prices it at all hours"
    ]
