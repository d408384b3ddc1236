"""Public stations (issue 17.1): a site priced by its own model (per kWh, per minute, per session) whose chargers
are free only part of the time (availability: the plan counts on that share of their power)."""

from __future__ import annotations

import numpy as np
import pytest

from engine.decision import decide
from engine.tariffs import Tariff
from tests.engine.schedule.test_terminal_layover import HOME_TARIFF, W, block

STATION = Tariff.model_validate(
    {
        "name": "public DC",
        "timezone": "America/Los_Angeles",
        "energy": [{"name": "flat", "rate": 0.45, "when": [{"hours": [[0, 24]]}]}],
        "public_fees": {"per_minute": 0.10, "session_fee": 1.00},
    }
)


def at_station(availability: float = 1.0):
    """The terminal-layover block with the terminal a public station (300 kW charger, the bus takes 150 kW):
    leg 2 lacks 40 kWh, which only the station's 20-minute layover can give."""
    p = block("term")
    station = p.depots[1].model_copy(update={"availability": availability})
    return p.model_copy(update={"depots": [p.depots[0], station]})


def test_a_public_station_bills_its_kwh_minutes_and_session() -> None:
    """40 kWh at $0.45 = $18.00; at the bus's 150 kW that is 16 minutes at $0.10 = $1.60; one session $1.00."""
    d = decide(at_station(), weights=W, tariff={"d": HOME_TARIFF, "term": STATION})
    assert d.violations == []
    assert d.trace.bills["term"].energy_usd == pytest.approx(18.0, abs=1e-6)
    assert d.cost.public_usd == pytest.approx(1.60 + 1.00, abs=1e-6)
    assert d.cost.bill_usd == pytest.approx(d.cost.energy_usd + d.cost.demand_usd + d.cost.fees_usd + 2.60)
    assert d.trace.objective_terms["public"] == pytest.approx(1.60, abs=1e-6)  # the per-minute part is weighed


def test_availability_limits_what_the_plan_counts_on() -> None:
    """Free half of the time, the station gives 75 kW expected: 20 minutes hold 25 kWh, leg 2 is 15 kWh short."""
    d = decide(at_station(0.5), weights=W, tariff={"d": HOME_TARIFF, "term": STATION})
    short = {v.target: v.shortfall_kwh for v in d.violations}
    assert short == {"departure_target:v1:b2": pytest.approx(15.0, abs=1e-6)}
    kw = np.array(d.plan.vehicles[0].power_kw)
    assert kw.max() == pytest.approx(75.0)
