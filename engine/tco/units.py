"""Numbers with their unit and a source note, as the TCO assumptions files write them.

Every number of an assumptions file is a :class:`Quantity`::

    battery_price: {value: 145, unit: USD/kWh, source: "BNEF 2024 battery price survey, pack level"}

A field declares the unit it is computed in and the units it accepts (:class:`Unit`); a value written in an
accepted unit is converted once, at load time, by a constant factor (miles to kilometres, gallons to litres).
The table is small and closed on purpose: each field names its own units, so a mistyped or foreign unit is
refused with the units the field does accept, instead of being converted by a guess.

A quantity may carry a ``range: [low, high]`` (one-at-a-time sensitivity) and a ``distribution`` (Monte
Carlo). A recurring yearly figure (an energy price, the annual distance) may be one value or one value per
year of the analysis period.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

KM_PER_MI = 1.609344  # international mile [km]
L_PER_GAL = 3.785411784  # US gallon [L]


@dataclass(frozen=True)
class Unit:
    """What a quantity field is computed in (``canonical``), which units a file may write it in (each with the
    factor to the canonical unit), and whether one value per year is allowed."""

    canonical: str
    also: tuple[tuple[str, float], ...] = ()
    yearly: bool = False

    def factor(self, unit: str) -> float | None:
        """Multiplier from ``unit`` to the canonical unit, None when the field does not accept it."""
        if unit == self.canonical:
            return 1.0
        return dict(self.also).get(unit)

    def accepted(self) -> list[str]:
        return [self.canonical, *(u for u, _f in self.also)]


class Triangular(BaseModel):
    """Triangular distribution between ``low`` and ``high`` with its mode at ``mode`` (units of the quantity)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["triangular"]
    low: float
    mode: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not self.low <= self.mode <= self.high or self.low == self.high:
            raise ValueError(f"need low <= mode <= high and low < high, got {self.low}, {self.mode}, {self.high}")
        return self


class Uniform(BaseModel):
    """Uniform distribution on [``low``, ``high``] (units of the quantity)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["uniform"]
    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if not self.low < self.high:
            raise ValueError(f"need low < high, got {self.low}, {self.high}")
        return self


class Normal(BaseModel):
    """Normal distribution (``mean``, standard deviation ``sd``, units of the quantity), cut at ``low`` and
    ``high`` when given (a draw outside is drawn again), so a price cannot come out negative."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["normal"]
    mean: float
    sd: float = Field(gt=0)
    low: float | None = None
    high: float | None = None


Distribution = Annotated[Triangular | Uniform | Normal, Field(discriminator="kind")]


class Quantity(BaseModel):
    """One number of an assumptions file: its value (or one per year), its unit and where it comes from.

    ``range``: [low, high] for the tornado (same unit as ``value``). ``distribution``: for Monte Carlo; a
    quantity with a range and no distribution is drawn from the triangular distribution (low, value, high)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    value: float | list[float]
    unit: str = Field(min_length=1)
    source: str = Field(min_length=3, description="Where the number comes from: a document, a quote, a measurement.")
    range: tuple[float, float] | None = None
    distribution: Distribution | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Quantity:
        if isinstance(self.value, list):
            if not self.value:
                raise ValueError("value: an empty list (give one value, or one per year of the analysis period)")
            if self.range is not None or self.distribution is not None:
                raise ValueError("range and distribution apply to a single value, not to one value per year")
        if self.range is not None:
            low, high = self.range
            if not low <= self.value <= high or low == high:  # type: ignore[operator]
                raise ValueError(f"range: need low <= value <= high and low < high, got [{low}, {high}]")
        return self

    def scaled(self, factor: float, unit: str) -> Quantity:
        """The same quantity expressed in ``unit``, every number multiplied by ``factor``."""

        def f(x: float | None) -> float | None:
            return None if x is None else x * factor

        value = [v * factor for v in self.value] if isinstance(self.value, list) else self.value * factor
        rng = None if self.range is None else (self.range[0] * factor, self.range[1] * factor)
        dist = self.distribution
        if dist is not None:
            scaled = {k: f(v) if isinstance(v, float | int) else v for k, v in dist.model_dump().items()}
            dist = type(dist).model_validate(scaled)
        return self.model_copy(update={"value": value, "unit": unit, "range": rng, "distribution": dist})

    def at(self, age: int) -> float:
        """The value in year ``age`` of the analysis (0-based)."""
        return self.value[age] if isinstance(self.value, list) else self.value


def q(unit: Unit):
    """A Quantity field computed in ``unit`` (the annotation the schema uses)."""
    return Annotated[Quantity, unit]


_MONEY = "USD"
USD = Unit(_MONEY)
USD_PER_YR = Unit(f"{_MONEY}/yr", yearly=True)
USD_PER_KWH = Unit(f"{_MONEY}/kWh", yearly=True)
USD_PER_KW = Unit(f"{_MONEY}/kW")
USD_PER_KM = Unit(f"{_MONEY}/km", (("USD/mi", 1 / KM_PER_MI),), yearly=True)
USD_PER_L = Unit(f"{_MONEY}/L", (("USD/gal", 1 / L_PER_GAL),), yearly=True)
USD_PER_DAY = Unit(f"{_MONEY}/day")
USD_PER_SESSION = Unit(f"{_MONEY}/session", yearly=True)
USD_PER_CHARGER = Unit(f"{_MONEY}/charger")
USD_PER_CHARGER_YR = Unit(f"{_MONEY}/charger/yr", yearly=True)
USD_PER_VEHICLE_YR = Unit(f"{_MONEY}/vehicle/yr", yearly=True)
FRACTION = Unit("fraction", (("%", 0.01),))
FRACTION_YEARLY = Unit("fraction", (("%", 0.01),), yearly=True)
PER_YR = Unit("1/yr", (("%/yr", 0.01),))
YEARS = Unit("yr")
KM_PER_YR = Unit("km/yr", (("mi/yr", KM_PER_MI),), yearly=True)
KWH_PER_KM = Unit("kWh/km", (("kWh/mi", 1 / KM_PER_MI),))
L_PER_100KM = Unit("L/100km", (("gal/100mi", L_PER_GAL / KM_PER_MI),))
KWH = Unit("kWh")
KW = Unit("kW")
COUNT = Unit("count")
DAYS_PER_YR = Unit("days/yr", yearly=True)
