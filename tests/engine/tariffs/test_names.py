"""Imported charges named by when they apply (issue 18: bill lines read 'energy period 3' and
'energy m1-5 d0-4 h0-5'), and a month-to-date peak must name a demand charge of the tariff."""

from __future__ import annotations

import pytest

from engine.decision import decide
from engine.errors import InputError
from engine.tariffs import load_tariff
from engine.tariffs.model import Window
from engine.tariffs.names import describe, describe_window, unique_names
from tests.engine.schedule.factory import problem, trip, two_level_tariff, vehicle


def test_a_window_in_words() -> None:
    assert describe_window(Window(months=[6, 7, 8, 9], day_types=["weekday"], hours=[(16, 21)])) == (
        "Jun-Sep weekdays 16:00-21:00"
    )
    assert describe_window(Window(months=[1, 2, 3, 11, 12], hours=[(0, 8.5), (21, 24)])) == (
        "Jan-Mar, Nov-Dec 00:00-08:30, 21:00-24:00"
    )
    assert describe_window(Window(day_types=["weekend", "holiday"])) == "weekends and holidays all day"
    assert describe_window(Window()) == "all day"
    three = [Window(months=[m]) for m in (1, 2, 3)]
    assert describe(three) == "Jan all day; Feb all day; +1 more"
    assert unique_names(["a", "b", "a"], ["p0", "p1", "p2"]) == ["a (p0)", "b", "a (p2)"]


def test_the_shipped_imports_name_their_charges_by_when_they_apply() -> None:
    sce = load_tariff("tariffs/sce_tou_8_d.yaml")
    assert "energy Jun-Sep weekdays 16:00-21:00" in [c.name for c in sce.energy]
    assert sce.name.startswith("Time-Of-Use - General Service - Large")  # the tariff keeps its own name
    pnm = load_tariff("tariffs/pnm_4b.yaml")
    assert "energy Jan-May weekdays 00:00-05:00" in [c.name for c in pnm.energy]
    for tariff in (sce, pnm):
        names = [c.name for c in tariff.energy]
        assert len(names) == len(set(names)) and not any("period" in n or " m1-" in n for n in names)


def test_a_month_to_date_peak_must_name_a_demand_charge_of_the_tariff() -> None:
    """A name the tariff lacks was silently ignored: the plan set a new peak it believed free."""
    tariff = two_level_tariff(demand_rate=10.0)  # one demand charge, "facility"
    p = problem([vehicle(1)], [trip(1, 6.0, 10.0)], [0.1], mtd={"facilty": 80.0})
    with pytest.raises(InputError, match=r"no demand charge 'facilty'; did you mean 'facility'\?") as err:
        decide(p, tariff=tariff)
    assert err.value.problems[0].field == "depots[0].month_to_date_peak_kw"
    assert decide(
        p.model_copy(update={"depots": [p.depots[0].model_copy(update={"month_to_date_peak_kw": {"facility": 80.0}})]}),
        tariff=tariff,
    ).status
