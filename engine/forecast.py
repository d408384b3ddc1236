"""Energy forecasting: a physical road-load prior, a robust fit to trip history, trip energy P50 / P90, and the
probability that a planned session reaches its target before departure.

Road-load model (per step of a speed trace, speeds v1 -> v2 over dt [s], v = (v1 + v2) / 2 [m/s]):

    P_wheel = m (v2^2 - v1^2) / (2 dt) + 1/2 rho Cd A v^3 + m g Crr v                     [W]
    P_shaft = P_wheel / eta_trans                      if P_wheel > 0   (traction)
            = P_wheel eta_trans r_max (1 - exp(-v / V_REGEN))  otherwise (regeneration, none at a standstill)
    losses  = (C_FIXED + K_FIXED P_max) [motor active] + P_max (K_LIN x + K_QUAD x^2),  x = |P_shaft| / P_max
    P_elec  = P_shaft + losses (traction), min(0, P_shaft + losses) (regeneration)
    P_batt  = P_elec (1 + B_CRATE c) / sqrt(eta_rt) (discharge), P_elec (1 - B_CRATE c) sqrt(eta_rt) (charge),
              c = |P_elec| / E_batt [1/h]; plus the auxiliary load.

The loss constants (motor and inverter: 1 kW + 0.25 % of rated power while the motor turns, 2 % x + 5 % x^2 of
rated power at load fraction x; 3 % battery loss per C of current; regeneration fading below about 2 m/s) are
one set for every vehicle, chosen once by a grid search against the EPA references of the six electric vehicles
in NREL's FASTSim database (``data/vehicle_energy/fastsim``); with them the model reproduces all twelve
references (UDDS and HWFET) within 10 %, e.g. 2017 Bolt 0.263 kWh/mi city, 0.306 highway (tests).
EPA label values are the lab (two-cycle) battery energy per mile adjusted by the EPA's derived five-cycle
formula, at most a 30 % derating (:func:`epa_label_kwh_per_mi`).

History: per vehicle class a robust (Huber) linear regression of kWh/km on cold degrees, highway share and
payload, from pandas trip records; P50 / P90 from its relative residuals. With fewer than ``MIN_TRIPS`` trips of a
class the physical prior stands.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from engine.shipped import DRIVE_CYCLES, shipped_dir

RHO_AIR = 1.2  # [kg/m3]
G = 9.81  # [m/s2]
C_FIXED_W = 1000.0  # motor + inverter loss while the motor turns [W]
K_FIXED = 0.0025  # ... plus this fraction of rated power [-]
K_LIN = 0.02  # load-proportional loss, fraction of rated power per unit load [-]
K_QUAD = 0.05  # copper loss, fraction of rated power per unit load squared [-]
V_REGEN = 2.0  # regeneration fades below this speed [m/s]
B_CRATE = 0.03  # battery loss per unit C-rate [-/(1/h)]
KWH_PER_GGE = 33.7  # EPA energy of a gallon of gasoline [kWh]
MI_KM = 1.609344
MIN_TRIPS = 10  # trips of a class before history replaces the prior
CYCLES = shipped_dir(DRIVE_CYCLES)  # FASTSim speed traces (data/vehicle_energy/fastsim/cycles in the checkout)


class RoadLoadVehicle(BaseModel):
    """Physical parameters of an electric vehicle."""

    name: str = ""
    mass_kg: float = Field(gt=0, description="Test mass incl. driver and cargo [kg].")
    drag_coef: float = Field(gt=0, description="Aerodynamic drag coefficient Cd [-].")
    frontal_area_m2: float = Field(gt=0, description="Frontal area A [m2].")
    rolling_coef: float = Field(gt=0, description="Rolling resistance coefficient Crr [-].")
    motor_kw: float = Field(gt=0, description="Rated motor power [kW].")
    battery_kwh: float = Field(gt=0, description="Usable battery energy [kWh].")
    trans_eff: float = Field(0.98, gt=0, le=1, description="Transmission efficiency [-].")
    battery_round_trip_eff: float = Field(0.97, gt=0, le=1, description="[-].")
    max_regen: float = Field(0.98, ge=0, le=1, description="Share of braking energy the motor can take back [-].")
    aux_kw: float = Field(0.25, ge=0, description="Auxiliary load [kW].")


def from_fastsim(row: Mapping[str, Any]) -> RoadLoadVehicle:
    """A vehicle from a row of FASTSim's vehicle database (its mass rule: glider + cargo + component masses x
    ``comp_mass_multiplier``, unless ``veh_override_kg`` is given)."""

    def num(key: str, default: float = 0.0) -> float:
        value = row.get(key)
        try:
            value = float(value)
        except (TypeError, ValueError):
            return default
        return default if math.isnan(value) else value

    mass = num("veh_override_kg")
    if mass <= 0:
        ess = num("ess_max_kwh") * num("ess_kg_per_kwh") + num("ess_base_kg")
        motor = num("mc_max_kw") * num("mc_pe_kg_per_kw") + num("mc_pe_base_kg")
        mass = num("glider_kg") + num("cargo_kg") + num("comp_mass_multiplier", 1.0) * (ess + motor + num("trans_kg"))
    return RoadLoadVehicle(
        name=str(row.get("Scenario name", "")),
        mass_kg=mass,
        drag_coef=num("drag_coef"),
        frontal_area_m2=num("frontal_area_m2"),
        rolling_coef=num("wheel_rr_coef"),
        motor_kw=num("mc_max_kw"),
        battery_kwh=num("ess_max_kwh"),
        trans_eff=num("trans_eff", 0.98),
        battery_round_trip_eff=num("ess_round_trip_eff", 0.97),
        max_regen=num("max_regen", 0.98),
        aux_kw=num("aux_kw", 0.25),
    )


def cycle_energy(
    vehicle: RoadLoadVehicle, time_s: np.ndarray, speed_mps: np.ndarray, payload_kg: float = 0.0
) -> tuple[float, float]:
    """Battery energy [kWh] and distance [km] over a speed trace (see the module docstring for the model)."""
    t, v = np.asarray(time_s, dtype=float), np.asarray(speed_mps, dtype=float)
    m = vehicle.mass_kg + payload_kg
    dt = np.diff(t)
    v1, v2 = v[:-1], v[1:]
    vav = (v1 + v2) / 2
    wheel = (
        0.5 * m * (v2**2 - v1**2) / dt
        + 0.5 * RHO_AIR * vehicle.drag_coef * vehicle.frontal_area_m2 * vav**3
        + m * G * vehicle.rolling_coef * vav * (vav > 0)
    )
    regen = vehicle.max_regen * (1 - np.exp(-vav / V_REGEN))
    shaft = np.where(wheel > 0, wheel / vehicle.trans_eff, wheel * vehicle.trans_eff * regen)
    p_max = vehicle.motor_kw * 1000
    x = np.abs(shaft) / p_max
    losses = (C_FIXED_W + K_FIXED * p_max) * (shaft != 0) + p_max * (K_LIN * x + K_QUAD * x**2)
    elec = np.where(shaft > 0, shaft + losses, np.minimum(0.0, shaft + losses))
    c_rate = np.abs(elec) / (vehicle.battery_kwh * 1000)
    half = math.sqrt(vehicle.battery_round_trip_eff)
    batt = np.where(elec > 0, elec * (1 + B_CRATE * c_rate) / half, elec * (1 - B_CRATE * c_rate) * half)
    joules = float(((batt + vehicle.aux_kw * 1000) * dt).sum())
    return joules / 3.6e6, float((vav * dt).sum()) / 1000


@cache
def drive_cycle(name: str) -> tuple[np.ndarray, np.ndarray]:
    """A FASTSim speed trace (``udds``, ``hwfet``): time [s], speed [m/s]."""
    c = pd.read_csv(CYCLES / f"{name}.csv")
    return c["cycSecs"].to_numpy(float), c["cycMps"].to_numpy(float)


def epa_label_kwh_per_mi(lab_kwh_per_mi: float, city: bool) -> float:
    """EPA label consumption from a lab two-cycle value: the derived five-cycle adjustment (2008 coefficients),
    never below a 30 % derating: MPGe = max(1 / (a + b / MPGe_lab), 0.7 MPGe_lab), MPGe = 33.7 / kWh per mile."""
    a, b = (0.003259, 1.1805) if city else (0.001376, 1.3466)
    mpge_lab = KWH_PER_GGE / lab_kwh_per_mi
    return KWH_PER_GGE / max(1 / (a + b / mpge_lab), 0.7 * mpge_lab)


def label_consumption(vehicle: RoadLoadVehicle) -> dict[str, float]:
    """Modelled EPA label consumption on UDDS (city) and HWFET (highway) [kWh/mi]."""
    out = {}
    for cycle, city in (("udds", True), ("hwfet", False)):
        kwh, km = cycle_energy(vehicle, *drive_cycle(cycle))
        out[cycle] = epa_label_kwh_per_mi(kwh / (km / MI_KM), city)
    return out


# Prototypes for fleet vehicle classes (typical published specifications of their kind), for the prior.
CLASS_PROTOTYPES: dict[str, RoadLoadVehicle] = {
    "car": RoadLoadVehicle(
        name="compact car",
        mass_kg=1750,
        drag_coef=0.29,
        frontal_area_m2=2.4,
        rolling_coef=0.0075,
        motor_kw=150,
        battery_kwh=60,
    ),
    "van": RoadLoadVehicle(
        name="large electric van",
        mass_kg=3300,
        drag_coef=0.40,
        frontal_area_m2=5.0,
        rolling_coef=0.0080,
        motor_kw=200,
        battery_kwh=70,
    ),
    "box_truck": RoadLoadVehicle(
        name="class 6 box truck",
        mass_kg=9000,
        drag_coef=0.60,
        frontal_area_m2=8.0,
        rolling_coef=0.0070,
        motor_kw=250,
        battery_kwh=245,
    ),
    "bus": RoadLoadVehicle(
        name="40 ft transit bus",
        mass_kg=14500,
        drag_coef=0.65,
        frontal_area_m2=8.5,
        rolling_coef=0.0070,
        motor_kw=250,
        battery_kwh=440,
    ),
}
DEFAULT_CLASS = "van"


class Context(BaseModel):
    """Conditions of a trip."""

    temperature_c: float = Field(20.0, description="Ambient temperature [degC].")
    highway_share: float = Field(0.3, ge=0, le=1, description="Share of distance on highways [0-1].")
    payload_kg: float = Field(0.0, ge=0, description="Cargo [kg].")


def temperature_factor(temperature_c: float) -> float:
    """Cabin and battery conditioning: +0.8 % per degree below 15 degC, +0.5 % per degree above 25 degC [-]."""
    return 1.0 + 0.008 * max(0.0, 15.0 - temperature_c) + 0.005 * max(0.0, temperature_c - 25.0)


@cache
def _prior_rates(vehicle_class: str, payload_kg: float) -> tuple[float, float]:
    proto = CLASS_PROTOTYPES.get(vehicle_class, CLASS_PROTOTYPES[DEFAULT_CLASS])
    rates = []
    for cycle in ("udds", "hwfet"):
        kwh, km = cycle_energy(proto, *drive_cycle(cycle), payload_kg=payload_kg)
        rates.append(kwh / km)
    return rates[0], rates[1]


def prior_kwh_per_km(vehicle_class: str, context: Context | None = None) -> float:
    """Physical prior [kWh/km]: the class prototype over UDDS (urban) and HWFET (highway) mixed by the highway
    share, scaled by the temperature factor. Unknown classes use the van."""
    c = context or Context()
    urban, highway = _prior_rates(vehicle_class, round(c.payload_kg, 0))
    return ((1 - c.highway_share) * urban + c.highway_share * highway) * temperature_factor(c.temperature_c)


@dataclass(frozen=True)
class ClassModel:
    """kWh/km = intercept + cold x cold_degrees + highway x highway_share + payload x payload_t, and the
    relative residual quantiles of the fit (or of the prior's assumed spread)."""

    vehicle_class: str
    intercept: float
    cold: float
    highway: float
    payload: float
    q50: float
    q90: float
    trips: int
    source: str  # "history" | "prior"

    def kwh_per_km(self, context: Context) -> float:
        cold = max(0.0, 15.0 - context.temperature_c)
        return (
            self.intercept
            + self.cold * cold
            + self.highway * context.highway_share
            + self.payload * context.payload_kg / 1000
        )


PRIOR_SPREAD = (0.0, 0.15)  # without history: P50 at the prior, P90 15 % above


def fit_energy_model(trips: pd.DataFrame) -> dict[str, ClassModel]:
    """Per vehicle class, a Huber regression (statsmodels RLM) of kWh/km on cold degrees below 15 degC,
    highway share and payload [t], from columns ``vehicle_class``, ``distance_km``, ``energy_kwh``,
    ``temperature_c``, ``highway_share``, ``payload_kg``. Outliers (a wrong odometer, a trip with a stop at a
    charger) get small weights instead of bending the fit."""
    import statsmodels.api as sm

    out = {}
    for cls, g in trips.groupby("vehicle_class"):
        g = g[(g["distance_km"] > 0.5) & (g["energy_kwh"] >= 0)]
        if len(g) < MIN_TRIPS:
            continue
        y = (g["energy_kwh"] / g["distance_km"]).to_numpy()
        x = np.column_stack(
            [
                np.maximum(0.0, 15.0 - g["temperature_c"].to_numpy()),
                g["highway_share"].to_numpy(),
                g["payload_kg"].to_numpy() / 1000,
            ]
        )
        varying = x.std(axis=0) > 1e-9
        design = sm.add_constant(x[:, varying], has_constant="add")
        fit = sm.RLM(y, design, M=sm.robust.norms.HuberT()).fit()
        coef = np.zeros(3)
        coef[varying] = fit.params[1:]
        rel = (y - fit.fittedvalues) / fit.fittedvalues
        inliers = rel[fit.weights > 0.5] if (fit.weights > 0.5).sum() >= 5 else rel
        out[str(cls)] = ClassModel(
            str(cls),
            float(fit.params[0]),
            float(coef[0]),
            float(coef[1]),
            float(coef[2]),
            float(np.quantile(inliers, 0.5)),
            float(np.quantile(inliers, 0.9)),
            len(g),
            "history",
        )
    return out


def trip_energy(
    vehicle_class: str,
    distance_km: float,
    context: Context | None = None,
    models: Mapping[str, ClassModel] | None = None,
) -> tuple[float, float]:
    """Trip energy P50 and P90 [kWh]: the class's history model when fitted, else the physical prior."""
    c = context or Context()
    model = (models or {}).get(vehicle_class)
    if model is not None:
        rate = model.kwh_per_km(c)
        return distance_km * rate * (1 + model.q50), distance_km * rate * (1 + model.q90)
    rate = prior_kwh_per_km(vehicle_class, c)
    return distance_km * rate * (1 + PRIOR_SPREAD[0]), distance_km * rate * (1 + PRIOR_SPREAD[1])


def session_success_probability(
    needed_kwh: float,
    charger_kw: float,
    window_h: float,
    delay_mean_min: float = 0.0,
    delay_sd_min: float = 0.0,
    charger_reliability: float = 1.0,
) -> float:
    """Probability that a session delivers ``needed_kwh`` before departure: the vehicle arrives late by a normal
    delay (mean, sd [min]) and the charger works with probability ``charger_reliability``; it succeeds when the
    time left, ``window_h`` minus the delay, suffices at ``charger_kw``:

        P = reliability x Phi((slack - mean) / sd),  slack = 60 (window_h - needed_kwh / charger_kw)  [min]
    """
    if needed_kwh <= 0:
        return 1.0
    if charger_kw <= 0:
        return 0.0
    slack_min = 60.0 * (window_h - needed_kwh / charger_kw)
    if delay_sd_min <= 0:
        on_time = 1.0 if delay_mean_min <= slack_min else 0.0
    else:
        on_time = 0.5 * (1 + math.erf((slack_min - delay_mean_min) / (delay_sd_min * math.sqrt(2))))
    return charger_reliability * on_time
