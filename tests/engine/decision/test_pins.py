"""Dispatchers' overrides as pins on the problem (engine.decision.pins): hand-checkable plans around a pin, the
checks that name the pin, and problems without pins unchanged."""

from __future__ import annotations

import json
from datetime import timedelta

import numpy as np
import pytest
from pydantic import ValidationError

from engine.decision import decide
from engine.decision.identity import problem_hash
from engine.domain import Pin, PlanningProblem
from engine.errors import InputError
from engine.io.problem_files import load_problem, write_problem_folder
from engine.schedule import ObjectiveWeights
from tests.engine.schedule.factory import NOW, problem, trip, two_level_tariff, vehicle

W = ObjectiveWeights(target_reserve=0.0, wear_usd_per_kwh=0.0, dc_wear_extra_usd_per_kwh=0.0)
TARIFF = two_level_tariff(cheap_hours=(0, 2), cheap=0.10, dear=0.30)


def base(n_ac: int = 2):
    """Two vans on two 10 kW AC chargers, each needing 10 kWh by 06:00; energy is $0.10 until 02:00, $0.30 after:
    unpinned, both charge 1 h at full power before 02:00 ($1.00 each)."""
    return problem([vehicle(1), vehicle(2)], [trip(1, 6.0, 10.0), trip(2, 6.0, 10.0)], [0.0, 0.0], n_ac=n_ac)


def pinned(p, *pins: Pin):
    return p.model_copy(update={"pins": list(pins)})


def at(h: float):
    return NOW + timedelta(hours=h)


def slots(d, vehicle_id: str) -> np.ndarray:
    return np.asarray(next(v for v in d.plan.vehicles if v.vehicle_id == vehicle_id).power_kw)


def test_without_pins_both_vans_charge_in_the_cheap_hours() -> None:
    d = decide(base(), weights=W, tariff=TARIFF)
    assert d.cost.energy_usd == pytest.approx(2.00, abs=1e-6)


def test_a_pin_holds_the_van_to_its_charger_and_window_and_the_cost_shows_it() -> None:
    """v1 pinned to ac1 from 03:00 to 05:00: its 10 kWh come inside that window at $0.30 ($3.00), on ac1 alone;
    v2 is free and still charges cheap ($1.00): $4.00 in all, $2.00 more than unpinned."""
    d = decide(pinned(base(), Pin(vehicle_id="v1", charger_id="ac1", start=at(3), end=at(5))), weights=W, tariff=TARIFF)
    kw = slots(d, "v1")
    assert kw[:12].max() <= 1e-6 and kw[20:].max() <= 1e-6  # nothing outside 03:00-05:00
    assert kw[12:20].sum() * 0.25 == pytest.approx(10.0, abs=1e-6)
    assert {s.charger_id for s in next(v for v in d.plan.vehicles if v.vehicle_id == "v1").sessions} == {"ac1"}
    assert d.cost.energy_usd == pytest.approx(4.00, abs=1e-6) and d.violations == []
    assert d.decision_id != decide(base(), weights=W, tariff=TARIFF).decision_id


def test_a_pin_without_a_charger_keeps_the_van_unplugged_in_its_window() -> None:
    """v1 may not charge 00:00-02:00: it needs 10 kWh, so it charges after 02:00 at $0.30 ($3.00)."""
    d = decide(pinned(base(), Pin(vehicle_id="v1", start=at(0), end=at(2))), weights=W, tariff=TARIFF)
    assert slots(d, "v1")[:8].max() <= 1e-6
    assert d.cost.energy_usd == pytest.approx(1.00 + 3.00, abs=1e-6)


def test_a_pin_that_leaves_a_van_short_is_reported_as_its_shortfall() -> None:
    """Pinned for one hour at 10 kW when it needs 15 kWh: 5 kWh short, said in the violation."""
    p = problem([vehicle(1)], [trip(1, 6.0, 15.0)], [0.0], n_ac=1)
    d = decide(pinned(p, Pin(vehicle_id="v1", charger_id="ac0", start=at(1), end=at(2))), weights=W, tariff=TARIFF)
    assert [round(v.shortfall_kwh, 6) for v in d.violations] == [5.0]


def test_two_vans_pinned_on_one_charger_at_once_cannot_both_have_it() -> None:
    """Both pinned to ac0 for 00:00-01:00: the charger holds one of them; the other is 10 kWh short."""
    p = pinned(
        base(n_ac=1),
        Pin(vehicle_id="v1", charger_id="ac0", start=at(0), end=at(1)),
        Pin(vehicle_id="v2", charger_id="ac0", start=at(0), end=at(1)),
    )
    d = decide(p, weights=W, tariff=TARIFF)
    assert sorted(round(v.shortfall_kwh, 6) for v in d.violations) == [10.0]
    sessions = [(v.vehicle_id, s.charger_id) for v in d.plan.vehicles for s in v.sessions]
    assert len(sessions) == 1


def test_unknown_names_are_refused_with_a_did_you_mean() -> None:
    pin = {"vehicle_id": "v1", "charger_id": "ac7", "start": at(0), "end": at(1)}
    with pytest.raises(ValidationError, match=r"pins\[0\].charger_id: unknown charger 'ac7'; did you mean 'ac1'\?"):
        PlanningProblem.model_validate({**base().model_dump(), "pins": [pin]})
    with pytest.raises(ValidationError, match=r"pins\[0\].vehicle_id: unknown vehicle 'v11'; did you mean 'v1'\?"):
        PlanningProblem.model_validate(
            {**base().model_dump(), "pins": [{**pin, "vehicle_id": "v11", "charger_id": None}]}
        )
    with pytest.raises(ValidationError, match=r"end .* must be after start"):
        Pin(vehicle_id="v1", start=at(2), end=at(1))


def test_a_pin_outside_the_vans_stay_or_on_a_charger_it_cannot_use_names_the_pin() -> None:
    p = problem([vehicle(1), vehicle(2, dc=50.0)], [trip(1, 2.0, 5.0), trip(2, 6.0, 5.0)], [0.5, 0.5], n_ac=1, n_dc=1)
    away = pinned(p, Pin(vehicle_id="v1", charger_id="ac0", start=at(3), end=at(4)))  # v1 left at 02:00
    with pytest.raises(InputError, match=r"v1 is at no site with chargers it can use") as err:
        decide(away, weights=W, tariff=TARIFF)
    assert err.value.problems[0].field == "pins[0]"
    no_dc = pinned(p, Pin(vehicle_id="v1", charger_id="dc0", start=at(0), end=at(1)))  # v1 has no CCS inlet
    with pytest.raises(InputError, match=r"v1 cannot charge on dc0") as err:
        decide(no_dc, weights=W, tariff=TARIFF)
    assert err.value.problems[0].field == "pins[0].charger_id"


def test_a_problem_without_pins_hashes_and_dumps_as_before(tmp_path) -> None:
    p = base()
    assert "pins" not in p.model_dump(mode="json", by_alias=True)
    known = problem_hash(p)
    assert problem_hash(type(p).model_validate(json.loads(p.model_dump_json()))) == known
    with_pin = pinned(p, Pin(vehicle_id="v1", charger_id="ac1", start=at(3), end=at(5)))
    assert problem_hash(with_pin) != known
    with_pin = with_pin.model_copy(update={"tariff": "sce_tou_8_d"})  # a folder names a shipped tariff
    write_problem_folder(with_pin, tmp_path / "folder")
    assert (tmp_path / "folder" / "pins.csv").is_file()
    back = load_problem(tmp_path / "folder")
    assert back.pins == with_pin.pins
