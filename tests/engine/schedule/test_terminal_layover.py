"""Charging away from home (issue 17.1): a trip may end at another site (a terminal), where the vehicle dwells and
charges on that site's chargers, under its grid limit and tariff, until its next trip."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from engine.decision import decide
from engine.domain import Charger, Trip
from engine.schedule import ObjectiveWeights
from tests.engine.schedule.factory import NOW, problem, two_level_tariff, vehicle

W = ObjectiveWeights(target_reserve=0.0)
HOME_TARIFF = two_level_tariff(cheap_hours=(0, 24), cheap=0.10)
TERMINAL_TARIFF = two_level_tariff(cheap_hours=(0, 24), cheap=0.40)


def leg(i: int, depart_h: float, back_h: float, kwh: float, to_site: str | None) -> Trip:
    return Trip(
        id=f"b{i}",
        depot_id="d",
        vehicle_id="v1",
        departure=NOW + timedelta(hours=depart_h),
        return_time=NOW + timedelta(hours=back_h),
        distance_km=kwh,
        energy_kwh_p50=kwh,
        energy_kwh_p90=kwh,
        to_site=to_site,
    )


def block(to_terminal: str | None):
    """A 200 kWh bus (DC only, 150 kW) at 60 % (120 kWh); home has only an AC charger it cannot use. Leg 1 (80 kWh)
    01:00-02:00 ends at the terminal, 20 minutes' layover, leg 2 (80 kWh) 02:20-03:20 back home. It finishes the
    block only if it takes 40 kWh at the terminal's pantograph: 16 minutes at 150 kW fit in the layover."""
    bus = vehicle(1, battery=200.0, ac=0.0, dc=150.0)
    p = problem([bus], [], [0.6], n_ac=1, horizon_h=4.0, slot_min=5)
    terminal = p.depots[0].model_copy(update={"id": "term", "grid_limit_kw": 400.0})
    pantograph = Charger(id="pan", depot_id="term", kind="DC", max_kw=300.0, connectors=["CCS1"])
    return p.model_copy(
        update={
            "depots": [*p.depots, terminal],
            "chargers": [*p.chargers, pantograph],
            "trips": [leg(1, 1.0, 2.0, 80.0, to_terminal), leg(2, 2 + 20 / 60, 3 + 20 / 60, 80.0, None)],
        }
    )


def test_the_block_is_finished_only_by_charging_at_the_terminal_layover() -> None:
    d = decide(block("term"), weights=W, tariff={"d": HOME_TARIFF, "term": TERMINAL_TARIFF})
    assert d.violations == []
    kw = np.array(d.plan.vehicles[0].power_kw)
    charged = kw.sum() * 5 / 60
    assert charged == pytest.approx(40.0, abs=1e-6)  # exactly what leg 2 lacks: 80 - (120 - 80)
    assert kw[24:28].sum() * 5 / 60 == pytest.approx(40.0, abs=1e-6)  # all of it in the layover 02:00-02:20
    assert d.plan.vehicles[0].soc_at_departure["b2"] * 200.0 == pytest.approx(80.0, abs=1e-6)
    assert d.trace.bills["term"].energy_usd == pytest.approx(40.0 * 0.40, abs=1e-6)  # the terminal's tariff
    assert max(d.plan.depot_load_kw["d"]) == pytest.approx(0.0) and d.plan.vehicles[0].sessions[0].charger_id == "pan"
    assert "02:00-02:20 at 0.400 $/kWh" in d.trace.explanations["v1"]  # priced where it is parked


def test_without_the_terminal_the_same_block_is_40_kwh_short() -> None:
    d = decide(block(None), weights=W, tariff={"d": HOME_TARIFF, "term": TERMINAL_TARIFF})
    (short,) = d.violations
    assert short.target == "departure_target:v1:b2" and short.shortfall_kwh == pytest.approx(40.0, abs=1e-6)


def test_a_trip_to_an_unknown_site_is_refused_naming_it() -> None:
    from pydantic import ValidationError

    p = block("term")
    with pytest.raises(ValidationError, match=r"trips\[0\]\.to_site: unknown site 'nowhere'"):
        type(p).model_validate(
            {**p.model_dump(by_alias=True), "trips": [{**p.trips[0].model_dump(by_alias=True), "to_site": "nowhere"}]}
        )
