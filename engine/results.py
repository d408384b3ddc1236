"""What a decision returns: the plan, its cost, the targets it cannot meet, what the solver reported and the
typed trace of how it came about (built by :mod:`engine.decision.tracing`). Units in every field."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, ConfigDict, Field, model_validator

from engine.domain import NonNegative, _Model
from engine.weights import ObjectiveWeights

STRATEGIES = ("optimal", "uncontrolled", "greedy", "balanced", "edf", "llf")  # what a plan can come from


class ChargeSession(_Model):
    """One plug-in session of a plan."""

    charger_id: str | None
    plug_in: AwareDatetime
    plug_out: AwareDatetime
    energy_kwh: NonNegative = Field(description="Energy drawn from the grid in the session [kWh].")


class VehiclePlan(_Model):
    """The plan of one vehicle."""

    vehicle_id: str
    charger_id: str | None = None
    sessions: list[ChargeSession] = Field(default_factory=list)
    power_kw: list[float] = Field(default_factory=list, description="Grid-side charging power per slot [kW].")
    soc: list[float] = Field(default_factory=list, description="SOC at each slot boundary [0-1].")
    soc_at_departure: dict[str, float] = Field(default_factory=dict, description="Trip id -> SOC [0-1].")
    trip_ids: list[str] = Field(default_factory=list)
    cost_usd: float = 0.0


class Plan(_Model):
    """A charging plan over the horizon."""

    strategy: str
    slot_starts: list[AwareDatetime]
    slot_minutes: int
    vehicles: list[VehiclePlan]
    site_load_kw: list[float] = Field(description="Grid import per slot, all depots [kW].")
    depot_load_kw: dict[str, list[float]] = Field(description="Depot id -> grid import per slot [kW].")
    grid_limit_kw: dict[str, float]
    storage_kw: dict[str, list[float]] = Field(default_factory=dict, description="Depot -> battery kW (+charge).")


class Violation(_Model):
    """A target the plan cannot meet."""

    vehicle_id: str
    target: str
    shortfall_kwh: NonNegative
    reason: str


class CostSplit(_Model):
    """What a plan costs [$]: bill money (what the utility invoices for the horizon) apart from the objective's
    non-cash terms (what the optimiser weighed besides money). Each ``<term>_usd`` is the objective's term of the
    same name (``trace.objective_terms``), priced by the rates of :mod:`engine.schedule.costs`:
    ``objective_usd = energy + demand_weight * demand + public per-minute fees + wear + penalty + change + prefer
    + timing + end``."""

    energy_usd: float = Field(0.0, description="Energy charges of the horizon's grid import [$].")
    demand_usd: float = Field(0.0, description="Demand charges above the month-to-date peaks [$].")
    fees_usd: float = Field(0.0, description="Daily fixed charges of the days the horizon touches [$].")
    public_usd: float = Field(
        0.0, description="Public stations' per-minute fees (weighed by the plan) and session fees (billed) [$]."
    )
    bill_usd: float = Field(0.0, description="Bill money: energy + demand + fees + public [$].")
    wear_usd: float = Field(0.0, description="Battery wear (extra for DC) [$], non-cash.")
    penalty_usd: float = Field(0.0, description="Shortfall and over-limit penalties [$], non-cash.")
    change_usd: float = Field(0.0, description="Plan changes against the previous plan [$], non-cash.")
    prefer_usd: float = Field(0.0, description="Charging off a policy's preferred charger [$], non-cash.")
    timing_usd: float = Field(0.0, description="Early/urgent steering and the tie-break [$], non-cash.")
    end_usd: float = Field(0.0, description="Value of energy left at the horizon end (negative) [$], non-cash.")
    lateness_usd: float = Field(0.0, description="Delayed departures at the policy's $/min [$], non-cash.")
    objective_usd: float = Field(0.0, description="What the optimiser minimised (formula above) [$].")
    currency: str = Field("USD", description="Currency of every amount here (the tariffs'; the names say usd).")

    @model_validator(mode="before")
    @classmethod
    def _engine_0_1(cls, data: object) -> object:
        """A cost stored by engine 0.1 (energy, demand, wear, penalty, total with the penalties in it) still reads:
        its bill is energy + demand, its objective the old total."""
        if isinstance(data, dict) and "total_usd" in data:
            data = {k: v for k, v in data.items() if k != "total_usd"}
            data.setdefault("bill_usd", data.get("energy_usd", 0.0) + data.get("demand_usd", 0.0))
            data.setdefault(
                "objective_usd", data.get("bill_usd", 0.0) + data.get("wear_usd", 0.0) + data.get("penalty_usd", 0.0)
            )
        return data


class SolverInfo(_Model):
    """What the solver reported. ``status``: optimal | feasible | time_limit (the wall-clock safety net fired:
    the plan is the best found by then and may differ on a faster or slower machine) | error | not_applicable."""

    status: str
    gap: float | None = Field(None, description="Relative gap of the plan's objective to `bound` [-].")
    seconds: float = 0.0
    objective: float | None = Field(None, description="Objective of the returned plan [$].")
    bound: float | None = Field(
        None,
        description="Lower bound on any plan's objective: the LP relaxation's optimum (charger occupancy "
        "counted fractionally) [$].",
    )


ConstraintState = Literal["binding", "slack", "violated", "followed", "overridden", "enforced"]


class PolicyRef(_Model):
    """The policy a decision was made under."""

    name: str
    version: str
    mode: str = Field(description="The policy's default mode: advisory | approval | autonomous.")
    hash: str = Field(description="Content hash of the policy document.")


class RuleFired(_Model):
    """One policy rule that matched one entity, and the directive it became."""

    rule: str = Field(description="Rule id in the policy file.")
    entity: str = Field(description="Vehicle id, or vehicle/trip for trip rules.")
    directive: dict[str, Any] = Field(description="The directive: its type and arguments (units in their names).")


class DepotBill(_Model):
    """The bill of one depot's grid import over the horizon."""

    energy_usd: float = Field(description="Energy charges [$].")
    demand_usd_full: float = Field(description="Demand charges on the horizon's peaks, from zero [$].")
    demand_usd_above_mtd: float = Field(description="Demand charges above the month-to-date peaks [$].")
    peak_kw: float = Field(description="Highest grid import [kW].")


class DepotGroup(_Model):
    """One group of depots that share nothing, planned on its own."""

    depots: list[str]
    status: str
    solver: SolverInfo
    bill_usd: float = Field(description="The group's bill money [$].")
    objective_usd: float = Field(description="The group's objective [$].")


class TriggerRef(_Model):
    """The telemetry trigger that re-planned a depot (set by the service, never by the engine)."""

    model_config = ConfigDict(extra="allow", frozen=True)  # a trigger's details vary by kind

    kind: str
    vehicle_id: str | None = None
    key: str
    based_on: str = Field(description="Decision id the re-plan started from.")


class BindingLimit(_Model):
    """A limit the plan presses against, priced by its dual in the LP with sessions fixed."""

    constraint: str = Field(description="Row name, <family>:<entity>:<detail>.")
    value_usd_per_unit: float = Field(description="Objective saved by one unit more of the limit [$ per unit].")
    unit: str = Field(description="What one unit is: kW for one slot, kWh, ...")
    text: str = Field(description="The limit and its worth in words.")


class TripChoice(_Model):
    """Which vehicle covers one trip, and why (vehicle-to-trip assignment, :mod:`engine.decision.trip_assignment`)."""

    vehicle_id: str | None = Field(description="The vehicle taking the trip; None = nobody (see reason).")
    pinned: bool = Field(description="The input named the vehicle.")
    candidates: list[str] = Field(default_factory=list, description="Vehicles the planner could choose from.")
    energy_at_departure_kwh: float | None = Field(None, description="Battery energy when it leaves, planned [kWh].")
    target_kwh: float | None = Field(None, description="Energy it should leave with [kWh].")
    reason: str


class Trace(_Model):
    """How a plan came about, every field with its units; JSON as the API returns it under ``trace``."""

    engine_version: str
    problem_hash: str = Field(description="Content hash of the planning problem.")
    strategy: str
    weights: ObjectiveWeights = Field(description="The objective's weights after the policy's [$ per unit named].")
    objective_terms: dict[str, float] = Field(
        default_factory=dict, description="Objective term -> value at the plan [$] (optimal plans only)."
    )
    bills: dict[str, DepotBill] = Field(default_factory=dict, description="Depot id -> bill of its import.")
    repair_steps: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Steps after the LP, each with a 'step' key (session rounding, local search, solver failure; "
        "seconds in fields ending in 'seconds' [s]).",
    )
    previous_plan_hash: str | None = Field(None, description="Content hash of the plan re-planned against.")
    notes: dict[str, list[str]] = Field(default_factory=dict, description="Vehicle id -> input assumptions made.")
    policy: PolicyRef | None = None
    rules_fired: list[RuleFired] = Field(default_factory=list)
    policy_directives: list[dict[str, Any]] = Field(
        default_factory=list, description="The policy's fleet-wide directives (weights, priorities) as applied."
    )
    constraints: dict[str, list[str]] = Field(
        default_factory=dict, description="Vehicle id -> names of the policy constraints on it."
    )
    constraint_status: dict[str, dict[str, ConstraintState]] = Field(default_factory=dict)
    constraint_cost_usd: dict[str, dict[str, float]] = Field(
        default_factory=dict, description="Vehicle id -> constraint -> what it costs the plan [$]."
    )
    explanations: dict[str, str] = Field(default_factory=dict, description="Vehicle id -> its plan in words.")
    binding_limits: list[BindingLimit] = Field(
        default_factory=list,
        exclude_if=lambda v: not v,
        description="Limits the plan presses against, worth most first (LP plans only).",
    )
    fallbacks: list[dict[str, Any]] = Field(
        default_factory=list, description="Fallback steps walked, each with a 'step' key, in order."
    )
    departure_targets: dict[str, dict[str, float]] = Field(
        default_factory=dict, description="Vehicle id -> trip id -> SOC the plan aims for [0-1]."
    )
    departure_delays_min: dict[str, float] = Field(default_factory=dict, description="Trip id -> delay [min].")
    trip_vehicles: dict[str, str | None] = Field(
        default_factory=dict, description="Trip id -> vehicle, when a fallback reassigned trips."
    )
    trip_assignment: dict[str, TripChoice] = Field(
        default_factory=dict,
        exclude_if=lambda v: not v,
        description="Trip id -> vehicle covering it and why, when the input leaves trips unpinned.",
    )
    trip_routes: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        exclude_if=lambda v: not v,
        description="Trip id -> what its route needs from the depot: departure energy, stops, why.",
    )
    manual_review: bool = False
    replayable: bool = True
    replayable_reason: str | None = None
    depot_groups: list[DepotGroup] = Field(
        default_factory=list, exclude_if=lambda v: not v, description="Per group, when planned by depot group."
    )
    trigger: TriggerRef | None = Field(None, exclude_if=lambda v: v is None)

    @classmethod
    def empty(cls) -> Trace:
        """A trace with nothing in it (a Decision built by hand, e.g. in a test)."""
        return cls(engine_version="", problem_hash="", strategy="", weights=ObjectiveWeights())

    @model_validator(mode="before")
    @classmethod
    def _engine_0_1(cls, data: object) -> object:
        """A trace stored by engine 0.1 still reads: its weights carried ``plug_usd_per_hour`` (no term used it)."""
        if isinstance(data, dict) and isinstance(data.get("weights"), dict) and "plug_usd_per_hour" in data["weights"]:
            data = {**data, "weights": {k: v for k, v in data["weights"].items() if k != "plug_usd_per_hour"}}
        return data


class Decision(_Model):
    """A plan plus everything needed to explain and replay it."""

    decision_id: str
    created: AwareDatetime
    status: Literal["optimal", "feasible", "fallback", "infeasible", "error"]
    problem_id: str
    plan: Plan
    cost: CostSplit
    violations: list[Violation] = Field(default_factory=list)
    solver: SolverInfo
    trace: Trace = Field(default_factory=lambda: Trace.empty(), description="How the plan came about.")
