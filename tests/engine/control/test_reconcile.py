"""Reconciliation by hand: a clean run shows nothing; seeded drift (meter vs plan, a missing stop, a missing
start, a price the plan did not expect, a meter the SOC change contradicts) is each found once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from engine.control.reconcile import MeteredSession, MeterPoint, PlannedSession, SocChange, metered_cost, reconcile

T0 = datetime(2026, 3, 2, 22, 0, tzinfo=UTC)
H = timedelta(hours=1)


def price(t: datetime) -> float:
    """0.10 $/kWh before midnight, 0.30 after."""
    return 0.10 if t < T0 + 2 * H else 0.30


def planned(charger: str = "c1", vehicle: str = "v1", kwh: float = 22.0) -> PlannedSession:
    # 11 kW for two hours from 22:00, all at 0.10 $/kWh: 22 kWh, $2.20
    return PlannedSession(
        charger_id=charger, vehicle_id=vehicle, plug_in=T0, plug_out=T0 + 3 * H, energy_kwh=kwh, cost_usd=kwh * 0.10
    )


def metered(kwh: float = 22.0, hours_late: float = 0.0, stopped: bool = True, vehicle: str = "v1") -> MeteredSession:
    start = T0 + hours_late * H
    points = [MeterPoint(time=start + k * H, register_kwh=100 + min(k * 11.0, kwh)) for k in range(3)]
    return MeteredSession(
        charger_id="c1",
        vehicle_id=vehicle,
        transaction_id="7",
        started=start,
        stopped=start + 2 * H if stopped else None,
        energy_kwh=kwh,
        meter=points,
    )


NOW = T0 + 4 * H


def test_a_clean_session_shows_no_drift() -> None:
    soc = {"7": SocChange(vehicle_id="v1", battery_kwh=22.0 * 0.92, efficiency=0.92)}
    assert reconcile([planned()], [metered()], soc, price, NOW) == []


def test_meter_below_plan_is_an_energy_drift() -> None:
    (d,) = [d for d in reconcile([planned()], [metered(kwh=15.0)], {}, None, NOW) if d.check == "energy"]
    assert (d.expected, d.actual, d.difference, d.unit) == (22.0, 15.0, -7.0, "kWh")


def test_a_half_kwh_is_within_tolerance() -> None:
    assert reconcile([planned()], [metered(kwh=21.6)], {}, None, NOW) == []


def test_a_session_still_open_past_its_plug_out_is_a_missing_stop() -> None:
    (d,) = reconcile([planned()], [metered(stopped=False)], {}, None, NOW)
    assert d.check == "status" and d.message.startswith("missing stop")
    assert reconcile([planned()], [metered(stopped=False)], {}, None, T0 + 3 * H) == []  # not late yet


def test_a_planned_session_nobody_started_is_a_missing_start_and_an_unplanned_one_is_named() -> None:
    found = reconcile([planned(), planned("c2", "v2")], [metered(vehicle="v9")], {}, None, NOW)
    assert sorted((d.charger_id, d.message.split(":")[0]) for d in found) == [
        ("c1", "missing start"),
        ("c1", "unplanned session"),
        ("c2", "missing start"),
    ]


def test_energy_drawn_after_midnight_costs_more_than_planned() -> None:
    """The same 22 kWh drawn an hour late: 11 kWh at 0.10 and 11 kWh after midnight at 0.30 = $4.40, not $2.20."""
    (d,) = reconcile([planned()], [metered(hours_late=1.0)], {}, price, NOW)
    assert d.check == "cost" and d.actual == pytest.approx(11 * 0.10 + 11 * 0.30) and d.expected == pytest.approx(2.2)


def test_a_soc_change_that_contradicts_the_meter_is_a_telematics_drift() -> None:
    soc = {"7": SocChange(vehicle_id="v1", battery_kwh=12.0, efficiency=0.92)}  # 22 kWh x 0.92 = 20.24 expected
    (d,) = reconcile([planned()], [metered()], soc, None, NOW)
    assert d.check == "telematics" and d.difference == pytest.approx(12.0 - 20.24)


def test_metered_cost_prices_each_interval_at_its_start() -> None:
    points = [MeterPoint(time=T0 + k * H, register_kwh=v) for k, v in enumerate([0.0, 10.0, 15.0, 15.0])]
    assert metered_cost(points, price) == pytest.approx(10 * 0.10 + 5 * 0.10)
