"""The TCO assumptions file (``examples/tco/*.yaml``): per depot its chargers and energy, per vehicle class its
electric vehicle and the diesel baseline it replaces, the analysis period and discount rate, named scenarios.

Every number is a :class:`engine.tco.units.Quantity` with its unit and a source note; the units each field
accepts are in its annotation. Amounts are in US dollars (the currency of the tariffs fleetcharge bills with).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from engine.results import STRATEGIES
from engine.tco.units import (
    COUNT,
    DAYS_PER_YR,
    FRACTION,
    FRACTION_YEARLY,
    KM_PER_YR,
    KW,
    KWH,
    KWH_PER_KM,
    L_PER_100KM,
    PER_YR,
    USD,
    USD_PER_CHARGER,
    USD_PER_CHARGER_YR,
    USD_PER_DAY,
    USD_PER_KM,
    USD_PER_KW,
    USD_PER_KWH,
    USD_PER_L,
    USD_PER_SESSION,
    USD_PER_VEHICLE_YR,
    YEARS,
    Quantity,
    Unit,
    q,
)

BATTERY_USD_PER_KWH = Unit("USD/kWh")  # a purchase price: one value, not one per year
FACTOR = Unit("factor")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Analysis(_Model):
    """The time frame: costs of analysis year ``k`` (k = 0 .. period-1, calendar year start_year + k) are
    discounted by (1 + discount_rate)^k; the purchase and the first year's running costs sit at k = 0 (NREL
    T3CO's convention, no mid-year discounting)."""

    start_year: int = Field(ge=1990, le=2200)
    period: q(YEARS)
    discount_rate: q(PER_YR)


class BuildUp(_Model):
    """A purchase price built up from components as NREL T3CO does [USD]: glider + motor_kw x motor_price +
    markup x (battery_kwh x battery_price + engine_kw x engine_price + engine_base + fuel_storage_kwh x
    fuel_storage_price + plug). The markup (retail over cost, 1.5 = +50 %) is not applied to the glider and the
    motor, whose prices are retail already. The battery's kWh are the vehicle's ``battery.capacity``."""

    glider: q(USD)
    markup: q(FACTOR)
    battery_price: q(BATTERY_USD_PER_KWH) | None = None
    motor_kw: q(KW) | None = None
    motor_price: q(USD_PER_KW) | None = None
    engine_kw: q(KW) | None = None
    engine_price: q(USD_PER_KW) | None = None
    engine_base: q(USD) | None = None
    fuel_storage_kwh: q(KWH) | None = None
    fuel_storage_price: q(BATTERY_USD_PER_KWH) | None = None
    plug: q(USD) | None = None

    @model_validator(mode="after")
    def _pairs(self) -> BuildUp:
        for a, b in (
            ("motor_kw", "motor_price"),
            ("engine_kw", "engine_price"),
            ("fuel_storage_kwh", "fuel_storage_price"),
        ):
            if (getattr(self, a) is None) != (getattr(self, b) is None):
                raise ValueError(f"{a} and {b} go together: give both or neither")
        return self


class Financing(_Model):
    """A loan for ``share`` of the purchase price at ``rate`` over ``term`` years, repaid in equal annual
    payments A = L r / (1 - (1 + r)^-n) at the end of years 1 .. n (L/n when r = 0); what is still owed when the
    analysis ends is paid off in its last year."""

    share: q(FRACTION)
    rate: q(PER_YR)
    term: q(YEARS)


class Acquisition(_Model):
    """Buying the vehicle: a ``price`` or a ``build_up`` (exactly one), incentives received at purchase, a
    purchase tax on the price, financing, and the residual value (a fraction of the price) when it is sold in
    the analysis's last year."""

    price: q(USD) | None = None
    build_up: BuildUp | None = None
    incentives: q(USD) | None = None
    purchase_tax: q(FRACTION) | None = None
    financing: Financing | None = None
    residual_value: q(FRACTION)

    @model_validator(mode="after")
    def _one_price(self) -> Acquisition:
        if (self.price is None) == (self.build_up is None):
            raise ValueError("give exactly one of price and build_up")
        return self


class Battery(_Model):
    """The traction battery: usable capacity, capacity lost per year, and the replacement bought when capacity
    would fall below ``replace_below`` (every floor((1 - replace_below) / degradation) years)."""

    capacity: q(KWH)
    degradation: q(PER_YR)
    replace_below: q(FRACTION)
    replacement_price: q(BATTERY_USD_PER_KWH)


class ElectricVehicle(_Model):
    """The electric vehicle of a class. ``consumption`` is energy at the meter (charger losses included) per
    km. Charging: ``public_share`` of the energy at ``public_price``, ``emergency_share`` at the public price
    plus ``emergency_premium``, the rest at the depot (its price and demand charges from the depot)."""

    acquisition: Acquisition
    battery: Battery
    consumption: q(KWH_PER_KM)
    public_share: q(FRACTION_YEARLY) | None = None
    public_price: q(USD_PER_KWH) | None = None
    emergency_share: q(FRACTION_YEARLY) | None = None
    emergency_premium: q(USD_PER_KWH) | None = None
    maintenance: q(USD_PER_KM)
    insurance: q(USD_PER_VEHICLE_YR) | None = None
    telematics: q(USD_PER_VEHICLE_YR) | None = None
    software: q(USD_PER_VEHICLE_YR) | None = None
    downtime_days: q(DAYS_PER_YR) | None = None

    @model_validator(mode="after")
    def _charging(self) -> ElectricVehicle:
        if self.public_share is not None and self.public_price is None:
            raise ValueError("public_share needs public_price")
        if self.emergency_share is not None and (self.public_price is None or self.emergency_premium is None):
            raise ValueError("emergency_share needs public_price and emergency_premium")
        return self


class DieselVehicle(_Model):
    """The diesel baseline the electric vehicle replaces."""

    acquisition: Acquisition
    consumption: q(L_PER_100KM)
    fuel_price: q(USD_PER_L)
    maintenance: q(USD_PER_KM)
    insurance: q(USD_PER_VEHICLE_YR) | None = None
    telematics: q(USD_PER_VEHICLE_YR) | None = None
    downtime_days: q(DAYS_PER_YR) | None = None


class VehicleClass(_Model):
    """``count`` vehicles of one kind homed at ``depot`` with their duty: distance per year and operating days
    (one depot charging session per operating day)."""

    id: str = Field(min_length=1)
    depot: str = Field(min_length=1)
    count: q(COUNT)
    annual_distance: q(KM_PER_YR)
    operating_days: q(DAYS_PER_YR)
    downtime_cost: q(USD_PER_DAY) | None = None
    ev: ElectricVehicle
    diesel: DieselVehicle | None = None

    @model_validator(mode="after")
    def _downtime_priced(self) -> VehicleClass:
        down = [v for v in (self.ev, self.diesel) if v is not None and v.downtime_days is not None]
        if down and self.downtime_cost is None:
            raise ValueError("downtime_days need the class's downtime_cost")
        return self


class Chargers(_Model):
    """A depot's chargers, their cost shared equally by the vehicles homed there: hardware and installation
    bought in year 0 and again every ``life`` years, maintenance and network (backend, SIM) fees per year."""

    count: q(COUNT)
    hardware: q(USD_PER_CHARGER)
    installation: q(USD_PER_CHARGER)
    life: q(YEARS)
    maintenance: q(USD_PER_CHARGER_YR) | None = None
    network_fee: q(USD_PER_CHARGER_YR) | None = None


class Calibration(_Model):
    """Take the depot's energy price and demand charges from operations: a depot plan (``problem``: a folder or
    file) or simulated depot days (``scenario``: a scenario file or a shipped scenario's name, ``days`` of it
    with the engine in the loop), under ``policy`` (a policy file or a shipped policy's name; none when absent)
    and ``strategy``, billed at the depot's tariff (:mod:`engine.tco.calibrate`). Paths are relative to the
    assumptions file."""

    problem: str | None = Field(None, min_length=1)
    scenario: str | None = Field(None, min_length=1)
    days: int = Field(7, ge=1, le=366, description="Simulated days, with a scenario [days].")
    seed: int | None = Field(None, ge=0, description="Simulation seed, with a scenario (default: the scenario's).")
    policy: str | None = None
    strategy: Literal[STRATEGIES] = "optimal"  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _one_source(self) -> Calibration:
        if (self.problem is None) == (self.scenario is None):
            raise ValueError("give exactly one of problem (a depot plan) and scenario (simulated days)")
        return self


class DepotEnergy(_Model):
    """What the depot pays for charging: the average energy price and the demand charges a vehicle causes,
    given or calibrated from operations (not both: a calibrated figure would silently replace a typed one); a
    ``tariff_factor`` on both (a tariff change or a price scenario on top of a calibration, 1 when absent); a fee
    per charging session."""

    price: q(USD_PER_KWH) | None = None
    demand: q(USD_PER_VEHICLE_YR) | None = None
    tariff_factor: q(FACTOR) | None = None
    session_fee: q(USD_PER_SESSION) | None = None
    calibrate: Calibration | None = None

    @model_validator(mode="after")
    def _priced(self) -> DepotEnergy:
        given = [name for name in ("price", "demand") if getattr(self, name) is not None]
        if self.calibrate is None and len(given) < 2:
            raise ValueError("give price and demand, or calibrate them from operations")
        if (
            self.calibrate is not None
            and given
            and not all("calibrated from" in getattr(self, n).source for n in given)
        ):
            raise ValueError(f"{' and '.join(given)} come from the calibration: remove them or the calibrate block")
        return self


class Depot(_Model):
    id: str = Field(min_length=1)
    chargers: Chargers | None = None
    energy: DepotEnergy


class Scenario(_Model):
    """A named variant of the base file: ``set`` maps a dotted path (list items by id:
    ``vehicle_classes.van.ev.consumption``) to a new value (in the quantity's unit) or a whole quantity."""

    description: str = ""
    set: dict[str, float | Quantity] = Field(min_length=1)


class TcoAssumptions(_Model):
    """A fleet's TCO assumptions. ``version`` and ``owner`` say which edition of the numbers this is and who
    answers for it; every answer carries them and the hash of the checked assumptions."""

    name: str = Field(min_length=1)
    version: str = "1"
    owner: str = ""
    description: str = ""
    currency: Literal["USD"] = "USD"
    analysis: Analysis
    depots: list[Depot] = Field(min_length=1)
    vehicle_classes: list[VehicleClass] = Field(min_length=1)
    scenarios: dict[str, Scenario] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _references(self) -> TcoAssumptions:
        problems = []
        for name, items in (("depots", self.depots), ("vehicle_classes", self.vehicle_classes)):
            seen: set[str] = set()
            for i, item in enumerate(items):
                if item.id in seen:
                    problems.append(f"{name}[{i}].id: {item.id!r} appears twice")
                seen.add(item.id)
        depots = {d.id for d in self.depots}
        for i, c in enumerate(self.vehicle_classes):
            if c.depot not in depots:
                problems.append(
                    f"vehicle_classes[{i}].depot: no depot {c.depot!r} (depots: {', '.join(sorted(depots))})"
                )
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def depot(self, depot_id: str) -> Depot:
        return next(d for d in self.depots if d.id == depot_id)
