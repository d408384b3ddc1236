"""Runs the engine for the API, off the event loop: exactly :func:`service.decisions.plan_here`
(``engine.decision.decide``, the function the CLI and the notebooks call). Each solve runs in a process of its own (:mod:`service.solver_processes`: its own
durable-rules host and HiGHS, killed when its client leaves), on a Dask cluster when one is configured, or in a
thread when ``solver_workers`` is 0."""

from __future__ import annotations

import asyncio
from concurrent.futures import Executor, ThreadPoolExecutor
from datetime import datetime
from functools import partial

from engine.domain import PlanningProblem
from engine.policy.schema import Policy
from engine.results import Decision
from service.decisions import plan_here
from service.solver_processes import SolverCrashed, SolverProcesses


class Planner:
    """Off-loop solving: each decision in a process of its own (:mod:`service.solver_processes`), on a Dask
    cluster when ``dask_scheduler`` names one, or in one thread when ``workers`` is 0 (tests)."""

    def __init__(
        self, workers: int, time_limit_s: float, dask_scheduler: str | None = None, dask_connect_s: float = 10.0
    ) -> None:
        self.time_limit_s = time_limit_s
        self.client = None
        self.processes: SolverProcesses | None = None
        self.executor: Executor | None = None
        if dask_scheduler:
            # each decision's depot groups go to the cluster (engine.decision.decide's executor); here a thread
            # per decision only splits and merges, so durable-rules never runs in this process
            self.client = cluster_client(dask_scheduler, dask_connect_s)
            self.executor = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="solve")
        elif workers > 0:
            self.processes = SolverProcesses(workers, kill_after_s=hard_limit(time_limit_s))
        else:
            self.executor = _one_thread()

    async def decide(self, problem: PlanningProblem, policy: Policy, strategy: str, created: datetime) -> Decision:
        """:func:`service.decisions.plan_here` (``engine.decision.decide`` with the shipped tariff) off the event
        loop."""
        if self.processes is not None:
            return await self.processes.run(plan_here, problem, policy, strategy, self.time_limit_s, created)
        if self.executor is None:  # closed, and not opened again
            raise SolverCrashed("the service is shutting down")
        job = partial(plan_here, problem, policy, strategy, self.time_limit_s, created, self.client)
        return await asyncio.get_running_loop().run_in_executor(self.executor, job)

    def state(self) -> dict:
        """The solver's state for ``/health``."""
        if self.processes is not None:
            return self.processes.state()
        kind = "dask cluster" if self.client is not None else "thread"
        return {"kind": kind, "accepting": True}

    def ready(self) -> bool:
        """Whether a new decision can start solving now."""
        return self.processes.ready() if self.processes is not None else True

    def open(self) -> None:
        """Take solves again after :meth:`close` (the app's startup hook: an ASGI app may be started and stopped
        more than once in a process, as test clients do per request). A Dask client, once closed, stays closed."""
        if self.processes is not None:
            self.processes.open()
        elif self.client is None and self.executor is None:
            self.executor = _one_thread()

    def close(self) -> None:
        """Stop the solves (and leave the cluster)."""
        if self.processes is not None:
            self.processes.close()
        if self.executor is not None:
            self.executor.shutdown(wait=False, cancel_futures=True)
            if self.client is None:
                self.executor = None
        if self.client is not None:
            self.client.close()


def _one_thread() -> ThreadPoolExecutor:
    """The in-process solver of ``workers = 0``: one thread, because durable-rules keeps one native host per process
    and policy evaluations must not overlap."""
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="solve")


def hard_limit(time_limit_s: float) -> float:
    """When a solve is killed [s]: the wall-clock safety net applies to each HiGHS run, a decision makes
    several, so four times it and at least two minutes."""
    return max(120.0, 4 * time_limit_s)


def cluster_client(address: str, connect_s: float = 10.0):
    """A ``dask.distributed.Client`` on the scheduler at ``address``; a clear error if it does not answer within
    ``connect_s`` [s]."""
    from distributed import Client  # imported only where a cluster is configured

    try:
        return Client(address, timeout=f"{connect_s:g}s", set_as_default=False)
    except (OSError, TimeoutError) as err:
        raise RuntimeError(f"FLEETCHARGE_DASK_SCHEDULER: no Dask scheduler answers at {address!r} ({err})") from err
