"""The tariff model: time-of-use energy charges, demand charges, fixed charges and public-station fees.

A tariff is a list of named charges, each active inside one or more *windows* (months or a season, day types,
half-open local clock-hour ranges). Semantics, which the golden bills pin down:

- Hours are half-open ``[start, end)`` in local wall-clock hours of the tariff's timezone; fractions allowed
  (8.5 = 08:30). Day types are ``weekday`` (Mon-Fri), ``weekend`` (Sat, Sun) and ``holiday`` (dates listed in
  ``holidays``; a holiday is only a holiday, not also a weekday).
- Energy: every energy charge whose window contains an interval adds ``rate`` [$/kWh] x energy [kWh]. Tiers
  split the billing month's cumulative energy inside that charge's windows (``up_to`` [kWh/month]).
- Demand: each named demand charge is ``rate`` [$/kW] x the maximum load [kW] over the intervals inside *any*
  of its windows in the billing month; windows of one charge share one maximum. Tiers split that maximum
  (``up_to`` [kW]). A charge over all hours is a facility (non-coincident) demand charge.
- Market price (``price_series``): a price per interval from a list of interval starts (any interval length, e.g.
  a day-ahead market's hourly or 15-minute prices, per kWh or per MWh); each load interval pays the price in
  force at its start, on top of the TOU energy charges. The series must cover every interval billed.
- Fixed charges are charged once per billing month (or day) that the load touches, never prorated.
- The billing period is the calendar month in local time.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from engine.timezones import check_timezone

DayType = Literal["weekday", "weekend", "holiday"]
ALL_DAY_TYPES: tuple[DayType, ...] = ("weekday", "weekend", "holiday")
ALL_MONTHS: tuple[int, ...] = tuple(range(1, 13))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Window(_Strict):
    """When a charge applies: months (or a season), day types and half-open local hour ranges."""

    months: list[int] | None = Field(None, description="Months 1-12; default all (or the season's).")
    season: str | None = Field(None, description="Name of a season of the tariff, instead of months.")
    day_types: list[DayType] = Field(default_factory=lambda: list(ALL_DAY_TYPES))
    hours: list[tuple[float, float]] = Field(
        default_factory=lambda: [(0.0, 24.0)], description="Half-open [start, end) local hours [h]."
    )

    @field_validator("months")
    @classmethod
    def _months_valid(cls, v: list[int] | None) -> list[int] | None:
        if v is not None:
            bad = [m for m in v if not 1 <= m <= 12]
            if bad:
                raise ValueError(f"months must be between 1 and 12, got {bad}")
        return v

    @field_validator("hours")
    @classmethod
    def _hours_valid(cls, v: list[tuple[float, float]]) -> list[tuple[float, float]]:
        for start, end in v:
            if not (0 <= start < end <= 24):
                raise ValueError(f"hour range must satisfy 0 <= start < end <= 24, got [{start}, {end}]")
        return v

    @model_validator(mode="after")
    def _one_of_months_or_season(self) -> Window:
        if self.months is not None and self.season is not None:
            raise ValueError("give either months or season, not both")
        return self


class Tier(_Strict):
    """One block of a tiered rate: ``rate`` applies up to ``up_to`` (None = no upper bound)."""

    up_to: float | None = Field(None, gt=0, description="Upper bound of the block [kWh/month or kW].")
    rate: float = Field(description="Price in the block [$/kWh or $/kW].")


class Charge(_Strict):
    """A named energy or demand charge with a flat or tiered rate, active in its windows."""

    name: str = Field(min_length=1)
    rate: float | None = Field(None, description="Flat price [$/kWh for energy, $/kW for demand].")
    tiers: list[Tier] | None = None
    tier_basis: Literal["kWh", "kWh/kW"] = Field(
        "kWh", description="Energy tier bounds in kWh per month, or in kWh per kW of the month's peak demand."
    )
    when: list[Window] = Field(default_factory=lambda: [Window()], min_length=1)

    @model_validator(mode="after")
    def _rate_or_tiers(self) -> Charge:
        if (self.rate is None) == (self.tiers is None):
            raise ValueError("give exactly one of rate or tiers")
        if self.tiers is not None:
            if not self.tiers:
                raise ValueError("tiers must not be empty")
            bounds = [t.up_to for t in self.tiers]
            if any(b is None for b in bounds[:-1]):
                raise ValueError("only the last tier may omit up_to")
            finite = [b for b in bounds if b is not None]
            if finite != sorted(finite) or len(set(finite)) != len(finite):
                raise ValueError("tier up_to bounds must increase")
        return self

    @property
    def blocks(self) -> list[Tier]:
        """The rate as tiers (a flat rate is one unbounded tier)."""
        return list(self.tiers) if self.tiers is not None else [Tier(rate=float(self.rate or 0.0))]


class FixedCharge(_Strict):
    """A fixed customer or meter charge, not prorated."""

    name: str = Field(min_length=1)
    amount: float = Field(description="Amount per period [$].")
    per: Literal["month", "day"] = "month"


class PublicStationFees(_Strict):
    """Fees of a public charging station, billed per session on top of energy."""

    session_fee: float = Field(0.0, ge=0, description="Per plug-in session [$].")
    per_minute: float = Field(0.0, ge=0, description="Per minute charging [$/min].")
    idle_fee_per_min: float = Field(0.0, ge=0, description="Per minute plugged in but not charging [$/min].")
    idle_grace_min: float = Field(0.0, ge=0, description="Idle minutes free of charge [min].")


class PriceSeries(_Strict):
    """A price per interval (a day-ahead market): ``starts[i]`` begins an interval that lasts until ``starts[i+1]``;
    the last lasts as long as the one before it. Prices in the tariff's currency per ``unit``."""

    name: str = Field("market", min_length=1)
    unit: Literal["kWh", "MWh"] = Field("kWh", description="What one price buys: EUR/MWh for most markets.")
    starts: list[datetime] = Field(min_length=2, description="Interval starts, with their UTC offsets, ascending.")
    prices: list[float] = Field(min_length=2, description="Price of each interval [currency per unit].")
    source: str = Field("", description="Where the prices come from (file, market, licence).")

    @model_validator(mode="after")
    def _consistent(self) -> PriceSeries:
        if len(self.starts) != len(self.prices):
            raise ValueError(f"{len(self.starts)} starts but {len(self.prices)} prices")
        if any(t.tzinfo is None for t in self.starts):
            raise ValueError("every interval start needs its UTC offset")
        if any(b <= a for a, b in zip(self.starts, self.starts[1:], strict=False)):
            raise ValueError("interval starts must be strictly ascending")
        return self

    @property
    def per_kwh(self) -> float:
        """Factor from the series' unit to per kWh."""
        return 1.0 if self.unit == "kWh" else 1e-3


class Season(_Strict):
    """A named set of months, referenced by windows."""

    name: str
    months: list[int] = Field(min_length=1)


class Tariff(_Strict):
    """A utility tariff. Money is in ``currency`` units; the CLI and bills call them ``usd``."""

    name: str
    utility: str = ""
    source: str = Field("", description="Where the numbers come from (document, URL, data file).")
    currency: str = "USD"
    timezone: str = "UTC"
    seasons: list[Season] = Field(default_factory=list)
    holidays: list[date] = Field(default_factory=list)
    energy: list[Charge] = Field(default_factory=list)
    demand: list[Charge] = Field(default_factory=list)
    fixed: list[FixedCharge] = Field(default_factory=list)
    minimum_monthly: float = Field(0.0, ge=0, description="Minimum bill per month [$].")
    demand_interval_minutes: int | None = Field(
        None, gt=0, le=60, description="Average load over blocks of this length before taking maxima [min]."
    )
    public_fees: PublicStationFees | None = None
    price_series: PriceSeries | None = Field(None, description="A market price per interval, on top of TOU energy.")

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        return check_timezone(v)

    @model_validator(mode="after")
    def _seasons_resolve(self) -> Tariff:
        names = {s.name for s in self.seasons}
        for kind, charges in (("energy", self.energy), ("demand", self.demand)):
            seen: set[str] = set()
            for charge in charges:
                if charge.name in seen:
                    raise ValueError(f"{kind} charge name {charge.name!r} is used twice")
                seen.add(charge.name)
                for w in charge.when:
                    if w.season is not None and w.season not in names:
                        raise ValueError(
                            f"{kind} charge {charge.name!r} names season {w.season!r}; "
                            f"known seasons: {sorted(names) or 'none'}"
                        )
        return self

    def months_of(self, window: Window) -> tuple[int, ...]:
        """The months [1-12] a window covers, resolving its season."""
        if window.season is not None:
            return tuple(next(s.months for s in self.seasons if s.name == window.season))
        return tuple(window.months) if window.months is not None else ALL_MONTHS
