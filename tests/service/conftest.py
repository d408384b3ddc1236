"""Fixtures for the decision API: a fresh SQLite store, an app that solves in a thread, keys for two tenants."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from litestar.testing import TestClient

from engine.domain import PlanningProblem
from service import create_app
from service.settings import Settings
from service.store import Store
from tests.engine.schedule.factory import problem, trip, vehicle


@dataclass
class Keys:
    """Bearer headers per role."""

    admin: dict[str, str]
    planner: dict[str, str]
    reader: dict[str, str]
    approver: dict[str, str]
    other_tenant: dict[str, str]


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def small_problem(n: int = 2, hours: float = 8.0, energy: float = 20.0) -> PlanningProblem:
    """``n`` 50 kWh vans at 10 % on one 19.2 kW AC charger each, leaving after ``hours`` under SCE TOU-8 D."""
    vehicles = [vehicle(i) for i in range(1, n + 1)]
    trips = [trip(i, hours, energy) for i in range(1, n + 1)]
    p = problem(vehicles, trips, [0.1] * n, n_ac=n, horizon_h=hours + 1)
    return p.model_copy(update={"tariff": "sce_tou_8_d"})


# a valid override of a small_problem decision: v1 on ac1 from 02:00 to 06:00 (a change every test can send)
OVERRIDE = {
    "changes": [
        {
            "vehicle_id": "v1",
            "charger_id": "ac1",
            "start": "2025-03-04T02:00:00-08:00",
            "end": "2025-03-04T06:00:00-08:00",
        }
    ],
    "reason": "r",
}


def request_body(p: PlanningProblem, policy: object = "courier", strategy: str | None = None) -> dict:
    body = {"problem": p.model_dump(mode="json", by_alias=True), "policy": policy}
    if strategy:
        body["strategy"] = strategy
    return body


@pytest.fixture
def store(tmp_path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path / 'api.db'}")
    yield s
    s.dispose()


@pytest.fixture
def keys(store: Store) -> Keys:
    return Keys(
        admin=bearer(store.create_key("acme", frozenset({"admin"}))),
        planner=bearer(store.create_key("acme", frozenset({"read", "plan"}))),
        reader=bearer(store.create_key("acme", frozenset({"read"}))),
        approver=bearer(store.create_key("acme", frozenset({"read", "approve"}))),
        other_tenant=bearer(store.create_key("globex", frozenset({"admin"}))),
    )


@pytest.fixture
def client(store: Store) -> Iterator[TestClient]:
    settings = Settings(db_url="sqlite://", solver_workers=0, time_limit_s=30, max_body_bytes=2_000_000)
    with TestClient(create_app(settings, store)) as c:
        yield c
