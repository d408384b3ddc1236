"""Tables of a Decision, on the hand-checkable one-van case: 10 kWh at 10 kW in the cheap window 00-04."""

import numpy as np
import pandas as pd
import pytest

from engine.decision import decide
from engine.frames import cost_frame, departure_frame, gantt_frame, load_frame, readiness, soc_frame, tariff_week_frame
from engine.schedule import ObjectiveWeights
from tests.engine.schedule.factory import NOW, problem, trip, two_level_tariff, vehicle

W = ObjectiveWeights(target_reserve=0.0, wear_usd_per_kwh=0.0, dc_wear_extra_usd_per_kwh=0.0)
TARIFF = two_level_tariff()


@pytest.fixture(scope="module")
def case():
    # 50 kWh van at 20 % needs 20 kWh (SOC 0.4) at 06:00; 8 h horizon of 15-minute slots
    p = problem([vehicle(1)], [trip(1, 6.0, 20.0)], [0.2])
    return p, decide(p, weights=W, tariff=TARIFF)


def test_gantt_has_one_session_of_ten_kwh_inside_the_cheap_window(case) -> None:
    _p, d = case
    g = gantt_frame(d.plan)
    assert list(g.columns) == ["vehicle_id", "charger_id", "plug_in", "plug_out", "energy_kwh"]
    assert len(g) == 1 and g.loc[0, "vehicle_id"] == "v1" and g.loc[0, "charger_id"] == "ac0"
    assert g.loc[0, "energy_kwh"] == pytest.approx(10.0, abs=1e-6)
    assert g.loc[0, "plug_in"] >= pd.Timestamp(NOW) and g.loc[0, "plug_out"] <= pd.Timestamp(NOW) + pd.Timedelta(
        hours=4
    )


def test_load_frame_carries_limit_and_the_two_prices(case) -> None:
    _p, d = case
    f = load_frame(d.plan, TARIFF)
    assert len(f) == 32 and set(f["depot"]) == {"d"}
    assert (f["limit_kw"] == 1000.0).all()
    hours = np.arange(32) * 0.25
    assert np.allclose(f["price_usd_per_kwh"][hours < 4], 0.10) and np.allclose(
        f["price_usd_per_kwh"][hours >= 4], 0.30
    )
    assert f["load_kw"].sum() * 0.25 == pytest.approx(10.0, abs=1e-6)  # kWh drawn = kWh delivered (eta 1)


def test_soc_frame_runs_boundary_to_boundary(case) -> None:
    _p, d = case
    s = soc_frame(d.plan)
    assert len(s) == 33  # 32 slots -> 33 boundaries
    assert s["soc"].iloc[0] == pytest.approx(0.2) and s["soc"].max() == pytest.approx(0.4, abs=1e-9)
    assert s["time"].iloc[-1] - s["time"].iloc[0] == pd.Timedelta(hours=8)


def test_departure_target_is_what_the_plan_aimed_for(case) -> None:
    p, d = case
    f = departure_frame(d, p)
    assert f.to_dict("records")[0] | {"departure": None} == {
        "vehicle_id": "v1",
        "trip_id": "t1",
        "departure": None,
        "priority": 3,
        "target_soc": pytest.approx(0.4),  # 20 kWh of trip energy / 50 kWh, no reserve
        "soc": pytest.approx(0.4),
        "ready": True,
    }
    assert readiness(d, p) == (1, 1)


def test_short_departure_is_not_ready() -> None:
    # 30 kWh needed, 8 h at 10 kW could give 80: but the van leaves at 01:00 with 1 h of charging -> 10 + 10 < 30
    p = problem([vehicle(1)], [trip(1, 1.0, 30.0)], [0.2])
    d = decide(p, weights=W, tariff=TARIFF)
    f = departure_frame(d, p)
    assert not f.loc[0, "ready"] and f.loc[0, "soc"] == pytest.approx(0.4, abs=1e-6)
    assert readiness(d, p) == (0, 1)
    costs = cost_frame({"optimal": d}, p)
    assert costs.loc["optimal", "violations"] == 1 and costs.loc["optimal", "ready"] == 0


def test_tariff_week_marks_demand_windows_and_prices() -> None:
    week = tariff_week_frame(two_level_tariff(demand_rate=10.0), NOW)
    assert len(week) == 7 * 24 - 1  # Tue 4 March 2025 + 7 days holds the spring-forward Sunday: 02:00 never happens
    assert not ((week["day"] == "Sun 09 Mar") & (week["hour"] == 2)).any()
    assert set(week["price_usd_per_kwh"].round(2)) == {0.10, 0.30}
    assert (week["demand_windows"] == "facility").all() and (week["demand_usd_per_kw"] == 10.0).all()
    assert (week.loc[week["hour"] < 4, "price_usd_per_kwh"] == 0.10).all()
