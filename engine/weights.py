"""Objective weights in money: the price-vs-uptime trade-off (later supplied by the policy layer)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ObjectiveWeights(BaseModel):
    """Weights of the scheduling objective. All money in $ per unit named."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    shortfall_usd_per_kwh: dict[int, float] = Field(
        default_factory=lambda: {1: 2.0, 2: 4.0, 3: 8.0, 4: 15.0, 5: 40.0},
        description="Penalty per kWh short of a departure target, by trip priority 1-5 [$/kWh].",
    )
    demand_weight: float = Field(1.0, ge=0, description="Multiplier on demand charges [-].")
    wear_usd_per_kwh: float = Field(0.005, ge=0, description="Battery wear per kWh charged [$/kWh].")
    dc_wear_extra_usd_per_kwh: float = Field(0.02, ge=0, description="Extra wear for DC fast charging [$/kWh].")
    end_value_usd_per_kwh: float = Field(0.0, ge=0, description="Value of energy left at horizon end [$/kWh].")
    over_limit_usd_per_kwh: float = Field(1000.0, gt=0, description="Import above the grid limit [$/kWh].")
    off_preference_usd_per_kwh: float = Field(
        0.01,
        ge=0,
        description="Cost of drawing a kWh from a charger a policy rule does not prefer for the vehicle [$/kWh]: "
        "steers ties and near-ties, never outweighs a real saving above it.",
    )
    prefer_early_usd_per_kwh: float = Field(
        0.0,
        ge=0,
        description="Cost of charging at the horizon's end rather than now, linear in between [$/kWh]: "
        "hedges against arrivals not yet known (online re-planning).",
    )
    prefer_urgent_usd_per_kwh: float = Field(
        0.0,
        ge=0,
        description="Cost of charging at the end of a vehicle's own dwell rather than at its start, linear in "
        "between [$/kWh]: a vehicle with a short dwell gains the most by charging first (earliest-deadline "
        "priority), a hedge for online re-planning.",
    )
    plan_change_usd_per_kwh: float = Field(
        0.02, ge=0, description="Moving a kWh against the last approved plan, when one is given [$/kWh]."
    )
    target_reserve: float = Field(0.10, ge=0, le=1, description="SOC kept on return from a trip [0-1].")
    use_p90: bool = Field(True, description="Departure targets from P90 (else P50) trip energy.")
    hard_use_p90: bool = Field(
        True, description="Targets of departures a hard rule covers from P90 trip energy (raised, never lowered)."
    )
    max_soc: float = Field(1.0, gt=0, le=1, description="SOC ceiling for battery health [0-1].")
