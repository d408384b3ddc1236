"""Asynchronous plans (issue 18.1): ``Prefer: respond-async`` answers 202 with a durable job, the job ends done with
the decision it recorded, an identical request is answered from the store before anything is solved, cancel, fail,
tenants apart, and the limit past which a plan must go asynchronous."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import pytest
from litestar.testing import TestClient

from service import create_app
from service.settings import Settings
from service.solver_processes import SolverCrashed
from service.store import Store
from tests.service.conftest import Keys, request_body, small_problem

ASYNC = {"Prefer": "respond-async"}


@pytest.fixture
def job_client(store: Store, tmp_path) -> Iterator[TestClient]:
    settings = Settings(
        db_url="sqlite://",
        solver_workers=0,
        time_limit_s=30,
        max_sync_vehicle_slots=2_000,
        jobs_db_url=f"sqlite:///{tmp_path / 'jobs.db'}",
    )
    with TestClient(create_app(settings, store)) as c:
        yield c


def wait_done(client: TestClient, headers: dict, job_id: str, seconds: float = 60.0) -> dict:
    """Poll the job until it is no longer queued or running."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        job = client.get(f"/v1/jobs/{job_id}", headers=headers).json()
        if job["status"] not in ("queued", "running"):
            return job
        time.sleep(0.1)
    pytest.fail(f"job {job_id} still {job['status']} after {seconds} s")


class Gate:
    """Holds every solve of the app's planner until :meth:`open` (so jobs stay queued or running on cue)."""

    def __init__(self, client: TestClient) -> None:
        self.planner = client.app.state.planner
        self.real = self.planner.decide
        self.event = threading.Event()
        self.started = 0

        async def held(*args, **kwargs):
            self.started += 1
            while not self.event.is_set():
                await asyncio.sleep(0.02)
            return await self.real(*args, **kwargs)

        self.planner.decide = held

    def open(self) -> None:
        self.event.set()


def test_an_async_plan_answers_202_and_its_job_ends_done_with_the_decision(job_client, keys: Keys) -> None:
    body = request_body(small_problem())
    r = job_client.post("/v1/decisions", json=body, headers={**keys.planner, **ASYNC})
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["status"] in ("queued", "running") and job["decision_id"] is None
    assert r.headers["location"] == f"/v1/jobs/{job['job_id']}" == job["job_url"]
    assert r.headers["preference-applied"] == "respond-async"
    done = wait_done(job_client, keys.reader, job["job_id"])
    assert done["status"] == "done" and done["decision_url"] == f"/v1/decisions/{done['decision_id']}"
    stored = job_client.get(done["decision_url"], headers=keys.reader)
    assert stored.status_code == 200
    # the same decision a synchronous request makes (answered from the store, so compared by id and plan)
    sync = job_client.post("/v1/decisions", json=body, headers=keys.planner).json()
    assert sync["decision_id"] == done["decision_id"] and sync["plan"] == stored.json()["plan"]
    listed = job_client.get("/v1/jobs", headers=keys.reader).json()["items"]
    assert [j["job_id"] for j in listed] == [job["job_id"]]


def test_an_identical_request_is_answered_from_the_store_without_solving(job_client, keys: Keys) -> None:
    body = request_body(small_problem())
    first = job_client.post("/v1/decisions", json=body, headers=keys.planner)
    assert first.status_code == 201
    calls = []
    planner = job_client.app.state.planner

    async def refuse(*args, **kwargs):
        calls.append(args)
        raise AssertionError("solved again")

    planner.decide = refuse
    for headers in (keys.planner, {**keys.planner, **ASYNC}):
        again = job_client.post("/v1/decisions", json=body, headers=headers)
        assert again.status_code == 201 and again.json()["decision_id"] == first.json()["decision_id"]
        assert again.headers["location"] == f"/v1/decisions/{first.json()['decision_id']}"
    assert calls == []
    # another strategy is another request: it is planned (and here refused by the stub)
    other = request_body(small_problem(), strategy="edf")
    assert job_client.post("/v1/decisions", json=other, headers={**keys.planner, **ASYNC}).status_code == 202


def test_the_same_request_while_its_job_waits_gets_that_job(job_client, keys: Keys) -> None:
    gate = Gate(job_client)
    body = request_body(small_problem())
    a = job_client.post("/v1/decisions", json=body, headers={**keys.planner, **ASYNC}).json()
    b = job_client.post("/v1/decisions", json=body, headers={**keys.planner, **ASYNC}).json()
    assert a["job_id"] == b["job_id"]
    gate.open()
    assert wait_done(job_client, keys.reader, a["job_id"])["status"] == "done"
    assert len(job_client.get("/v1/jobs", headers=keys.reader).json()["items"]) == 1


def test_a_queued_job_cancelled_never_runs_and_a_finished_one_cannot_be_cancelled(job_client, keys: Keys) -> None:
    gate = Gate(job_client)  # one job at a time (solves in a thread): the second waits behind the first
    first = job_client.post("/v1/decisions", json=request_body(small_problem(2)), headers={**keys.planner, **ASYNC})
    second = job_client.post("/v1/decisions", json=request_body(small_problem(3)), headers={**keys.planner, **ASYNC})
    end = time.monotonic() + 30
    while gate.started == 0 and time.monotonic() < end:
        time.sleep(0.05)
    assert gate.started == 1
    b = second.json()["job_id"]
    assert job_client.get(f"/v1/jobs/{b}", headers=keys.reader).json()["status"] == "queued"
    cancelled = job_client.post(f"/v1/jobs/{b}/cancel", headers=keys.planner)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    gate.open()
    done = wait_done(job_client, keys.reader, first.json()["job_id"])
    assert done["status"] == "done"
    time.sleep(0.5)  # a queue poll or two: the cancelled job must not start
    assert job_client.get(f"/v1/jobs/{b}", headers=keys.reader).json()["status"] == "cancelled"
    assert gate.started == 1
    decisions = job_client.get("/v1/decisions", headers=keys.reader).json()
    assert [d["decision_id"] for d in decisions["items"]] == [done["decision_id"]]
    again = job_client.post(f"/v1/jobs/{b}/cancel", headers=keys.planner)
    assert again.status_code == 409 and "cancelled" in again.json()["detail"]
    assert job_client.post(f"/v1/jobs/{done['job_id']}/cancel", headers=keys.planner).status_code == 409


def test_a_failed_job_says_why_and_the_request_can_be_sent_again(job_client, keys: Keys) -> None:
    planner = job_client.app.state.planner
    real = planner.decide

    async def crash(*args, **kwargs):
        raise SolverCrashed("the solve process died (signal 9)")

    planner.decide = crash
    body = request_body(small_problem())
    job = job_client.post("/v1/decisions", json=body, headers={**keys.planner, **ASYNC}).json()
    failed = wait_done(job_client, keys.reader, job["job_id"])
    assert failed["status"] == "failed" and "signal 9" in failed["error"] and failed["decision_id"] is None
    planner.decide = real
    retry = job_client.post("/v1/decisions", json=body, headers={**keys.planner, **ASYNC}).json()
    assert retry["job_id"] != job["job_id"] and retry["job_id"].startswith(job["job_id"])
    assert wait_done(job_client, keys.reader, retry["job_id"])["status"] == "done"


def test_jobs_belong_to_their_tenant(job_client, keys: Keys) -> None:
    job = job_client.post("/v1/decisions", json=request_body(small_problem()), headers={**keys.planner, **ASYNC})
    job_id = job.json()["job_id"]
    assert job_client.get(f"/v1/jobs/{job_id}", headers=keys.other_tenant).status_code == 404
    assert job_client.post(f"/v1/jobs/{job_id}/cancel", headers=keys.other_tenant).status_code == 404
    assert job_client.get("/v1/jobs", headers=keys.other_tenant).json()["items"] == []
    assert job_client.post(f"/v1/jobs/{job_id}/cancel", headers=keys.reader).status_code == 403
    wait_done(job_client, keys.reader, job_id)


def test_past_the_synchronous_limit_a_plan_must_go_asynchronous(job_client, keys: Keys) -> None:
    """2,000 vehicle-slots here: 30 vans x 72 slots (18 h of 15 min) is 2,160."""
    body = request_body(small_problem(30, hours=17.0, energy=5.0))
    sync = job_client.post("/v1/decisions", json=body, headers=keys.planner)
    assert sync.status_code == 422
    message = sync.json()["errors"][0]["message"]
    assert "30 vehicles x 72 slots = 2160" in message and "Prefer: respond-async" in message
    job = job_client.post("/v1/decisions", json=body, headers={**keys.planner, **ASYNC})
    assert job.status_code == 202
    assert wait_done(job_client, keys.reader, job.json()["job_id"], seconds=120)["status"] == "done"


def test_without_a_job_store_the_preference_is_not_applied(client, keys: Keys) -> None:
    """An in-memory store keeps no jobs: the plan is made while the request waits (RFC 7240 lets a server ignore
    a preference; no Preference-Applied header) and there are no jobs to read."""
    r = client.post("/v1/decisions", json=request_body(small_problem()), headers={**keys.planner, **ASYNC})
    assert r.status_code == 201 and "preference-applied" not in r.headers
    assert client.get("/v1/jobs", headers=keys.reader).json()["items"] == []
    missing = client.get("/v1/jobs/abc", headers=keys.reader)
    assert missing.status_code == 404 and "no job store" in missing.json()["detail"]


def test_jobs_on_postgresql_are_kept_in_the_decision_store_database() -> None:
    """With the decision store on PostgreSQL the jobs live in the same database (DBOS's own schema); a tenant of
    this run only, so earlier runs' decisions are not found as identical requests."""
    import uuid

    from tests.service.conftest import bearer
    from tests.service.test_store import PG_URL, _pg_answers

    why = _pg_answers()
    if why:
        pytest.skip(why)
    store = Store(PG_URL)
    tenant = f"jobs-{uuid.uuid4().hex[:8]}"
    key = bearer(store.create_key(tenant, frozenset({"read", "plan"})))
    settings = Settings(db_url=PG_URL, solver_workers=0, time_limit_s=30)
    assert settings.job_store == PG_URL.replace("postgresql+psycopg://", "postgresql://")
    try:
        with TestClient(create_app(settings, store)) as c:
            r = c.post("/v1/decisions", json=request_body(small_problem()), headers={**key, **ASYNC})
            assert r.status_code == 202, r.text
            done = wait_done(c, key, r.json()["job_id"])
            assert done["status"] == "done"
            assert store.get_decision(tenant, done["decision_id"]) is not None
    finally:
        store.dispose()


def test_a_tenant_whose_name_starts_another_s_sees_only_its_own_jobs(job_client, store) -> None:
    """Tenants 'a' and 'a/b': one's jobs never list under the other's."""
    from tests.service.conftest import bearer

    a = bearer(store.create_key("a", frozenset({"read", "plan"})))
    ab = bearer(store.create_key("a/b", frozenset({"read", "plan"})))
    job = job_client.post("/v1/decisions", json=request_body(small_problem()), headers={**ab, **ASYNC}).json()
    assert job_client.get("/v1/jobs", headers=a).json()["items"] == []
    assert [j["job_id"] for j in job_client.get("/v1/jobs", headers=ab).json()["items"]] == [job["job_id"]]
    wait_done(job_client, ab, job["job_id"])
