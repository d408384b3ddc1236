"""Public network prices in the shape of OCPI 2.2.1 ``tariffs``, and the price of a session under one.

The rules (OCPI 2.2.1 ``mod_tariffs`` and the step-size section of ``mod_cdrs``, restated in
``data/ocpi/README.md``):

- a tariff is a list of elements, each with price components and optional restrictions (all must hold);
- **first match wins, per dimension**: at every moment of the session, for each dimension (``ENERGY`` per kWh,
  ``TIME`` per hour charging, ``PARKING_TIME`` per hour connected but not charging) the component in force is the
  first element's, in list order, that has one of that dimension and whose restrictions hold then; no such element:
  that dimension is free then. ``FLAT`` is charged once, from the first matching element at the session's start;
- restrictions are evaluated continuously: local time of day (``end_time`` before ``start_time`` wraps past
  midnight), dates (start inclusive, end exclusive), energy so far, current and power (min inclusive, max
  exclusive), time since the session started, day of the week;
- **step size**: the billed amount is the consumed amount rounded up to a multiple of the step size of the last
  component used, once per session: for ``ENERGY`` [Wh] on its total; for time [s] on the parking total when
  priced parking follows the charging (charging time is then not rounded), else on the charging total. The
  extra is billed at the last component's price;
- ``min_price`` / ``max_price`` bound the total, excluding and including VAT each; VAT is per component
  (``vat`` absent: no VAT applies).

:func:`session_price` evaluates the session second by second (energy spread evenly over each period), so a
restriction that changes mid-period is honoured. Money is not rounded: OCPI leaves that to contracts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

Dimension = Literal["ENERGY", "FLAT", "PARKING_TIME", "TIME"]
DayOfWeek = Literal["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]
DAYS: tuple[DayOfWeek, ...] = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")


class OcpiObject(BaseModel):
    """OCPI objects carry more fields than pricing needs (ids, party, last_updated): those are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class PriceComponent(OcpiObject):
    type: Dimension
    price: float = Field(ge=0, description="Per kWh (ENERGY), per hour (TIME, PARKING_TIME) or per session (FLAT).")
    vat: float | None = Field(None, ge=0, description="VAT [%]; absent: no VAT applies (not the same as 0 %).")
    step_size: int = Field(1, ge=1, description="Billing step: Wh (ENERGY) or s (TIME, PARKING_TIME).")


class TariffRestrictions(OcpiObject):
    start_time: str | None = Field(None, pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="Local HH:MM.")
    end_time: str | None = Field(
        None, pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="Local HH:MM; 00:00 ends the day."
    )
    start_date: date | None = None
    end_date: date | None = None
    min_kwh: float | None = Field(None, ge=0)
    max_kwh: float | None = Field(None, ge=0)
    min_current: float | None = Field(None, ge=0, description="[A], summed over phases.")
    max_current: float | None = Field(None, ge=0)
    min_power: float | None = Field(None, ge=0, description="[kW].")
    max_power: float | None = Field(None, ge=0)
    min_duration: int | None = Field(None, ge=0, description="[s] since the session started.")
    max_duration: int | None = Field(None, ge=0)
    day_of_week: list[DayOfWeek] | None = None


class TariffElement(OcpiObject):
    price_components: list[PriceComponent] = Field(min_length=1)
    restrictions: TariffRestrictions | None = None


class Price(OcpiObject):
    excl_vat: float = Field(ge=0)
    incl_vat: float | None = Field(None, ge=0)


class OcpiTariff(OcpiObject):
    """An OCPI 2.2.1 Tariff object (the fields pricing uses)."""

    id: str = ""
    currency: str = Field(min_length=3, max_length=3)
    elements: list[TariffElement] = Field(min_length=1)
    min_price: Price | None = None
    max_price: Price | None = None


class SessionPeriod(BaseModel):
    """A stretch of a session with steady values: charging (energy flows) or parking (connected, idle)."""

    model_config = ConfigDict(frozen=True)

    start: AwareDatetime
    duration_s: int = Field(gt=0)
    energy_kwh: float = Field(0.0, ge=0, description="Energy in the period [kWh] (spread evenly over it).")
    power_kw: float = Field(0.0, ge=0)
    current_a: float = Field(0.0, ge=0, description="Summed over phases [A].")
    parking: bool = False


@dataclass
class PriceLine:
    """What one component bills: ``quantity`` in kWh, hours or sessions."""

    dimension: Dimension
    element: int
    price: float
    vat: float | None
    quantity: float = 0.0

    @property
    def excl_vat(self) -> float:
        return self.quantity * self.price

    @property
    def incl_vat(self) -> float:
        return self.excl_vat * (1 + (self.vat or 0.0) / 100)


@dataclass
class SessionPrice:
    """The session's price, excluding and including VAT, and its lines (min/max price applied to the totals)."""

    excl_vat: float
    incl_vat: float
    lines: list[PriceLine] = field(default_factory=list)


@dataclass
class Moment:
    local: datetime
    since_start_s: float
    kwh_so_far: float
    power_kw: float
    current_a: float


def holds(r: TariffRestrictions | None, m: Moment) -> bool:
    """Whether every restriction of ``r`` holds at ``m``."""
    if r is None:
        return True
    clock = m.local.time()
    if r.start_time is not None or r.end_time is not None:
        start = _hhmm(r.start_time or "00:00")
        end = _hhmm(r.end_time) if r.end_time is not None else None
        if end is None or end == time(0, 0):
            inside = clock >= start
        elif end > start:
            inside = start <= clock < end
        else:  # wraps past midnight
            inside = clock >= start or clock < end
        if not inside:
            return False
    day = m.local.date()
    checks = [
        r.start_date is None or day >= r.start_date,
        r.end_date is None or day < r.end_date,
        r.min_kwh is None or m.kwh_so_far >= r.min_kwh,
        r.max_kwh is None or m.kwh_so_far < r.max_kwh,
        r.min_current is None or m.current_a >= r.min_current,
        r.max_current is None or m.current_a < r.max_current,
        r.min_power is None or m.power_kw >= r.min_power,
        r.max_power is None or m.power_kw < r.max_power,
        r.min_duration is None or m.since_start_s >= r.min_duration,
        r.max_duration is None or m.since_start_s < r.max_duration,
        r.day_of_week is None or DAYS[m.local.weekday()] in r.day_of_week,
    ]
    return all(checks)


def _hhmm(text: str) -> time:
    h, m = text.split(":")
    return time(int(h), int(m))


def _first(tariff: OcpiTariff, dimension: Dimension, m: Moment) -> tuple[int, PriceComponent] | None:
    for i, element in enumerate(tariff.elements):
        component = next((c for c in element.price_components if c.type == dimension), None)
        if component is not None and holds(element.restrictions, m):
            return i, component
    return None


def session_price(tariff: OcpiTariff, periods: list[SessionPeriod], timezone: str) -> SessionPrice:
    """The price of a session (module doc); ``timezone``: the Location's ``time_zone``."""
    tz = ZoneInfo(timezone)
    periods = sorted(periods, key=lambda p: p.start)
    if not periods:
        return SessionPrice(0.0, 0.0)
    t0 = periods[0].start
    lines: dict[tuple[Dimension, int], PriceLine] = {}
    last: dict[str, PriceLine] = {}  # "ENERGY", "TIME", "PARKING_TIME": the last line used

    def add(dimension: Dimension, found: tuple[int, PriceComponent] | None, quantity: float) -> None:
        if found is None or quantity <= 0:
            return
        i, c = found
        line = lines.setdefault((dimension, i), PriceLine(dimension, i, c.price, c.vat))
        line.quantity += quantity
        last[dimension] = line

    kwh = 0.0
    first_moment = Moment(t0.astimezone(tz), 0.0, 0.0, periods[0].power_kw, periods[0].current_a)
    add("FLAT", _first(tariff, "FLAT", first_moment), 1.0)
    steps: dict[str, int] = {}
    seconds = {"TIME": 0.0, "PARKING_TIME": 0.0}
    for p in periods:
        per_s = p.energy_kwh / p.duration_s
        for k in range(p.duration_s):
            at = p.start + timedelta(seconds=k)
            m = Moment(at.astimezone(tz), (at - t0).total_seconds(), kwh, p.power_kw, p.current_a)
            dim: Dimension = "PARKING_TIME" if p.parking else "TIME"
            found = _first(tariff, dim, m)
            if found is not None:
                add(dim, found, 1 / 3600)
                seconds[dim] += 1
                steps[dim] = found[1].step_size
            if per_s > 0:
                found = _first(tariff, "ENERGY", m)
                add("ENERGY", found, per_s)
                if found is not None:
                    steps["ENERGY"] = found[1].step_size
            kwh += per_s
    if "ENERGY" in last:  # round the energy total up to the last component's step [Wh]
        wh = sum(line.quantity for (d, _i), line in lines.items() if d == "ENERGY") * 1000
        last["ENERGY"].quantity += (_round_up(wh, steps["ENERGY"]) - wh) / 1000
    timed = "PARKING_TIME" if seconds["PARKING_TIME"] > 0 else "TIME"  # charging followed by parking: not rounded
    if timed in last:
        s = seconds[timed]
        last[timed].quantity += (_round_up(s, steps[timed]) - s) / 3600
    excl = sum(line.excl_vat for line in lines.values())
    incl = sum(line.incl_vat for line in lines.values())
    if tariff.min_price is not None:
        excl = max(excl, tariff.min_price.excl_vat)
        incl = max(incl, tariff.min_price.incl_vat if tariff.min_price.incl_vat is not None else incl)
    if tariff.max_price is not None:
        excl = min(excl, tariff.max_price.excl_vat)
        incl = min(incl, tariff.max_price.incl_vat if tariff.max_price.incl_vat is not None else incl)
    ordered = sorted(lines.values(), key=lambda line: (line.dimension, line.element))
    return SessionPrice(excl, incl, ordered)


def _round_up(amount: float, step: int) -> float:
    """``amount`` rounded up to a multiple of ``step`` (a float's last bits do not add a step)."""
    return math.ceil(round(amount, 6) / step) * step
