"""Asynchronous plans (``POST /v1/decisions`` with ``Prefer: respond-async``) as durable jobs.

Each job is a DBOS workflow on the ``plans`` queue, kept in the job store: a SQLite file beside the decision store
(``fleetcharge.db`` -> ``fleetcharge-jobs.db``) or the decision store's own PostgreSQL database (DBOS's tables in
a schema of their own). A job accepted before a crash, a kill -9 or a restart is planned after the restart; its
decision is recorded once (decisions are content-addressed). At most ``solver_workers`` jobs run at once (one
when solves run in a thread); the others wait in the queue in order of arrival.

Job states, from DBOS's workflow status: ``queued`` (ENQUEUED), ``running`` (PENDING), ``done`` (SUCCESS, with
the decision id), ``failed`` (ERROR, with the message), ``cancelled`` (CANCELLED). A job id is derived from the
request's content (problem, policy and strategy hashes): the same request while its job is queued or running
gets that job back, never a second solve.

DBOS keeps one instance per process, so a process runs one job runner at a time (:meth:`JobRunner.start` refuses
a second). The workflow's only step runs the solve on the app's event loop (the planner's solver processes) and
records the decision; it waits in short slices so that a stopping runner leaves it unfinished: DBOS then still
holds the job as running and the next start plans it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from dbos import DBOS, SetWorkflowID

from engine import __version__
from engine.decision.identity import content_hash, problem_hash
from engine.domain import PlanningProblem
from engine.policy.schema import Policy
from service.decisions import record_decision
from service.planner import Planner
from service.store import Store

QUEUE = "plans"
APP_NAME = "fleetcharge"
POLL_S = 0.2  # how often the queue is polled for jobs to start [s]
WAIT_SLICE_S = 0.5  # a job's step checks this often whether the runner is stopping [s]

JobState = Literal["queued", "running", "done", "failed", "cancelled"]
STATES: dict[str, JobState] = {
    "ENQUEUED": "queued",
    "DELAYED": "queued",
    "PENDING": "running",
    "SUCCESS": "done",
    "ERROR": "failed",
    "MAX_RECOVERY_ATTEMPTS_EXCEEDED": "failed",
    "CANCELLED": "cancelled",
}


class UnknownJob(LookupError):
    """No job with this id for this tenant (the API answers 404)."""


class JobFinished(ValueError):
    """A job that is done, failed or cancelled cannot be cancelled (the API answers 409)."""


class RunnerStopping(RuntimeError):
    """The job runner stopped while a job was solving: the job stays running in the store and is planned again
    at the next start."""


@dataclass(frozen=True)
class Job:
    """A job as the API shows it."""

    job_id: str
    status: JobState
    created: datetime
    updated: datetime
    decision_id: str | None = None
    error: str | None = None


def request_key(problem: PlanningProblem, policy: Policy, strategy: str) -> str:
    """The content key of a plan request (problem, policy and strategy hashes, engine version): 20 hex digits."""
    text = f"{problem_hash(problem)}:{content_hash(policy)}:{strategy}:{__version__}"
    return hashlib.sha256(text.encode()).hexdigest()[:20]


class JobRunner:
    """The DBOS instance of this process, started and stopped with the app (module doc)."""

    def __init__(self, url: str, planner: Planner, store: Store, concurrency: int, metrics: Any = None) -> None:
        self.url, self.planner, self.store, self.metrics = url, planner, store, metrics
        self.concurrency = max(1, concurrency)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.stopping = threading.Event()

    async def start(self) -> None:
        """Launch DBOS on the job store (jobs left running or queued by the last process start again) and the
        queue."""
        global _runner
        if _runner is not None:
            raise RuntimeError("a job runner is already started in this process (DBOS keeps one instance)")
        self.loop = asyncio.get_running_loop()
        self.stopping.clear()
        _runner = self
        wal_mode(self.url)
        DBOS(
            config={
                "name": APP_NAME,
                "system_database_url": self.url,
                "application_version": __version__,  # a restart of the same release recovers its jobs
                "log_level": "WARNING",
                "run_admin_server": False,
            }
        )
        try:
            await asyncio.to_thread(DBOS.launch)
            await DBOS.register_queue_async(
                QUEUE, worker_concurrency=self.concurrency, polling_interval_sec=POLL_S, on_conflict="always_update"
            )
        except Exception:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop taking jobs; a job solving now stays running in the store (:class:`RunnerStopping`)."""
        global _runner
        if _runner is self:
            DBOS.destroy(workflow_completion_timeout_sec=0)
            _runner = None
        # only now: a step that gives up after DBOS let go of the job store cannot mark its job failed
        self.stopping.set()

    # -- the API's side ---------------------------------------------------------------------------------------

    async def submit(
        self, tenant: str, actor: str, problem: PlanningProblem, policy: Policy, policy_name: str, strategy: str
    ) -> Job:
        """Queue a plan request (or return the job already queued or running for the same request)."""
        key = request_key(problem, policy, strategy)
        active = await self._active(tenant, key)
        if active is not None:
            return active
        attempt = len(await DBOS.list_workflows_async(workflow_id_prefix=_workflow_id(tenant, key), load_input=False))
        job_id = key if attempt == 0 else f"{key}-{attempt}"
        request = {
            "problem": problem.model_dump(mode="json", by_alias=True),
            "policy": policy.model_dump(mode="json"),
            "policy_name": policy_name,
            "strategy": strategy,
        }
        with SetWorkflowID(_workflow_id(tenant, job_id)):
            await DBOS.enqueue_workflow_async(QUEUE, _plan_job, tenant, actor, request)  # type: ignore[arg-type]
        return await self.get(tenant, job_id)

    async def get(self, tenant: str, job_id: str) -> Job:
        """The job ``job_id`` of ``tenant``."""
        status = await DBOS.get_workflow_status_async(_workflow_id(tenant, job_id))
        if status is None:
            raise UnknownJob(f"no job {job_id!r} for tenant {tenant!r}")
        return _job(job_id, status)

    async def list(self, tenant: str, limit: int, offset: int) -> list[Job]:
        """The tenant's jobs, newest first."""
        rows = await DBOS.list_workflows_async(
            workflow_id_prefix=f"{_tenant_tag(tenant)}/", limit=limit, offset=offset, sort_desc=True, load_input=False
        )
        return [_job(r.workflow_id.split("/", 1)[1], r) for r in rows]

    async def cancel(self, tenant: str, job_id: str) -> Job:
        """Cancel a queued job (it never starts) or a running one (its solve finishes, nothing is recorded
        after it and the job stays cancelled)."""
        job = await self.get(tenant, job_id)
        if job.status not in ("queued", "running"):
            raise JobFinished(f"job {job_id!r} is {job.status}: only a queued or running job can be cancelled")
        await DBOS.cancel_workflow_async(_workflow_id(tenant, job_id))
        return await self.get(tenant, job_id)

    async def _active(self, tenant: str, key: str) -> Job | None:
        rows = await DBOS.list_workflows_async(
            workflow_id_prefix=_workflow_id(tenant, key), status=["ENQUEUED", "PENDING", "DELAYED"], load_input=False
        )
        return _job(rows[0].workflow_id.split("/", 1)[1], rows[0]) if rows else None

    # -- the job's side ---------------------------------------------------------------------------------------

    def plan(self, tenant: str, actor: str, request: dict[str, Any]) -> str:
        """Solve on the app's event loop (the planner), record the decision; its id."""
        problem = PlanningProblem.model_validate(request["problem"])
        policy = Policy.model_validate(request["policy"])
        strategy = request["strategy"]
        assert self.loop is not None
        future = asyncio.run_coroutine_threadsafe(
            self.planner.decide(problem, policy, strategy, datetime.now(UTC)), self.loop
        )
        while True:
            try:
                decision = future.result(timeout=WAIT_SLICE_S)
                break
            except TimeoutError:
                if self.stopping.is_set():
                    future.cancel()
                    raise RunnerStopping("the job runner stopped while this job was solving") from None
        if self.metrics is not None:
            self.metrics.solve.labels(strategy).observe(decision.solver.seconds)
        status = DBOS.get_workflow_status(DBOS.workflow_id or "")
        if status is not None and status.status == "CANCELLED":
            return ""  # cancelled while it solved: nothing is recorded
        stored = record_decision(self.store, tenant, actor, decision, problem, policy, request["policy_name"], strategy)
        return stored.decision_id


def wal_mode(url: str) -> None:
    """A SQLite job store in write-ahead-log mode (kept in the file): a commit is one fsync of the log instead of
    a rollback journal created, synced and deleted, and still survives a kill -9. Measured with 200 charger
    commands (bench/ocpp.py): see bench/RESULTS.md."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url.endswith(":memory:"):
        return
    with contextlib.closing(sqlite3.connect(url.removeprefix(prefix), timeout=30)) as conn:
        conn.execute("PRAGMA journal_mode=WAL")


_runner: JobRunner | None = None  # the started runner of this process (DBOS's own instance is one per process)


def _tenant_tag(tenant: str) -> str:
    """A fixed-length tag of the tenant for workflow ids: a tenant's prefix never starts another's (``a/`` would
    start ``a/b``'s)."""
    return hashlib.sha256(tenant.encode()).hexdigest()[:16]


def _workflow_id(tenant: str, job_id: str) -> str:
    return f"{_tenant_tag(tenant)}/{job_id}"


def _job(job_id: str, status: Any) -> Job:
    state = STATES.get(status.status, "failed")
    error = None
    if state == "failed":
        error = str(status.error) if status.error is not None else f"job ended as {status.status}"
    return Job(
        job_id=job_id,
        status=state,
        created=_time(status.created_at),
        updated=_time(status.updated_at or status.created_at),
        decision_id=status.output if state == "done" else None,
        error=error,
    )


def _time(epoch_ms: int | None) -> datetime:
    return datetime.fromtimestamp((epoch_ms or 0) / 1000, UTC)


@DBOS.step(name="fleetcharge.plan.solve_and_record")
def _solve_and_record(tenant: str, actor: str, request: dict[str, Any]) -> str:
    if _runner is None:
        raise RunnerStopping("no job runner is started in this process")
    return _runner.plan(tenant, actor, request)


@DBOS.workflow(name="fleetcharge.plan")
def _plan_job(tenant: str, actor: str, request: dict[str, Any]) -> str:
    """One asynchronous plan: solve and record in one step; the decision id."""
    return _solve_and_record(tenant, actor, request)
