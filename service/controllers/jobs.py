"""``/v1/jobs``: asynchronous plans (``POST /v1/decisions`` with ``Prefer: respond-async``): read, list, cancel."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Litestar, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter
from litestar.status_codes import HTTP_200_OK

from service.auth import Principal
from service.jobs import Job, JobRunner, UnknownJob
from service.schemas import JobInfo, JobPage
from service.security import provide_principal, requires


def wants_async(prefer: str | None) -> bool:
    """Whether a ``Prefer`` header (RFC 7240: tokens separated by commas, parameters by semicolons) asks for
    ``respond-async``."""
    if not prefer:
        return False
    return any(part.split(";", 1)[0].strip().lower() == "respond-async" for part in prefer.split(","))


NO_JOB_STORE = "this service keeps no job store (its decision store is in memory), so it has no jobs"


def jobs_of(app: Litestar) -> JobRunner | None:
    """The app's job runner; None where the service keeps no job store: then ``Prefer: respond-async`` is not
    applied (RFC 7240 lets a server ignore a preference; no ``Preference-Applied`` header says so) and there are
    no jobs to read."""
    return app.state.jobs


def job_info(job: Job) -> JobInfo:
    """The API's view of a job, with the links to follow."""
    return JobInfo(
        job_id=job.job_id,
        status=job.status,
        created=job.created,
        updated=job.updated,
        decision_id=job.decision_id,
        decision_url=None if job.decision_id is None else f"/v1/decisions/{job.decision_id}",
        error=job.error,
        job_url=f"/v1/jobs/{job.job_id}",
    )


class JobController(Controller):
    """Asynchronous plans of the caller's tenant."""

    path = "/v1/jobs"
    tags = ["jobs"]
    dependencies = {"principal": Provide(provide_principal)}

    @get("/", operation_id="listJobs", summary="List asynchronous plans", guards=[requires("read")])
    async def list(
        self,
        request: Request,
        principal: NamedDependency[Principal],
        page: Annotated[int, QueryParameter(ge=1, le=1_000_000)] = 1,
        page_size: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> JobPage:
        """The tenant's jobs, newest first."""
        runner = jobs_of(request.app)
        offset = (page - 1) * page_size
        jobs = [] if runner is None else await runner.list(principal.tenant, limit=page_size, offset=offset)
        return JobPage(items=[job_info(j) for j in jobs], page=page, page_size=page_size)

    @get("/{job_id:str}", operation_id="getJob", summary="One asynchronous plan", guards=[requires("read")])
    async def get_one(self, request: Request, principal: NamedDependency[Principal], job_id: FromPath[str]) -> JobInfo:
        """queued, running, done (with the decision id and where to read it), failed (with why) or cancelled."""
        return job_info(await _runner(request.app, job_id).get(principal.tenant, job_id))

    @post(
        "/{job_id:str}/cancel",
        operation_id="cancelJob",
        summary="Cancel an asynchronous plan",
        guards=[requires("plan")],
        status_code=HTTP_200_OK,
    )
    async def cancel(self, request: Request, principal: NamedDependency[Principal], job_id: FromPath[str]) -> JobInfo:
        """A queued job never starts; a running one records nothing after its solve. A finished job answers 409."""
        return job_info(await _runner(request.app, job_id).cancel(principal.tenant, job_id))


def _runner(app: Litestar, job_id: str) -> JobRunner:
    runner = jobs_of(app)
    if runner is None:
        raise UnknownJob(f"no job {job_id!r}: {NO_JOB_STORE}")
    return runner
