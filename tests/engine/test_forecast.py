"""Energy forecasting: the road-load prior against FASTSim's EPA references, hand-checked physics, a robust fit
on generated histories with known truth, and the session success probability."""

import math

import numpy as np
import pandas as pd
import pytest

from engine.forecast import (
    Context,
    RoadLoadVehicle,
    cycle_energy,
    epa_label_kwh_per_mi,
    fit_energy_model,
    from_fastsim,
    label_consumption,
    prior_kwh_per_km,
    session_success_probability,
    trip_energy,
)


def fastsim_evs(root_dir) -> pd.DataFrame:
    db = pd.read_csv(root_dir / "data/vehicle_energy/fastsim/FASTSim_py_veh_db.csv")
    return db[(db["veh_pt_type"] == "BEV") & (db["val_udds_kwh_per_mile"] > 0)]


def test_every_fastsim_ev_with_an_epa_reference_within_ten_percent(root_dir) -> None:
    evs = fastsim_evs(root_dir)
    assert len(evs) == 6
    for _, row in evs.iterrows():
        got = label_consumption(from_fastsim(row.to_dict()))
        assert got["udds"] == pytest.approx(row["val_udds_kwh_per_mile"], rel=0.10), row["Scenario name"]
        assert got["hwfet"] == pytest.approx(row["val_hwy_kwh_per_mile"], rel=0.10), row["Scenario name"]


def test_bolt_reference_values(root_dir) -> None:
    bolt = fastsim_evs(root_dir).set_index("Scenario name").loc["2017 CHEVROLET Bolt"]
    assert (bolt["val_udds_kwh_per_mile"], bolt["val_hwy_kwh_per_mile"]) == (0.263, 0.306)
    got = label_consumption(from_fastsim({"Scenario name": "Bolt", **bolt.to_dict()}))
    assert abs(got["udds"] / 0.263 - 1) < 0.10 and abs(got["hwfet"] / 0.306 - 1) < 0.10


def test_constant_speed_cruise_is_drag_plus_rolling_over_the_drivetrain() -> None:
    # 20 m/s for 1000 s = 20 km; 1500 kg, Cd A = 0.3 x 2 m2, Crr 0.01, lossless battery, no aux, ideal drivetrain
    # but the motor's fixed and load losses: P_wheel = 0.5 x 1.2 x 0.6 x 8000 + 1500 x 9.81 x 0.01 x 20 = 5823 W
    v = RoadLoadVehicle(
        mass_kg=1500,
        drag_coef=0.3,
        frontal_area_m2=2.0,
        rolling_coef=0.01,
        motor_kw=100,
        battery_kwh=1e9,
        trans_eff=1.0,
        battery_round_trip_eff=1.0,
        aux_kw=0.0,
    )
    t = np.arange(0, 1001.0)
    kwh, km = cycle_energy(v, t, np.full_like(t, 20.0))
    wheel = 0.5 * 1.2 * 0.3 * 2.0 * 20**3 + 1500 * 9.81 * 0.01 * 20
    x = wheel / 100e3
    losses = 1000 + 0.0025 * 100e3 + 100e3 * (0.02 * x + 0.05 * x**2)
    assert km == pytest.approx(20.0)
    assert kwh == pytest.approx((wheel + losses) * 1000 / 3.6e6, rel=1e-9)


def test_epa_adjustment_floor_is_a_thirty_percent_derating() -> None:
    assert epa_label_kwh_per_mi(0.2, city=True) == pytest.approx(0.2 / 0.7)  # efficient EVs sit on the floor
    assert epa_label_kwh_per_mi(33.7 / 25, city=True) == pytest.approx(33.7 * (0.003259 + 1.1805 / 25))  # a 25 MPGe car


def test_prior_rises_with_cold_payload_and_class() -> None:
    base = prior_kwh_per_km("van")
    assert prior_kwh_per_km("van", Context(temperature_c=-5)) == pytest.approx(base * (1 + 0.008 * 20))
    assert prior_kwh_per_km("van", Context(payload_kg=800)) > base
    assert prior_kwh_per_km("car") < base < prior_kwh_per_km("box_truck")


def generated_history(n: int, outliers: int, seed: int = 7) -> pd.DataFrame:
    """Known truth for vans: kWh/km = 0.30 + 0.004 x cold degrees + 0.05 x highway share + 0.02 x payload [t],
    2 % noise; ``outliers`` trips with ten times the energy (a charger stop booked as driving)."""
    rng = np.random.default_rng(seed)
    temp = rng.uniform(-10, 30, n)
    hwy = rng.uniform(0, 1, n)
    payload = rng.uniform(0, 1500, n)
    km = rng.uniform(20, 150, n)
    rate = 0.30 + 0.004 * np.maximum(0, 15 - temp) + 0.05 * hwy + 0.02 * payload / 1000
    energy = km * rate * (1 + rng.normal(0, 0.02, n))
    energy[:outliers] *= 10
    return pd.DataFrame(
        {
            "vehicle_class": "van",
            "distance_km": km,
            "energy_kwh": energy,
            "temperature_c": temp,
            "highway_share": hwy,
            "payload_kg": payload,
        }
    )


def test_robust_fit_recovers_known_truth_despite_outliers() -> None:
    model = fit_energy_model(generated_history(400, outliers=20))["van"]
    assert model.source == "history" and model.trips == 400
    assert model.intercept == pytest.approx(0.30, abs=0.01)
    assert model.cold == pytest.approx(0.004, abs=0.0005)
    assert model.highway == pytest.approx(0.05, abs=0.01)
    assert model.payload == pytest.approx(0.02, abs=0.01)
    p50, p90 = trip_energy("van", 100, Context(temperature_c=5, highway_share=0.5, payload_kg=500), {"van": model})
    truth = 100 * (0.30 + 0.04 + 0.025 + 0.01)
    assert p50 == pytest.approx(truth, rel=0.01)
    assert p90 == pytest.approx(truth * (1 + 1.2816 * 0.02), rel=0.01)  # the 90th percentile of 2 % noise


def test_too_little_history_keeps_the_prior() -> None:
    assert fit_energy_model(generated_history(5, 0)) == {}
    p50, p90 = trip_energy("van", 100)
    assert p50 == pytest.approx(100 * prior_kwh_per_km("van")) and p90 == pytest.approx(1.15 * p50)


def test_session_success_probability_hand_values() -> None:
    # 30 kWh at 10 kW needs 3 h of a 4 h window: 60 min slack
    assert session_success_probability(30, 10, 4) == 1.0
    assert session_success_probability(30, 10, 4, delay_mean_min=60, delay_sd_min=30) == pytest.approx(0.5)
    phi1 = 0.5 * (1 + math.erf(1 / math.sqrt(2)))
    assert session_success_probability(
        30, 10, 4, delay_mean_min=30, delay_sd_min=30, charger_reliability=0.95
    ) == pytest.approx(0.95 * phi1)
    assert session_success_probability(50, 10, 4) == 0.0 and session_success_probability(0, 0, 0) == 1.0
