"""The world fleetcharge reasons about, as pydantic v2 models with units in every field. Datetimes are
timezone-aware (naive input is refused). Fractions (SOC, efficiency, reliability) are in [0, 1]. Invalid input
raises a ValidationError whose location names the field path, e.g. ``vehicles[3].battery_kwh``; loaders in
:mod:`engine.io.problem_files` turn it into ``FILE:LINE: vehicles[3].battery_kwh: must be > 0, got -5``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from engine.errors import did_you_mean
from engine.route_data import FixedRoute
from engine.text import check_strings
from engine.timezones import check_timezone

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)  # supported window of every time in a problem
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
LARGEST = 1e9  # largest power [kW], energy [kWh], distance [km] or duration [min] a field accepts: finite, physical


def _in_window(when: datetime) -> datetime:
    """A time inside the supported window (far-future times overflow date arithmetic)."""
    if not EARLIEST <= when.astimezone(UTC) < LATEST:
        raise ValueError(f"must be between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d} (UTC), got {when.isoformat()}")
    return when


Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
NonNegative = Annotated[float, Field(ge=0.0, le=LARGEST)]
Positive = Annotated[float, Field(gt=0.0, le=LARGEST)]
Moment = Annotated[AwareDatetime, AfterValidator(_in_window)]  # timezone-aware, inside the supported window
Latitude = Annotated[float, Field(ge=-90, le=90)]  # [deg]
Longitude = Annotated[float, Field(ge=-180, le=180)]  # [deg]


def _near(name: str, known: set[str]) -> str:
    hint = did_you_mean(name, known)
    return f"; {hint}" if hint else ""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)


class _Input(_Model):
    """What arrives from outside: its strings (and those in its lists and dicts) free of control characters."""

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: object) -> object:
        return check_strings(value)


class Connector(StrEnum):
    """Plug standards."""

    J1772 = "J1772"
    TYPE2 = "Type2"
    CCS1 = "CCS1"
    CCS2 = "CCS2"
    NACS = "NACS"
    CHADEMO = "CHAdeMO"
    MCS = "MCS"


class ChargerKind(StrEnum):
    """AC chargers feed the vehicle's on-board charger; DC chargers bypass it."""

    AC = "AC"
    DC = "DC"


class ChargerStatus(StrEnum):
    """Operational status reported by the charger (OCPP-like)."""

    AVAILABLE = "available"
    OCCUPIED = "occupied"
    FAULTED = "faulted"
    OFFLINE = "offline"
    RESERVED = "reserved"


class ChargeCurvePoint(_Input):
    """A point of a vehicle's charge curve: at ``soc`` the battery accepts at most ``max_kw``."""

    soc: Fraction = Field(description="State of charge [0-1].")
    max_kw: NonNegative = Field(description="Maximum accepted power at this SOC [kW].")


class Vehicle(_Input):
    """An electric vehicle of the fleet."""

    id: str = Field(min_length=1)
    vehicle_class: str = Field(alias="class", min_length=1, description="Class, e.g. 'van', 'box_truck'.")
    depot_id: str = Field(description="Home depot id.")
    battery_kwh: Positive = Field(description="Usable battery capacity [kWh].")
    max_ac_kw: NonNegative = Field(description="On-board charger limit for AC charging [kW].")
    max_dc_kw: NonNegative = Field(0.0, description="Limit for DC fast charging [kW]; 0 = no DC inlet.")
    connectors: list[Connector] = Field(min_length=1, description="Inlets the vehicle has.")
    charge_efficiency: Annotated[float, Field(gt=0.0, le=1.0)] = Field(
        0.92, description="Grid-to-battery efficiency [0-1]."
    )
    charge_curve: list[ChargeCurvePoint] | None = Field(
        None, description="SOC -> max kW points, linear in between (DC taper); None = flat."
    )

    @field_validator("charge_curve")
    @classmethod
    def _curve_sorted(cls, v: list[ChargeCurvePoint] | None) -> list[ChargeCurvePoint] | None:
        if v is not None:
            socs = [p.soc for p in v]
            if len(v) < 2 or socs != sorted(socs) or len(set(socs)) != len(socs):
                raise ValueError("charge_curve needs at least two points with strictly increasing soc")
        return v


class Charger(_Input):
    """A charge point (one connector in use at a time)."""

    id: str = Field(min_length=1)
    depot_id: str
    kind: ChargerKind
    max_kw: Positive = Field(description="Rated output [kW].")
    connectors: list[Connector] = Field(min_length=1)
    status: ChargerStatus = ChargerStatus.AVAILABLE
    reliability: Fraction = Field(0.98, description="Probability a session on it completes [0-1].")
    min_kw: NonNegative = Field(
        0.0, description="Lowest power it delivers while charging [kW] (AC: about 6 A per phase); 0 = any."
    )

    @model_validator(mode="after")
    def _min_below_max(self) -> Charger:
        if self.min_kw > self.max_kw:
            raise ValueError(f"min_kw {self.min_kw:g} is above max_kw {self.max_kw:g}")
        return self


class TimeSeries(_Input):
    """A regular series of average power values [kW], one per step from ``start``."""

    start: Moment
    step_minutes: Annotated[int, Field(gt=0, le=1440)] = 15
    values_kw: list[Annotated[float, Field(ge=-LARGEST, le=LARGEST)]] = Field(
        min_length=1, description="Average power per step [kW]."
    )

    def at(self, when: datetime) -> float:
        """Value covering ``when`` [kW]; the last value holds after the end, 0 before the start."""
        elapsed = when.astimezone(UTC) - self.start.astimezone(UTC)  # absolute time, DST-safe
        k = int(elapsed // timedelta(minutes=self.step_minutes))
        if k < 0:
            return 0.0
        return self.values_kw[min(k, len(self.values_kw) - 1)]


class Storage(_Input):
    """Stationary battery at a depot."""

    energy_kwh: Positive = Field(description="Usable capacity [kWh].")
    max_charge_kw: NonNegative = Field(description="[kW].")
    max_discharge_kw: NonNegative = Field(description="[kW].")
    charge_efficiency: Annotated[float, Field(gt=0.0, le=1.0)] = 0.95
    discharge_efficiency: Annotated[float, Field(gt=0.0, le=1.0)] = 0.95
    soc: Fraction = Field(0.5, description="State of charge now [0-1].")
    soc_min: Fraction = 0.0
    soc_max: Fraction = 1.0
    soc_end_min: Fraction | None = Field(None, description="Minimum SOC at horizon end [0-1]; None = soc now.")


class GeoFence(_Input):
    """Where a site is: a circle of ``radius_m`` around (``lat``, ``lon``), or the ``polygon`` when given (its
    corners as [lat, lon] pairs, in order)."""

    lat: Latitude = Field(description="Latitude of the site's centre [deg].")
    lon: Longitude = Field(description="Longitude of the site's centre [deg].")
    radius_m: Annotated[float, Field(gt=0, le=100_000)] = Field(150.0, description="Radius of the site [m].")
    polygon: list[tuple[Latitude, Longitude]] | None = Field(
        None, min_length=3, description="The site's outline, [lat, lon] corners in order (instead of the circle)."
    )


class Depot(_Input):
    """A site with chargers behind one grid connection."""

    id: str = Field(min_length=1)
    name: str = ""
    timezone: str = Field(description="IANA timezone, e.g. 'America/Los_Angeles'.")
    grid_limit_kw: Positive = Field(description="Grid connection import limit [kW].")
    building_load_kw: TimeSeries | None = Field(None, description="Forecast of non-charging load [kW].")
    pv_kw: TimeSeries | None = Field(None, description="Forecast of on-site PV generation [kW].")
    storage: Storage | None = None
    allow_export: bool = Field(False, description="Whether net export to the grid is allowed.")
    tariff: str | None = Field(None, description="Tariff reference overriding the problem's.")
    availability: Annotated[float, Field(gt=0.0, le=1.0)] = Field(
        1.0,
        description="Probability a charger here is free when a vehicle comes (a public station) [-]; plans count on "
        "that share of its power, the expected energy.",
    )
    month_to_date_peak_kw: dict[str, NonNegative] = Field(
        default_factory=dict, description="Peak already set this billing month per demand charge name [kW]."
    )
    location: GeoFence | None = Field(
        None,
        exclude_if=lambda v: v is None,  # absent when not given: a depot without one hashes as it always did
        description="Where the site is: a vehicle whose position lies inside is at this depot.",
    )

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        return check_timezone(v)


class Stop(_Input):
    """A stop on a trip with its service window."""

    id: str
    window_start: Moment | None = None
    window_end: Moment | None = None
    dwell_minutes: NonNegative = Field(0.0, description="[min].")
    lat: Latitude | None = None
    lon: Longitude | None = None


class Trip(_Input):
    """A trip leaving from a site and ending at one: back at the vehicle's home depot, or at ``to_site`` (a
    terminal, another depot), where the vehicle dwells and may charge until its next trip (bus blocks, rotations)."""

    id: str = Field(min_length=1)
    depot_id: str
    vehicle_classes: list[str] = Field(default_factory=list, description="Allowed classes; empty = any.")
    vehicle_id: str | None = Field(None, description="Vehicle assigned in advance; None = to be assigned.")
    departure: Moment
    return_time: Moment = Field(alias="return")
    distance_km: NonNegative = Field(description="[km].")
    energy_kwh_p50: NonNegative = Field(description="Median expected energy use [kWh].")
    energy_kwh_p90: NonNegative = Field(description="90th percentile energy use [kWh].")
    priority: Annotated[int, Field(ge=1, le=5)] = Field(3, description="1 = lowest, 5 = critical.")
    stops: list[Stop] = Field(default_factory=list)
    to_site: str | None = Field(
        None, description="Site (a depot id) where the trip ends and the vehicle dwells; None = its home depot."
    )
    route: FixedRoute | None = Field(None, description="Its route with charging stations [kWh]: sets the energy.")

    @model_validator(mode="after")
    def _consistent(self) -> Trip:
        if self.return_time <= self.departure:
            raise ValueError(f"return ({self.return_time}) must be after departure ({self.departure})")
        if self.energy_kwh_p90 < self.energy_kwh_p50:
            raise ValueError("energy_kwh_p90 must be >= energy_kwh_p50")
        return self


class Shift(_Input):
    """A driver shift covering a sequence of trips."""

    id: str
    depot_id: str
    start: Moment
    end: Moment
    trip_ids: list[str] = Field(default_factory=list)
    driver_id: str | None = None


class Pin(_Input):
    """A dispatcher's override of one vehicle's charging (``POST /v1/decisions/{id}/override``): from ``start`` to
    ``end`` the vehicle charges only on ``charger_id`` (none: not at all), and in the stays at a site that the
    window touches it charges nowhere outside the window, so the window is its one plug session there."""

    vehicle_id: str
    charger_id: str | None = Field(None, description="The charger it is plugged into; none: it does not charge.")
    start: Moment
    end: Moment

    @model_validator(mode="after")
    def _ordered(self) -> Pin:
        if self.end <= self.start:
            raise ValueError(f"end ({self.end.isoformat()}) must be after start ({self.start.isoformat()})")
        return self


class VehicleState(_Input):
    """What telematics says about a vehicle now."""

    vehicle_id: str
    soc: Fraction = Field(description="State of charge [0-1].")
    soc_confidence: Fraction = Field(1.0, description="Confidence in ``soc`` [0-1].")
    soc_p10: Fraction | None = Field(
        None, description="10th percentile of the SOC estimate [0-1]; used when telemetry is stale."
    )
    last_seen: Moment
    at_depot: bool = True
    depot_id: str | None = None
    plugged: bool = False
    charger_id: str | None = None
    available_from: Moment | None = Field(None, description="When it is next at the depot (if away).")
    lat: Latitude | None = None
    lon: Longitude | None = None

    @model_validator(mode="after")
    def _p10_below_soc(self) -> VehicleState:
        if self.soc_p10 is not None and self.soc_p10 > self.soc + 1e-9:
            raise ValueError(f"soc_p10 ({self.soc_p10}) must be <= soc ({self.soc})")
        return self


class PlanningProblem(_Input):
    """Everything one planning run needs. JSON in and out; the API accepts exactly this."""

    id: str = "problem"
    now: Moment = Field(description="Planning time; the horizon starts here.")
    horizon_hours: Annotated[float, Field(gt=0, le=24 * 62)] = Field(24.0, description="[h].")
    slot_minutes: Annotated[int, Field(gt=0, le=60)] = Field(15, description="[min].")
    tariff: str = Field(description="Tariff file name in tariffs/ or a path.")
    depots: list[Depot] = Field(min_length=1)
    vehicles: list[Vehicle] = Field(default_factory=list)
    chargers: list[Charger] = Field(default_factory=list)
    trips: list[Trip] = Field(default_factory=list)
    shifts: list[Shift] = Field(default_factory=list)
    states: list[VehicleState] = Field(default_factory=list)
    pins: list[Pin] = Field(
        default_factory=list,
        exclude_if=lambda v: not v,  # absent when empty: a problem without pins hashes as it always did
        description="Dispatchers' overrides, each holding one vehicle's charging to a charger and window.",
    )

    @model_validator(mode="after")
    def _references(self) -> PlanningProblem:
        problems: list[str] = []

        def unique(kind: str, ids: list[str]) -> set[str]:
            seen: set[str] = set()
            for i, x in enumerate(ids):
                if x in seen:
                    problems.append(f"{kind}[{i}].id: duplicate id {x!r}")
                seen.add(x)
            return seen

        depots = unique("depots", [d.id for d in self.depots])
        vehicles = unique("vehicles", [v.id for v in self.vehicles])
        chargers = unique("chargers", [c.id for c in self.chargers])
        unique("trips", [t.id for t in self.trips])
        for kind, items in (("vehicles", self.vehicles), ("chargers", self.chargers), ("trips", self.trips)):
            for i, item in enumerate(items):
                if item.depot_id not in depots:
                    problems.append(f"{kind}[{i}].depot_id: unknown depot {item.depot_id!r}")
        for i, t in enumerate(self.trips):
            if t.vehicle_id is not None and t.vehicle_id not in vehicles:
                problems.append(f"trips[{i}].vehicle_id: unknown vehicle {t.vehicle_id!r}")
            if t.to_site is not None and t.to_site not in depots:
                problems.append(f"trips[{i}].to_site: unknown site {t.to_site!r}")
        seen_states: set[str] = set()
        for i, s in enumerate(self.states):
            if s.vehicle_id not in vehicles:
                problems.append(f"states[{i}].vehicle_id: unknown vehicle {s.vehicle_id!r}")
            if s.vehicle_id in seen_states:
                problems.append(f"states[{i}].vehicle_id: second state for {s.vehicle_id!r}")
            seen_states.add(s.vehicle_id)
            if s.charger_id is not None and s.charger_id not in chargers:
                problems.append(f"states[{i}].charger_id: unknown charger {s.charger_id!r}")
        for i, pin in enumerate(self.pins):
            for kind, name, known in (("vehicle", pin.vehicle_id, vehicles), ("charger", pin.charger_id, chargers)):
                if name is not None and name not in known:
                    problems.append(f"pins[{i}].{kind}_id: unknown {kind} {name!r}{_near(name, known)}")
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @property
    def slot(self) -> timedelta:
        """Slot length."""
        return timedelta(minutes=self.slot_minutes)

    @property
    def n_slots(self) -> int:
        """Number of slots in the horizon."""
        return round(self.horizon_hours * 60 / self.slot_minutes)

    def state_of(self, vehicle_id: str) -> VehicleState | None:
        """The telematics state of a vehicle, if known."""
        return next((s for s in self.states if s.vehicle_id == vehicle_id), None)

    def states_by_vehicle(self) -> dict[str, VehicleState]:
        """Vehicle id -> its state (the first given, as :meth:`state_of`), in one pass over the states."""
        out: dict[str, VehicleState] = {}
        for s in self.states:
            out.setdefault(s.vehicle_id, s)
        return out

    def trips_by_vehicle(self) -> dict[str, list[Trip]]:
        """Vehicle id -> its trips in departure order, in one pass (a scan per vehicle is quadratic in fleet size)."""
        out: dict[str, list[Trip]] = {}
        for t in sorted(self.trips, key=lambda t: t.departure):
            out.setdefault(t.vehicle_id, []).append(t)
        return out
