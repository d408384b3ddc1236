"""Independent depots (engine.decision.depots): which depots plan together, the split and the merged Decision,
the same serially, in a process pool and on a Dask cluster."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from engine.decision import decide
from engine.decision.depots import depot_groups, depot_problem
from engine.domain import PlanningProblem
from engine.replay import json_differences
from engine.schedule import ObjectiveWeights
from tests.engine.schedule.factory import NOW, problem, trip, two_level_tariff, vehicle

TARIFF = two_level_tariff(cheap_hours=(0, 4), cheap=0.10, dear=0.30)
W = ObjectiveWeights(target_reserve=0.0, wear_usd_per_kwh=0.0, dc_wear_extra_usd_per_kwh=0.0)
CREATED = datetime(2026, 1, 1, tzinfo=UTC)


def depot(name: str, needs_kwh: list[float], chargers: int = 1) -> PlanningProblem:
    """One depot ``name`` of vans charged from empty for a trip at 06:00 needing ``needs_kwh`` (10 kW AC)."""
    vans = [vehicle(i, battery=60.0) for i in range(len(needs_kwh))]
    trips = [trip(i, 6.0, e) for i, e in enumerate(needs_kwh)]
    p = problem(vans, trips, [0.0] * len(vans), n_ac=chargers)
    return relabel(p, name)


def relabel(p: PlanningProblem, name: str) -> PlanningProblem:
    """Depot ``d`` of a factory problem renamed ``name``, vehicle, charger and trip ids prefixed with it."""
    vid = {v.id: f"{name}-{v.id}" for v in p.vehicles}
    return p.model_copy(
        update={
            "depots": [p.depots[0].model_copy(update={"id": name})],
            "vehicles": [v.model_copy(update={"id": vid[v.id], "depot_id": name}) for v in p.vehicles],
            "chargers": [c.model_copy(update={"id": f"{name}-{c.id}", "depot_id": name}) for c in p.chargers],
            "trips": [
                t.model_copy(update={"id": f"{name}-{t.id}", "depot_id": name, "vehicle_id": vid[t.vehicle_id]})
                for t in p.trips
            ],
            "states": [s.model_copy(update={"vehicle_id": vid[s.vehicle_id], "depot_id": name}) for s in p.states],
        }
    )


def together(*parts: PlanningProblem) -> PlanningProblem:
    """One problem holding every part's depots, vehicles, chargers, trips and states."""
    first = parts[0]
    return PlanningProblem.model_validate(
        first.model_copy(
            update={k: [i for p in parts for i in getattr(p, k)] for k in ("depots", "vehicles", "chargers", "trips")}
            | {"states": [s for p in parts for s in p.states]}
        ).model_dump(by_alias=True)
    )


def run(p: PlanningProblem, **kw):
    return decide(p, weights=W, tariff=TARIFF, created=CREATED, **kw)


def same(a, b) -> list[str]:
    return json_differences(a.model_dump(mode="json"), b.model_dump(mode="json"))


def test_depots_sharing_nothing_are_groups_of_their_own_and_a_borrowed_vehicle_joins_two():
    a, b, c = depot("a", [20.0]), depot("b", [20.0]), depot("c", [20.0])
    assert depot_groups(together(a, b, c)) == [("a",), ("b",), ("c",)]
    # c's trip driven by a's van: a and c plan together, listed in problem order
    borrowed = c.model_copy(update={"trips": [c.trips[0].model_copy(update={"vehicle_id": "a-v0"})]})
    assert depot_groups(together(a, b, borrowed)) == [("a", "c"), ("b",)]
    part = depot_problem(together(a, b, c), ("b",))
    assert [v.id for v in part.vehicles] == ["b-v0"] and [t.id for t in part.trips] == ["b-t0"]
    assert [c.id for c in part.chargers] == ["b-ac0"] and [s.vehicle_id for s in part.states] == ["b-v0"]


def test_merged_decision_adds_up_the_depots_each_planned_alone():
    # by hand: depot a charges 20 kWh, depot b 30 kWh, all inside the 4 cheap hours at $0.10 (10 kW x 4 h = 40
    # kWh per van fits): energy $2.00 + $3.00
    a, b = depot("a", [20.0]), depot("b", [30.0])
    merged = run(together(a, b))
    alone = [run(a), run(b)]
    assert merged.cost.energy_usd == pytest.approx(5.00, abs=1e-6)
    assert merged.cost.bill_usd == pytest.approx(sum(d.cost.bill_usd for d in alone), abs=1e-9)
    assert [v.vehicle_id for v in merged.plan.vehicles] == ["a-v0", "b-v0"]
    for d in alone:
        for vp in d.plan.vehicles:
            mine = next(m for m in merged.plan.vehicles if m.vehicle_id == vp.vehicle_id)
            assert mine.power_kw == vp.power_kw
    assert merged.plan.depot_load_kw == {"a": alone[0].plan.depot_load_kw["a"], "b": alone[1].plan.depot_load_kw["b"]}
    assert merged.plan.site_load_kw == pytest.approx(
        [x + y for x, y in zip(alone[0].plan.site_load_kw, alone[1].plan.site_load_kw, strict=True)]
    )
    assert merged.solver.bound == pytest.approx(sum(d.solver.bound for d in alone))
    assert [g.depots for g in merged.trace.depot_groups] == [["a"], ["b"]]
    assert merged.decision_id not in {d.decision_id for d in alone}  # the whole problem's id


def test_a_depot_short_of_energy_shows_in_the_merged_status_and_violations():
    # depot b's van needs 55 kWh by 06:00 at 10 kW: 60 kWh possible but only from slot 0 on a shared charger
    # with a second van needing 40 kWh: at most 60 kWh for 95 kWh asked, so b is short and a is not
    a, b = depot("a", [20.0]), depot("b", [55.0, 40.0])
    merged = run(together(a, b))
    short = {v.vehicle_id for v in merged.violations}
    assert short and short <= {"b-v0", "b-v1"}
    assert sum(v.shortfall_kwh for v in merged.violations) == pytest.approx(95.0 - 60.0, abs=1e-3)


def test_process_pool_gives_the_serial_decision():
    p = together(depot("a", [20.0, 30.0]), depot("b", [25.0, 35.0, 10.0]), depot("c", [40.0]))
    serial = run(p)
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        pooled = run(p, executor=pool)
    assert same(serial, pooled) == []
    assert serial.decision_id == pooled.decision_id


def test_dask_local_cluster_gives_the_serial_decision():
    distributed = pytest.importorskip("distributed")
    p = together(depot("a", [20.0, 30.0]), depot("b", [25.0, 35.0, 10.0]))
    serial = run(p)
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        on_cluster = run(p, executor=client)
        single = run(depot("a", [20.0, 30.0]), executor=client)  # one depot: the whole problem is one task
    assert same(serial, on_cluster) == []
    assert same(run(depot("a", [20.0, 30.0])), single) == []


def test_previous_plan_is_split_with_its_depots():
    p = together(depot("a", [20.0]), depot("b", [30.0]))
    first = run(p)
    later = p.model_copy(update={"now": NOW + timedelta(minutes=15)})
    again = run(later, previous=first.plan)
    assert again.trace.previous_plan_hash is not None
    assert [g.depots for g in again.trace.depot_groups] == [["a"], ["b"]]
