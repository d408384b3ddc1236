"""OCPI 2.2.1 session prices against the spec's worked examples (restated in data/ocpi/README.md; the tariffs here
are our own fixtures written from those rules, EUR, time zone Europe/Amsterdam)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from engine.tariffs.ocpi import OcpiTariff, SessionPeriod, session_price

TZ = "Europe/Amsterdam"
MONDAY = datetime(2026, 3, 2, 9, 30, tzinfo=ZoneInfo(TZ))
SATURDAY = datetime(2026, 3, 7, 13, 30, tzinfo=ZoneInfo(TZ))


def tariff(*elements: dict, **extra: object) -> OcpiTariff:
    return OcpiTariff.model_validate({"id": "t", "currency": "EUR", "elements": list(elements), **extra})


def comp(kind: str, price: float, vat: float | None = None, step: int = 1) -> dict:
    return {"type": kind, "price": price, "step_size": step} | ({} if vat is None else {"vat": vat})


def el(*components: dict, **restrictions: object) -> dict:
    return {"price_components": list(components)} | ({"restrictions": restrictions} if restrictions else {})


def charge(start: datetime, minutes: float, kwh: float = 0.0, kw: float = 11.0, amps: float = 16.0) -> SessionPeriod:
    return SessionPeriod(start=start, duration_s=round(minutes * 60), energy_kwh=kwh, power_kw=kw, current_a=amps)


def park(start: datetime, minutes: float) -> SessionPeriod:
    return SessionPeriod(start=start, duration_s=round(minutes * 60), parking=True)


def price(t: OcpiTariff, *periods: SessionPeriod) -> tuple[float, float]:
    p = session_price(t, list(periods), TZ)
    return p.excl_vat, p.incl_vat


ENERGY_025 = el(comp("ENERGY", 0.25, 10))
FLAT_AND_ENERGY = (el(comp("FLAT", 0.50, 20)), ENERGY_025)


def test_1_energy_only() -> None:
    assert price(tariff(ENERGY_025), charge(MONDAY, 120, 20)) == pytest.approx((5.00, 5.50))


def test_2_flat_plus_energy() -> None:
    assert price(tariff(*FLAT_AND_ENERGY), charge(MONDAY, 120, 20)) == pytest.approx((5.50, 6.10))


def test_3_parking_rounded_to_its_step() -> None:
    t = tariff(*FLAT_AND_ENERGY, el(comp("PARKING_TIME", 2.00, 20, 900)))
    p = price(t, charge(MONDAY, 120, 20), park(MONDAY + timedelta(minutes=120), 40))  # 40 min billed as 45
    assert p == pytest.approx((7.00, 7.90))


@pytest.mark.parametrize(("kwh", "expected"), [(50, (10.00, 11.00)), (30, (8.00, 8.85))])
def test_4_max_price(kwh: float, expected: tuple[float, float]) -> None:
    t = tariff(*FLAT_AND_ENERGY, max_price={"excl_vat": 10.00, "incl_vat": 11.00})
    assert price(t, charge(MONDAY, 240, kwh)) == pytest.approx(expected)


@pytest.mark.parametrize(("kwh", "expected"), [(20, (5.00, 5.50)), (1.5, (0.50, 0.55))])
def test_5_min_price(kwh: float, expected: tuple[float, float]) -> None:
    t = tariff(ENERGY_025, min_price={"excl_vat": 0.50, "incl_vat": 0.55})
    assert price(t, charge(MONDAY, 60, kwh)) == pytest.approx(expected)


def test_6_time_only() -> None:
    assert price(tariff(el(comp("TIME", 2.00, 10, 60))), charge(MONDAY, 150)) == pytest.approx((5.00, 5.50))


def test_7_time_and_parking() -> None:
    t = tariff(el(comp("TIME", 3.00, 10, 60), comp("PARKING_TIME", 5.00, 20, 300)))
    p = price(t, charge(MONDAY, 150), park(MONDAY + timedelta(minutes=150), 42))  # parking billed as 45 min
    assert p == pytest.approx((11.25, 12.75))


@pytest.mark.parametrize(("step", "expected"), [(1, 0.029), (25, 0.03125), (500, 0.125)])
def test_8_energy_step_sizes(step: int, expected: float) -> None:
    t = tariff(el(comp("ENERGY", 0.25, step=step)))
    assert price(t, charge(MONDAY, 2, 0.1152))[0] == pytest.approx(expected)  # 115.2 Wh -> 116, 125, 500 Wh


COMPLEX = tariff(
    el(comp("FLAT", 2.50, 15)),
    el(comp("TIME", 1.00, 20, 900), max_current=32),
    el(
        comp("TIME", 2.00, 20, 600),
        min_current=32,
        day_of_week=["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"],
    ),
    el(comp("TIME", 1.25, 20, 600), min_current=32, day_of_week=["SATURDAY", "SUNDAY"]),
    el(
        comp("PARKING_TIME", 5.00, 10, 300),
        start_time="09:00",
        end_time="18:00",
        day_of_week=["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"],
    ),
    el(comp("PARKING_TIME", 6.00, 10, 300), start_time="10:00", end_time="17:00", day_of_week=["SATURDAY"]),
)


def test_complex_tariff_monday() -> None:
    p = price(COMPLEX, charge(MONDAY, 165, amps=16), park(MONDAY + timedelta(minutes=165), 42))
    assert p == pytest.approx((9.00, 10.30))  # 2.50 + 165 min x 1.00 + 45 min x 5.00; charging not rounded


def test_complex_tariff_saturday() -> None:
    p = price(COMPLEX, charge(SATURDAY, 114, amps=43), park(SATURDAY + timedelta(minutes=114), 71))
    assert p == pytest.approx((12.375, 13.975))  # 2.50 + 114 min x 1.25 + 75 min x 6.00


STEPS = tariff(
    el(comp("TIME", 1.20, step=1800), end_time="17:00"),
    el(comp("TIME", 2.40, step=900), start_time="17:00"),
    el(comp("PARKING_TIME", 1.00, step=900), end_time="20:00"),
)


def at(hh: int, mm: int) -> datetime:
    return MONDAY.replace(hour=hh, minute=mm)


def test_step_size_across_elements_charging_then_parking() -> None:
    assert price(STEPS, charge(at(16, 55), 10), park(at(17, 5), 2))[0] == pytest.approx(0.55)


def test_step_size_across_elements_charging_only_rounds_the_total_at_the_last_step() -> None:
    assert price(STEPS, charge(at(16, 35), 35))[0] == pytest.approx(1.30)  # 35 -> 45 min, the extra at 2.40


def test_step_size_across_elements_parking_partly_free() -> None:
    assert price(STEPS, charge(at(19, 40), 12), park(at(19, 52), 20))[0] == pytest.approx(0.73)


def test_power_restrictions_first_match_wins() -> None:
    t = tariff(el(comp("ENERGY", 0.20), max_power=16), el(comp("ENERGY", 0.35), max_power=32), el(comp("ENERGY", 0.50)))
    periods = [
        SessionPeriod(start=MONDAY, duration_s=600, energy_kwh=1.0, power_kw=6),
        SessionPeriod(start=MONDAY + timedelta(minutes=10), duration_s=3000, energy_kwh=40.0, power_kw=48),
        SessionPeriod(start=MONDAY + timedelta(minutes=60), duration_s=450, energy_kwh=0.5, power_kw=4),
    ]
    assert price(t, *periods)[0] == pytest.approx(20.30)


def test_free_first_half_hour_then_by_duration() -> None:
    t = tariff(
        el(comp("ENERGY", 0.00), max_duration=1800),
        el(comp("ENERGY", 0.25), max_duration=3600),
        el(comp("ENERGY", 0.40)),
    )
    p = price(t, charge(MONDAY, 30, 5.0), charge(MONDAY + timedelta(minutes=30), 10, 1.2))
    assert p[0] == pytest.approx(0.30)


def test_cdr_rules_energy_step_rounds_the_total_billed_after_the_switch() -> None:
    t = tariff(el(comp("ENERGY", 0.20, step=500), end_time="17:00"), el(comp("ENERGY", 0.27, step=500)))
    p = price(t, charge(at(16, 0), 60, 4.3), charge(at(17, 0), 20, 1.1))
    assert p[0] == pytest.approx(4.3 * 0.20 + 1.2 * 0.27)  # 5.4 kWh -> 5.5 kWh, 1.2 kWh after 17:00


def test_cdr_rules_time_step_rounds_the_total() -> None:
    t = tariff(el(comp("TIME", 5.00, step=600), end_time="17:00"), el(comp("TIME", 7.00, step=600)))
    assert price(t, charge(at(16, 54), 28))[0] == pytest.approx(6 / 60 * 5 + 24 / 60 * 7)  # 28 -> 30 min


def test_the_spec_cdr_example() -> None:
    """TIME 2.00/h, VAT 10 %, step 300 s; 21:39:09Z to 23:37:32Z (7,103 s) billed as 7,200 s."""
    start = datetime.fromisoformat("2015-06-29T21:39:09+00:00")
    t = tariff(el(comp("TIME", 2.00, 10, 300)))
    assert price(t, SessionPeriod(start=start, duration_s=7103, energy_kwh=15.342, power_kw=7.8)) == pytest.approx(
        (4.00, 4.40)
    )


def test_a_real_feed_with_fields_pricing_does_not_use_parses() -> None:
    t = OcpiTariff.model_validate(
        {
            "country_code": "NL",
            "party_id": "ABC",
            "id": "12",
            "currency": "EUR",
            "last_updated": "2026-01-01T00:00:00Z",
            "elements": [{"price_components": [{"type": "ENERGY", "price": 0.3, "step_size": 1}]}],
        }
    )
    assert price(t, charge(MONDAY, 60, 10))[0] == pytest.approx(3.0)
