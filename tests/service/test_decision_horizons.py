"""What ``/v1/kpis`` reads decisions by (``service/decision_horizons.py``): each decision's planning time and last
departure, written with it and backfilled by revision 0005; a decision that cannot plan a departure in the
period is not read."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

from sqlalchemy import select

from engine.timezones import as_utc
from service.decision_horizons import decision_horizons, horizon_of
from service.store import Store
from tests.engine.schedule.factory import NOW
from tests.service.conftest import small_problem
from tests.service.test_store import row


def test_the_horizon_is_now_and_the_latest_departure_of_a_trip_with_a_vehicle() -> None:
    p = small_problem(2, hours=6.0)  # t1 and t2 leave 6 h after NOW
    unassigned = p.trips[0].model_copy(update={"id": "t9", "vehicle_id": None, "departure": NOW + timedelta(hours=30)})
    assert horizon_of(p.model_copy(update={"trips": [*p.trips, unassigned]})) == {
        "planned_at": NOW,
        "last_departure": NOW + timedelta(hours=6),
    }
    assert horizon_of(p.model_copy(update={"trips": [unassigned]}))["last_departure"] is None


def test_only_decisions_that_can_plan_a_departure_in_the_period_are_read(store: Store) -> None:
    """The period is NOW to NOW + 8 h; a decision is read if planned before its end with a departure at or after
    its start, or if it has no horizon row (stored before it and not backfilled)."""

    def add(decision_id: str, now_h: float, last_h: float | None, depot: str = "d") -> None:
        r = row(decision_id, NOW + timedelta(hours=now_h), depots=(depot,))
        last = None if last_h is None else NOW + timedelta(hours=last_h)
        r["horizon"] = {"planned_at": NOW + timedelta(hours=now_h), "last_departure": last}
        store.add_decision("acme", r)

    add("before", -30, -20)  # every departure before the period
    add("during", -2, 5)
    add("inside", 1, 30)
    add("after", 10, 20)  # planned after the period
    add("no_trips", 0, None)
    add("other_depot", 0, 5, depot="e")
    add("at_the_end", 8, 9)  # planned at the period's end, which is not in it
    add("last_at_the_start", -5, 0)
    store.add_decision("acme", row("unknown", NOW + timedelta(minutes=30)))  # no horizon row
    got = store.decisions_planning("acme", "d", NOW, NOW + timedelta(hours=8))
    assert [d.decision_id for d in got] == ["inside", "unknown", "during", "last_at_the_start"]  # newest first


def test_revision_0005_backfills_the_decisions_stored_before_it(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr("service.decision_horizons.BACKFILL_PAGE", 1)  # a page per decision: the paging walks on
    db = tmp_path / "h.db"
    store = Store(f"sqlite:///{db}")
    r = row("d1", NOW)
    r["problem"] = small_problem(2, hours=6.0).model_dump(mode="json", by_alias=True)
    store.add_decision("acme", r)
    store.add_decision("acme", row("d2", NOW))  # its stored problem does not validate: no row, read as before
    r["decision_id"] = "d3"
    store.add_decision("acme", r)
    store.dispose()
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TABLE decision_horizons")
        conn.execute("UPDATE alembic_version SET version_num = '0004'")
    again = Store(f"sqlite:///{db}")
    with again.engine.connect() as conn:
        rows = conn.execute(select(decision_horizons)).mappings().all()
    assert [(r["decision_id"], as_utc(r["planned_at"]), as_utc(r["last_departure"])) for r in rows] == [
        ("d1", NOW, NOW + timedelta(hours=6)),
        ("d3", NOW, NOW + timedelta(hours=6)),
    ]
    period = again.decisions_planning("acme", "d", NOW + timedelta(hours=7), NOW + timedelta(hours=9))
    assert [d.decision_id for d in period] == ["d2"]  # d1's departures end at NOW + 6 h
