"""Schneider E-VRPTW: the published partial-recharge best-known routes evaluate to the published distances and
hold (battery, windows, load); broken variants are refused with the stop and the amount."""

import csv
from pathlib import Path

import pytest

from engine.errors import InputError
from engine.routing.evrptw import evaluate, read_schneider, split_routes

DATA = Path(__file__).resolve().parents[2] / "data" / "evrp" / "schneider"
BKS = {
    r["INSTANCE"]: r
    for r in csv.DictReader(
        (DATA / "evrptw_PR_partial_recharge_BKS_Erdelic2022_with_routes.tsv").open(), delimiter="\t"
    )
}


@pytest.mark.parametrize("name", ["C101", "C103", "R101", "RC201"])
def test_best_known_routes_evaluate_to_the_published_distance(name: str) -> None:
    inst = read_schneider(DATA / f"{name.lower()}_21.txt")
    routes = split_routes(BKS[name]["CONFIGURATION"])
    assert len(routes) == int(BKS[name]["NUM_VEHICLES"])
    evaluations = [evaluate(inst, r) for r in routes]
    assert all(e.feasible for e in evaluations), [e.reasons for e in evaluations if e.reasons]
    assert sum(e.distance for e in evaluations) == pytest.approx(float(BKS[name]["TOTAL_DISTANCE"]), abs=1e-3)
    # the least recharge that keeps the windows: never more than the published solution took
    assert sum(e.charged for e in evaluations) <= float(BKS[name]["RECHARGING_AMOUNT"]) + 1e-6


def test_charging_in_waiting_time_is_what_makes_a_route_hold() -> None:
    """R101's route through S17 twice: charging only what reaches the next station makes C41 late; the LP
    charges more at the first visit, where the van waits for C23's window anyway."""
    inst = read_schneider(DATA / "r101_21.txt")
    route = ["D0", "C21", "C39", "C56", "S17", "C23", "C67", "S17", "C41", "D0"]
    assert evaluate(inst, route).feasible


def test_broken_variants_say_where_and_how_much() -> None:
    inst = read_schneider(DATA / "r101_21.txt")
    no_station = ["D0", "C21", "C39", "C56", "C23", "C67", "C41", "D0"]
    e = evaluate(inst, no_station)
    assert not e.feasible and e.reasons[0].startswith("D0 to D0: needs") and "more than a full battery" in e.reasons[0]
    swapped = ["D0", "C21", "C39", "C56", "S17", "C67", "C23", "S17", "C41", "D0"]
    e = evaluate(inst, swapped)
    assert not e.feasible and any(r.startswith("C23: arrives at least") for r in e.reasons)


def test_a_bad_line_is_named(tmp_path: Path) -> None:
    f = tmp_path / "x.txt"
    f.write_text("StringID Type x y demand ReadyTime DueDate ServiceTime\nD0 d 1 2 oops 0 10 0\n")
    with pytest.raises(InputError) as err:
        read_schneider(f)
    assert f"{f}:2" in str(err.value)
