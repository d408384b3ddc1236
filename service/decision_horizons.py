"""When each stored decision was planned and the last departure it plans for (revision ``0005``,
:mod:`service.migrations`), so ``/v1/kpis`` reads only the decisions that can plan a departure in its period
instead of parsing every decision of the depot (about 9 ms each for the demo depot's 68 vehicles: bench/RESULTS.md).

One row per decision, written in the same transaction (:meth:`service.store.Store.add_decision`) and never changed:
``planned_at`` is the problem's ``now``, ``last_departure`` the latest departure among its trips that have a
vehicle (NULL: none). A decision plans a departure ``d`` with ``start <= d < end`` only if
``planned_at < end`` and ``last_departure >= start`` (its departures lie in ``[now, last_departure]``)."""

from __future__ import annotations

import json
from datetime import datetime

from pydantic import ValidationError
from sqlalchemy import Column, Connection, DateTime, Index, MetaData, String, Table, insert, select

from engine.domain import PlanningProblem
from engine.timezones import as_utc
from service.tables import decisions

metadata = MetaData()
BACKFILL_PAGE = 200  # stored problems read at a time by the backfill [-]

decision_horizons = Table(
    "decision_horizons",
    metadata,
    Column("tenant", String(64), primary_key=True),
    Column("decision_id", String(64), primary_key=True),
    Column("planned_at", DateTime(timezone=True), nullable=False),
    Column("last_departure", DateTime(timezone=True), nullable=True),
    Index("horizons_by_tenant_departure", "tenant", "last_departure"),
)


def horizon_of(problem: PlanningProblem) -> dict[str, datetime | None]:
    """``planned_at`` and ``last_departure`` of a decision planned for ``problem`` (module doc)."""
    return {
        "planned_at": problem.now,
        "last_departure": max((t.departure for t in problem.trips if t.vehicle_id), default=None),
    }


def insert_horizon(conn: Connection, tenant: str, decision_id: str, horizon: dict[str, datetime | None]) -> None:
    """Write one decision's row (its times in UTC), inside the caller's transaction."""
    times = {k: None if t is None else as_utc(t) for k, t in horizon.items()}
    conn.execute(insert(decision_horizons).values(tenant=tenant, decision_id=decision_id, **times))


def backfill(conn: Connection) -> int:
    """A horizon row for every stored decision that has none, read from its problem; how many were written. A
    problem an older engine wrote that no longer validates gets none (the KPIs then read that decision, as
    before)."""
    have = {
        (r.tenant, r.decision_id)
        for r in conn.execute(select(decision_horizons.c.tenant, decision_horizons.c.decision_id))
    }
    c = decisions.c
    written, after = 0, -1
    while True:  # a page of problems at a time: a store may hold thousands, each tens of kB
        q = (
            select(c.id, c.tenant, c.decision_id, c.problem_json)
            .where(c.id > after)
            .order_by(c.id)
            .limit(BACKFILL_PAGE)
        )
        page = conn.execute(q).all()
        if not page:
            return written
        for row_id, tenant, decision_id, problem_json in page:
            after = row_id
            if (tenant, decision_id) in have:
                continue
            try:
                problem = PlanningProblem.model_validate(json.loads(problem_json))
            except (ValidationError, ValueError):
                continue
            insert_horizon(conn, tenant, decision_id, horizon_of(problem))
            written += 1
