"""Policy files (``policies/*.yaml``): what ops leads edit to steer the engine. See policies/README.md."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Mode = Literal["shadow", "assisted", "automated"]
ACTIONS = ("relax_to_penalty", "next_best_charger", "delay_departure", "swap_vehicle", "allow_dc_fast", "manual_review")
EVENTS = ("infeasible", "charger_unavailable", "price_spike", "stale_telemetry")
_ACTION = re.compile(r"^(?P<name>[a-z_]+)(\((?P<arg>\d+)\s*(?P<unit>min)?\))?$")


def parse_action(action: str) -> tuple[str, int | None]:
    """``"delay_departure(30)"`` -> ``("delay_departure", 30)``; ``"manual_review"`` -> ``("manual_review", None)``."""
    m = _ACTION.match(action.strip())
    if not m or m["name"] not in ACTIONS:
        raise ValueError(f"unknown fallback action {action!r}; known: {', '.join(ACTIONS)}")
    return m["name"], None if m["arg"] is None else int(m["arg"])


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Metadata(_Strict):
    """Who owns the policy and since when it applies."""

    name: str = Field(min_length=1)
    version: str = Field(min_length=1)
    owner: str = Field(min_length=1)
    description: str = ""
    effective: date


class Modes(_Strict):
    """Human in the loop: shadow (never executed), assisted (a dispatcher approves), automated."""

    default: Mode = "shadow"
    depots: dict[str, Mode] = Field(default_factory=dict, description="Per-depot overrides.")


PriorityMap = dict[Annotated[int, Field(ge=1, le=5)], float]  # JSON keys "1".."5" are accepted too


class Objective(_Strict):
    """The price-vs-uptime trade-off, in money."""

    shortfall_usd_per_kwh: PriorityMap = Field(description="Per kWh short of a departure target, by priority.")
    late_usd_per_min: PriorityMap = Field(default_factory=dict, description="Per minute late, by trip priority.")
    wear_weight: float = Field(1.0, ge=0, le=10, description="Multiplier on battery wear costs [-].")
    demand_weight: float = Field(1.0, ge=0, le=10, description="Multiplier on demand charges [-].")
    plan_change_usd_per_kwh: float = Field(0.02, ge=0, le=10, description="Moving a kWh vs the last plan [$/kWh].")
    trip_energy: Literal["p50", "p90"] = Field(
        "p90", description="Trip energy quantile departure targets are built from (the forecast's P50 or P90)."
    )
    hard_trip_energy: Literal["p50", "p90"] = Field(
        "p90",
        description="Quantile for departures a hard rule covers; never lowers a target below the soft one.",
    )

    @field_validator("shortfall_usd_per_kwh", "late_usd_per_min")
    @classmethod
    def _non_negative(cls, v: dict) -> dict:
        bad = {k: x for k, x in v.items() if x < 0}
        if bad:
            raise ValueError(f"penalties must be >= 0, got {bad}")
        return v


class SocRule(_Strict):
    """Minimum (or maximum) state of charge for vehicles matching ``when``."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    when: str = "true"
    min_soc: float | None = Field(None, ge=0, le=1, description="Minimum SOC at the deadline [0-1].")
    min_energy_kwh: float | None = Field(None, ge=0, description="Minimum energy at the deadline [kWh].")
    minutes_before_departure: float = Field(0, ge=0, le=24 * 60, description="Deadline before departure [min].")
    max_soc: float | None = Field(None, gt=0, le=1, description="SOC ceiling for battery health [0-1].")
    unless_trip_needs_more: bool = True
    hard: bool = False

    @model_validator(mode="after")
    def _one_target(self) -> SocRule:
        if self.min_soc is None and self.min_energy_kwh is None and self.max_soc is None:
            raise ValueError("give min_soc, min_energy_kwh or max_soc")
        if self.min_soc is not None and self.max_soc is not None and self.min_soc > self.max_soc:
            raise ValueError(f"min_soc {self.min_soc} is above max_soc {self.max_soc}: the rule can never hold")
        return self


class ChargerTarget(_Strict):
    """Which chargers a charger rule is about (any that match all given fields)."""

    charger: str | None = None
    kind: Literal["AC", "DC"] | None = None
    depot: str | None = None


class ChargerRule(_Strict):
    """Prefer or forbid chargers, optionally only inside a local time window."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    when: str = "true"
    prefer: ChargerTarget | None = None
    forbid: ChargerTarget | None = None
    window: tuple[str, str] | None = Field(None, description="Local [HH:MM, HH:MM) the rule is active.")

    @model_validator(mode="after")
    def _one(self) -> ChargerRule:
        if (self.prefer is None) == (self.forbid is None):
            raise ValueError("give exactly one of prefer or forbid")
        return self

    @field_validator("window")
    @classmethod
    def _hhmm(cls, v: tuple[str, str] | None) -> tuple[str, str] | None:
        if v is not None:
            for t in v:
                if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", t):
                    raise ValueError(f"window times must be HH:MM, got {t!r}")
        return v


class PriceRule(_Strict):
    """Defer non-urgent charging while energy costs more than a threshold."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    when: str = "true"
    defer_above_usd_per_kwh: float = Field(gt=0, le=5, description="Price threshold [$/kWh].")


class StaleTelemetry(_Strict):
    """What to do when a vehicle's SOC is old."""

    after_minutes: float = Field(60, gt=0, le=7 * 24 * 60, description="[min].")
    action: Literal["assume_p10", "manual_review"] = "assume_p10"


class TripAssignment(_Strict):
    """Which vehicle covers each trip the input leaves unpinned (``vehicle_id`` empty), chosen jointly with charging
    (:mod:`engine.decision.trip_assignment`). Off by default: unpinned trips are then reported, not planned."""

    enabled: bool = False
    turnaround_minutes: float = Field(
        15, ge=0, le=24 * 60, description="Least time at the depot between two trips of one vehicle [min]."
    )
    keep_shifts: bool = Field(True, description="Trips of one shift (shifts.csv) go on one vehicle.")
    max_candidates: int = Field(
        24, ge=1, le=1000, description="Vehicles considered per trip, the best fits by reachable energy first [-]."
    )


class Routing(_Strict):
    """How route options are scored (:mod:`engine.routing.options`): money, the time valued at a rate, the risk of
    a stop failing valued at what a failed stop costs, and how much the route's energy forecast is trusted."""

    value_of_time_usd_per_h: float = Field(60.0, ge=0, le=10_000, description="A driver-hour's worth [$/h].")
    failed_stop_usd: float = Field(
        150.0, ge=0, le=100_000, description="What a stop that fails (queue, broken charger) costs [$]."
    )
    min_arrival_soc: float = Field(0.1, ge=0, le=1, description="Least SOC on arriving anywhere [0-1].")
    energy_margin: float = Field(
        0.0,
        ge=0,
        le=1,
        description="How little the route's energy forecast is trusted: every leg is planned with this share more "
        "energy than its matrix says [0-1].",
    )


class Policy(_Strict):
    """A complete policy file."""

    metadata: Metadata
    mode: Modes = Modes()
    objective: Objective
    soc_rules: list[SocRule] = Field(default_factory=list)
    charger_rules: list[ChargerRule] = Field(default_factory=list)
    price_rules: list[PriceRule] = Field(default_factory=list)
    stale_telemetry: StaleTelemetry = StaleTelemetry()
    assignment: TripAssignment = TripAssignment()
    routing: Routing | None = Field(
        None, exclude_if=lambda v: v is None, description="Route option scoring; None: the defaults of Routing."
    )
    fallbacks: dict[Literal["infeasible", "charger_unavailable", "price_spike", "stale_telemetry"], list[str]] = Field(
        default_factory=dict
    )

    @field_validator("fallbacks")
    @classmethod
    def _actions(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        for event, chain in v.items():
            for i, action in enumerate(chain):
                m = _ACTION.match(action.strip())
                if not m or m["name"] not in ACTIONS:
                    raise ValueError(f"{event}[{i}]: unknown action {action!r}; known: {', '.join(ACTIONS)}")
                if (m["name"] == "delay_departure") != (m["arg"] is not None):
                    raise ValueError(f"{event}[{i}]: only delay_departure takes an argument, as delay_departure(30)")
            if chain and chain[-1] != "manual_review" and "manual_review" in chain:
                raise ValueError(f"{event}: manual_review ends a chain; actions after it never run")
        return v

    @model_validator(mode="after")
    def _unique_ids(self) -> Policy:
        seen: set[str] = set()
        for rule in [*self.soc_rules, *self.charger_rules, *self.price_rules]:
            if rule.id in seen:
                raise ValueError(f"rule id {rule.id!r} is used twice")
            seen.add(rule.id)
        return self
