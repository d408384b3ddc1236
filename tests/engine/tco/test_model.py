"""The TCO of one class over three years, worked by hand to the cent (tests/engine/tco/cases.py).

EV, per vehicle (2 vehicles share 1 charger), r = 10 %/yr:
- year 0: vehicle 40 % of 50,000 = 20,000; incentives -5,000; charger (3,000 + 2,000) / 2 = 2,500; charger
  upkeep (100 + 60) / 2 = 80; energy 20,000 km x 0.25 kWh/km x 0.20 = 1,000; demand 300; maintenance 20,000 x
  0.05 = 1,000; insurance 2,000: 21,880.
- loan 60 % x 50,000 = 30,000 at 5 % over 2 years: A = 1,500 / (1 - 1.05^-2) = 16,134.146341 at years 1 and 2.
- year 1: 16,134.146341 + 80 + 4,300 = 20,514.146341; year 2: the same less the residual 20 % x 50,000 =
  10,514.146341.
- NPV = 21,880 + 20,514.146341 / 1.1 + 10,514.146341 / 1.21 = 49,218.60; undiscounted 52,908.29.
- discounted km = 20,000 (1 + 1/1.1 + 1/1.21) = 54,710.743802; per km 0.899615, per mile x 1.609344.
Diesel: 40,000 cash; fuel 2,000 L x 1.5 = 3,000, maintenance 1,600, insurance 1,800 a year; residual 10,000:
46,400 / 6,400 / -3,600, NPV 46,400 + 6,400/1.1 - 3,600/1.21 = 49,242.98.
"""

from __future__ import annotations

import pytest

from engine.errors import InputError
from engine.tco.cash_flows import loan_payments
from engine.tco.load import assumptions_from_data, parse_assumptions
from engine.tco.model import headline, tco
from tests.engine.tco.cases import hand, qty


def test_hand_case_to_the_cent():
    result = tco(assumptions_from_data(hand()))
    s = result.summary.set_index("powertrain")
    assert round(s.loc["ev", "npv_per_vehicle_usd"], 2) == 49_218.60
    assert round(s.loc["ev", "npv_fleet_usd"], 2) == 98_437.20
    assert round(s.loc["ev", "undiscounted_fleet_usd"] / 2, 2) == 52_908.29
    assert s.loc["ev", "usd_per_km"] == pytest.approx(0.899615, abs=1e-6)
    assert s.loc["ev", "usd_per_mile"] == pytest.approx(0.899615 * 1.609344, abs=1e-5)
    assert round(s.loc["diesel", "npv_per_vehicle_usd"], 2) == 49_242.98
    cf = result.cash_flows
    ev = cf[cf["powertrain"] == "ev"].groupby("age")["per_vehicle_usd"].sum()
    assert [round(x, 2) for x in ev] == [21_880.00, 20_514.15, 10_514.15]
    financing = cf[(cf["powertrain"] == "ev") & (cf["component"] == "financing")]["per_vehicle_usd"].tolist()
    assert [round(x, 2) for x in financing] == [0.0, 16_134.15, 16_134.15]
    comparison = result.comparison.iloc[0]
    # 49,218.601088 - 49,242.975207 = -24.374118
    assert round(comparison["ev_minus_diesel_per_vehicle_usd"], 2) == -24.37
    # EV's year 0 (financed) is already below diesel's: 21,880 < 46,400
    assert comparison["payback_year"] == 2030


def test_payback_year_and_plain_sum_at_zero_discount_rate():
    """EV 50,000 cash and 2,000 a year against diesel 40,000 and 8,000 a year, r = 0: cumulative difference
    +4,000 after year 0, -2,000 after year 1: payback in 2031; NPV = the plain sum."""
    data = hand(
        analysis__discount_rate=qty(0, "1/yr"),
        depots=[{"id": "d1", "energy": {"price": qty(0.0, "USD/kWh"), "demand": qty(0.0, "USD/vehicle/yr")}}],
    )
    van = data["vehicle_classes"][0]
    van["ev"]["acquisition"] = {"price": qty(50000, "USD"), "residual_value": qty(0, "%")}
    van["ev"]["maintenance"] = qty(0, "USD/km")
    van["diesel"]["acquisition"]["residual_value"] = qty(0, "%")
    van["diesel"]["maintenance"] = qty(0, "USD/km")
    van["diesel"]["fuel_price"] = qty(2.1, "USD/L")  # 2,000 L x 2.1 = 4,200 + 1,800 insurance = 6,000 ...
    van["diesel"]["insurance"] = qty(3800, "USD/vehicle/yr")  # ... so 8,000 a year
    result = tco(assumptions_from_data(data))
    s = result.summary.set_index("powertrain")
    assert s.loc["ev", "npv_per_vehicle_usd"] == pytest.approx(50_000 + 3 * 2_000)
    assert s.loc["diesel", "npv_per_vehicle_usd"] == pytest.approx(40_000 + 3 * 8_000)
    assert s.loc["ev", "npv_fleet_usd"] == pytest.approx(s.loc["ev", "undiscounted_fleet_usd"])
    assert result.comparison.iloc[0]["payback_year"] == 2031


def test_a_loan_at_the_discount_rate_is_worth_its_amount_even_when_it_outlasts_the_analysis():
    """PV at rate r of a loan at rate r is the amount borrowed, whether it runs its term (payments at years 1 ..
    n) or is paid off in the analysis's last year."""
    for n_years, term in ((10, 4), (3, 7), (1, 5)):
        pay = loan_payments(1000.0, 0.08, term, n_years)
        pv = sum(x / 1.08**k for k, x in enumerate(pay))
        assert pv == pytest.approx(1000.0, rel=1e-12)
    # 3-year analysis, 7-year loan: payments at years 1 and 2, the balance after 2 payments in year 2
    a = 1000 * 0.08 / (1 - 1.08**-7)
    balance = 1000 * 1.08**2 - a * (1.08**2 - 1) / 0.08
    assert loan_payments(1000.0, 0.08, 7, 3).tolist() == pytest.approx([0.0, a, a + balance])
    assert loan_payments(900.0, 0.0, 3, 5).tolist() == [0.0, 300.0, 300.0, 300.0, 0.0]


def test_battery_replaced_every_floor_of_headroom_over_degradation_years():
    """Capacity loses 7 %/yr and is replaced below 70 %: every floor(0.30 / 0.07) = 4 years, so in a 9-year
    analysis at years 4 and 8, each 80 kWh x 100 $/kWh = 8,000."""
    data = hand(analysis__period=qty(9, "yr"))
    data["vehicle_classes"][0]["ev"]["battery"]["degradation"] = qty(7, "%/yr")
    cf = tco(assumptions_from_data(data)).cash_flows
    rep = cf[(cf["component"] == "battery_replacement")]
    assert rep[rep["per_vehicle_usd"] > 0]["age"].tolist() == [4, 8]
    assert rep["per_vehicle_usd"].max() == 8000.0


def test_units_convert_miles_and_gallons():
    """The same van in miles and gallons gives the same TCO as in km and litres."""
    metric = headline(assumptions_from_data(hand()))
    van = hand()["vehicle_classes"][0]
    miles = hand(
        van__annual_distance=qty(20000 / 1.609344, "mi/yr"),
        van__ev__consumption=qty(0.25 * 1.609344, "kWh/mi"),
        van__ev__maintenance=qty(0.05 * 1.609344, "USD/mi"),
        van__diesel__fuel_price=qty(1.5 * 3.785411784, "USD/gal"),
        van__diesel__consumption=qty(10 * 1.609344 / 3.785411784, "gal/100mi"),
    )
    assert van["id"] == "van"
    us = headline(assumptions_from_data(miles))
    for key in metric:
        assert us[key] == pytest.approx(metric[key], rel=1e-12)


def _problems(text: str) -> list[str]:
    with pytest.raises(InputError) as info:
        parse_assumptions(text, "fleet.yaml")
    return [str(p) for p in info.value.problems]


def test_mistakes_name_file_line_column_and_field():
    import yaml

    text = yaml.safe_dump(hand(), sort_keys=False)
    bad = text.replace("unit: kWh/km", "unit: Wh/km").replace("unit: '%/yr'", "unit: percent", 1)
    problems = _problems(bad)
    line = next(i for i, x in enumerate(bad.splitlines(), 1) if "Wh/km" in x)
    assert any(
        p.startswith(f"fleet.yaml:{line}:") and "vehicle_classes[0].ev.consumption.unit" in p and "'kWh/km'" in p
        for p in problems
    ), problems
    assert any("analysis.discount_rate.unit" in p and "'1/yr' or '%/yr'" in p for p in problems), problems
    no_source = _problems(text.replace("source: hand-made test case", "source: ''", 1))
    assert any("analysis.period.source" in p for p in no_source), no_source
    years = hand(d1__energy__price=qty([0.2, 0.2], "USD/kWh"))
    with pytest.raises(InputError, match=r"depots\[0\].energy.price.value: 2 values for an analysis period of 3"):
        assumptions_from_data(years, "fleet.yaml")
    with pytest.raises(InputError, match=r"vehicle_classes\[0\].depot: no depot 'd2'"):
        assumptions_from_data(hand(van__depot="d2"))
    with pytest.raises(InputError, match="a fraction must be <= 1"):
        assumptions_from_data(hand(van__ev__acquisition__residual_value=qty(120, "%")))
    with pytest.raises(InputError, match="give exactly one of price and build_up"):
        assumptions_from_data(hand(van__ev__acquisition__price=None))


def test_scenarios_override_the_base_file():
    data = hand()
    base = headline(assumptions_from_data(data))
    dear = assumptions_from_data(data, scenario="dear_power")
    assert dear.depots[0].energy.price.value == 0.30
    assert dear.depots[0].energy.price.source.startswith("scenario dear_power")
    # 0.10 $/kWh more on 5,000 kWh a year for 2 vans: 1,000 a year, discounted 1,000 x 2.735537 = 2,735.54
    assert headline(dear)["ev_npv_usd"] - base["ev_npv_usd"] == pytest.approx(1000 * (1 + 1 / 1.1 + 1 / 1.21))
    with pytest.raises(InputError, match="no scenario 'dear'; scenarios: dear_power"):
        assumptions_from_data(data, scenario="dear")
    data["scenarios"]["typo"] = {"set": {"depots.d1.energy.prize": 0.3}}
    with pytest.raises(InputError, match=r"'depots\.d1\.energy\.prize' names no quantity"):
        assumptions_from_data(data, scenario="typo")


def test_tariff_factor_scales_depot_energy_and_demand_and_calibration_excludes_typed_prices():
    """x1.5 on 1,000 $ of energy and 300 $ of demand a vehicle-year: +650 $ a year for each of 2 vans,
    discounted over 3 years at 10 %: 1,300 x 2.735537 = 3,556.20."""
    base = headline(assumptions_from_data(hand()))
    dearer = headline(assumptions_from_data(hand(d1__energy__tariff_factor=qty(1.5, "factor"))))
    assert round(dearer["ev_npv_usd"] - base["ev_npv_usd"], 2) == 3_556.20
    assert dearer["diesel_npv_usd"] == base["diesel_npv_usd"]
    both = hand(d1__energy__calibrate={"problem": "../demo_depot"})
    with pytest.raises(InputError, match="price and demand come from the calibration"):
        assumptions_from_data(both)
