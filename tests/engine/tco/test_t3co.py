"""NREL T3CO's published TCO test cases reproduced from T3CO's own input files (tests/data/tco/t3co, BSD-3).

T3CO prices fuel per gallon of gasoline equivalent (33.7 kWh; a diesel gallon is 37.95/33.7 gge) and takes the
vehicle's fuel economy [mpgge] from a FASTSim run over the design cycle; that figure is published with each case
and is an input here. Everything else comes from the CSV rows: the build-up (glider, markup, battery, motor,
engine, fuel storage, plug), the yearly miles and maintenance, the yearly US fuel prices, the discount rate."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from engine.tco.cash_flows import built_price
from engine.tco.load import assumptions_from_data
from engine.tco.model import tco

DATA = Path(__file__).resolve().parents[2] / "data" / "tco" / "t3co"
KWH_PER_GGE = 33.7
DIESEL_GGE_PER_GAL = 37.95 / KWH_PER_GGE
SRC = "NREL T3CO tests/tco_tests"


def _row(name: str, selection: str) -> dict[str, str]:
    with (DATA / name).open(encoding="utf-8-sig") as f:
        return next(r for r in csv.DictReader(f) if r["selection"] == selection)


def _prices(fuel: str, start: int, years: int) -> list[float]:
    with (DATA / "FuelPrices_US.csv").open(encoding="utf-8-sig") as f:
        row = next(r for r in csv.DictReader(f) if r["Fuel"] == fuel)
    return [float(row[str(start + k)]) for k in range(years)]


def _case(case_id: str) -> dict:
    cases = json.loads((DATA / "expected.json").read_text())["cases"]
    return next(c for c in cases if c["id"] == case_id)


def qty(value, unit: str) -> dict:
    return {"value": value, "unit": unit, "source": SRC}


def _ev(sc: dict, veh: dict, grid_mpgge: float) -> dict:
    assert float(sc["ess_base_cost_dol"]) == 0 and float(sc["pe_mc_base_cost_dol"]) == 0
    return {
        "acquisition": {
            "build_up": {
                "glider": qty(float(sc["vehicle_glider_cost_dol"]), "USD"),
                "markup": qty(float(sc["markup_pct"]), "factor"),
                "battery_price": qty(float(sc["ess_cost_dol_per_kwh"]), "USD/kWh"),
                "motor_kw": qty(float(veh["mc_max_kw"]), "kW"),
                "motor_price": qty(float(sc["pe_mc_cost_dol_per_kw"]), "USD/kW"),
                "plug": qty(float(sc["plug_base_cost_dol"]), "USD"),
            },
            "purchase_tax": qty(float(sc["tax_rate_pct"]), "fraction"),
            "residual_value": qty(0.0, "fraction"),  # the published figures predate T3CO's residual value
        },
        "battery": {
            "capacity": qty(float(veh["ess_max_kwh"]), "kWh"),
            "degradation": qty(0.0, "1/yr"),
            "replace_below": qty(0.7, "fraction"),
            "replacement_price": qty(0.0, "USD/kWh"),
        },
        "consumption": qty(KWH_PER_GGE / grid_mpgge, "kWh/mi"),  # energy at the wall: mpgge x charger efficiency
        "maintenance": qty(json.loads(sc["maint_oper_cost_dol_per_mi"]), "USD/mi"),
    }


def _diesel(sc: dict, veh: dict, mpgge: float, price: list[float] | float) -> dict:
    return {
        "acquisition": {
            "build_up": {
                "glider": qty(float(sc["vehicle_glider_cost_dol"]), "USD"),
                "markup": qty(float(sc["markup_pct"]), "factor"),
                "engine_kw": qty(float(veh["fc_max_kw"]), "kW"),
                "engine_price": qty(float(sc["fc_ice_cost_dol_per_kw"]), "USD/kW"),
                "engine_base": qty(float(sc["fc_ice_base_cost_dol"]), "USD"),
                "fuel_storage_kwh": qty(float(veh["fs_kwh"]), "kWh"),
                "fuel_storage_price": qty(float(sc["fs_cost_dol_per_kwh"]), "USD/kWh"),
            },
            "residual_value": qty(0.0, "fraction"),
        },
        "consumption": qty(100 / (mpgge * DIESEL_GGE_PER_GAL), "gal/100mi"),
        "fuel_price": qty(price, "USD/gal"),
        "maintenance": qty(json.loads(sc["maint_oper_cost_dol_per_mi"]), "USD/mi"),
    }


def _assumptions(sc: dict, ev: dict, diesel: dict | None, electricity: list[float]) -> dict:
    years = int(sc["vehicle_life_yr"])
    return {
        "name": f"T3CO {sc['scenario_name']}",
        "analysis": {
            "start_year": int(sc["model_year"]),
            "period": qty(years, "yr"),
            "discount_rate": qty(float(sc["discount_rate_pct_per_yr"]), "1/yr"),
        },
        "depots": [
            {"id": "us", "energy": {"price": qty(electricity, "USD/kWh"), "demand": qty(0.0, "USD/vehicle/yr")}}
        ],
        "vehicle_classes": [
            {
                "id": "class8",
                "depot": "us",
                "count": qty(1, "count"),
                "annual_distance": qty(json.loads(sc["vmt"]), "mi/yr"),
                "operating_days": qty(0, "days/yr"),
                "ev": ev,
                **({"diesel": diesel} if diesel else {}),
            }
        ],
    }


def test_bev_2020_and_conventional_diesel_2020_match_t3co_within_0_1_percent():
    bev_case, conv_case = _case("t3co_test_tcos_bev_2020"), _case("t3co_test_tcos_conv_diesel_2020")
    sc_ev, veh_ev = _row("TCO_SCENARIO_TEST_INPUTS.csv", "22"), _row("TCO_VEHICLE_TEST_INPUTS.csv", "22")
    sc_d, veh_d = _row("TCO_SCENARIO_TEST_INPUTS.csv", "1"), _row("TCO_VEHICLE_TEST_INPUTS.csv", "1")
    years, start = int(sc_ev["vehicle_life_yr"]), int(sc_ev["model_year"])
    ev = _ev(sc_ev, veh_ev, bev_case["published"]["mpgge"]["grid_mpgge"])
    diesel = _diesel(sc_d, veh_d, conv_case["published"]["mpgge"]["mpgge"], _prices("dieselDolPerGal", start, years))
    a = assumptions_from_data(_assumptions(sc_ev, ev, diesel, _prices("dolPerKwh", start, years)))
    result = tco(a)
    s = result.summary.set_index("powertrain")
    for powertrain, case in (("ev", bev_case), ("diesel", conv_case)):
        published = case["published"]
        assert s.loc[powertrain, "undiscounted_fleet_usd"] == pytest.approx(published["tot_cost"], rel=1e-3)
        assert s.loc[powertrain, "npv_fleet_usd"] == pytest.approx(published["disc_cost"], rel=1e-3)
        # in fact exact up to rounding: the same formulas, the inputs converted to km and litres and back
        assert s.loc[powertrain, "npv_fleet_usd"] == pytest.approx(published["disc_cost"], rel=1e-9)
    vc = a.vehicle_classes[0]
    ev_parts = built_price(vc.ev.acquisition.build_up, vc.ev.battery.capacity.value)
    assert ev_parts["battery"] == pytest.approx(bev_case["published"]["veh_msrp_set"]["Battery"], rel=1e-12)
    assert ev_parts["motor"] == pytest.approx(bev_case["published"]["veh_msrp_set"]["Motor & power electronics"])
    assert sum(ev_parts.values()) == pytest.approx(bev_case["published"]["veh_msrp_set"]["msrp"], rel=1e-12)
    d_parts = built_price(vc.diesel.acquisition.build_up, 0.0)
    assert d_parts["engine"] == pytest.approx(conv_case["published"]["veh_msrp_set"]["Fuel converter"], rel=1e-12)
    assert sum(d_parts.values()) == pytest.approx(conv_case["published"]["veh_msrp_set"]["msrp"], rel=1e-12)


def test_t2co_diesel_benchmark_fuel_and_totals():
    """The T2CO benchmark's diesel truck at a constant 2.93224976 $/gal: lifetime fuel 270,534.44 (discounted
    240,586.82), total 578,491.54, discounted 531,496.42."""
    case = _case("t2co_tco_benchmark_conv_diesel_class8")
    inputs, published = case["inputs"], case["published"]
    sc = {
        "vehicle_glider_cost_dol": inputs["vehicle_glider_cost_dol"],
        "markup_pct": inputs["markup_pct"],
        "fc_ice_cost_dol_per_kw": inputs["fc_ice_cost_dol_per_kw"],
        "fc_ice_base_cost_dol": inputs["fc_ice_base_cost_dol"],
        "fs_cost_dol_per_kwh": inputs["fs_cost_dol_per_kwh"],
        "maint_oper_cost_dol_per_mi": json.dumps(inputs["maint_oper_cost_dol_per_mi"]),
    }
    veh = {"fc_max_kw": inputs["fc_max_kw"], "fs_kwh": inputs["fs_kwh"]}
    diesel = _diesel(sc, veh, published["mpgge"], inputs["diesel_dol_per_gal_constant"])
    ev_sc, ev_veh = _row("TCO_SCENARIO_TEST_INPUTS.csv", "22"), _row("TCO_VEHICLE_TEST_INPUTS.csv", "22")
    scenario = {
        "vehicle_life_yr": inputs["vehicle_life_yr"],
        "model_year": inputs["model_year"],
        "discount_rate_pct_per_yr": inputs["discount_rate_per_yr"],
        "scenario_name": "T2CO benchmark",
        "vmt": json.dumps(inputs["vmt_mi_per_yr"]),
    }
    a = assumptions_from_data(_assumptions(scenario, _ev(ev_sc, ev_veh, 12.0), diesel, [0.1] * 7))
    result = tco(a)
    flows = result.cash_flows[result.cash_flows["powertrain"] == "diesel"]
    fuel = flows[flows["component"] == "fuel"]
    assert fuel["fleet_usd"].sum() == pytest.approx(published["life_time_fuel_cost"], rel=1e-9)
    assert fuel["discounted_fleet_usd"].sum() == pytest.approx(published["discounted_life_time_fuel_cost"], rel=1e-9)
    row = result.summary.set_index("powertrain").loc["diesel"]
    assert row["undiscounted_fleet_usd"] == pytest.approx(published["tot_cost"], rel=1e-9)
    assert row["npv_fleet_usd"] == pytest.approx(published["disc_cost"], rel=1e-9)
