"""Runs the engine for the API, off the event loop: exactly ``engine.decision.decide``, the function the CLI and
the notebooks call. Each solve runs in a process of its own (:mod:`service.solver_processes`: its own
durable-rules host and HiGHS, killed when its client leaves), on a Dask cluster when one is configured, or in a
thread when ``solver_workers`` is 0."""

from __future__ import annotations

import asyncio
import math
from concurrent.futures import Executor, ThreadPoolExecutor
from datetime import datetime
from functools import lru_cache, partial
from pathlib import Path

from engine.decision import decide
from engine.domain import Decision, PlanningProblem
from engine.errors import InputError, Problem
from engine.policy import check_policy_file
from engine.policy.schema import Mode, Policy
from engine.tariffs import Tariff, load_tariff
from engine.tariffs.files import TARIFF_DIR
from service.solver_processes import SolverProcesses

MODE_ORDER = ("shadow", "assisted", "automated")  # most restrictive first


class UnknownPolicy(LookupError):
    """A policy name that is not a file in the policies folder."""

    def __init__(self, name: str, available: list[str]) -> None:
        self.name, self.available = name, available
        super().__init__(f"unknown policy {name!r}; available: {', '.join(available)}")


def policy_names(folder: Path) -> list[str]:
    """Names of the policy files in ``folder`` (file stems), sorted."""
    return sorted(p.stem for p in folder.glob("*.yaml"))


@lru_cache(maxsize=64)
def _checked_policy(path: str, mtime_ns: int, size: int) -> tuple[Policy | None, tuple[Problem, ...]]:
    """A policy file checked once per version of the file (``mtime_ns`` and ``size`` are the cache key: an
    edited file is read again)."""
    policy, problems = check_policy_file(Path(path))
    return policy, tuple(problems)


@lru_cache(maxsize=64)
def _tariff_file(path: str, mtime_ns: int, size: int) -> Tariff:
    """A tariff file loaded once per version of the file."""
    return load_tariff(Path(path))


def _version(path: Path) -> tuple[str, int, int]:
    st = path.stat()
    return str(path), st.st_mtime_ns, st.st_size


def named_policy(folder: Path, name: str) -> Policy:
    """The policy file ``name`` of ``folder``; raises UnknownPolicy or InputError. Parsed once per version of the
    file (about 6 ms a request saved; the caller must not change the returned policy)."""
    names = policy_names(folder)
    if name not in names:
        raise UnknownPolicy(name, names)
    policy, problems = _checked_policy(*_version(folder / f"{name}.yaml"))
    if problems or policy is None:
        raise InputError(list(problems))
    return policy


def shipped_tariff(name: str) -> Tariff:
    """A tariff shipped in ``tariffs/`` by name; the API never reads other paths."""
    shipped = sorted(p.stem for p in TARIFF_DIR.glob("*.yaml"))
    stem = name.removesuffix(".yaml")
    if stem not in shipped:
        raise InputError([Problem(f"unknown tariff; shipped tariffs: {', '.join(shipped)}", "problem.tariff")])
    return _tariff_file(*_version(TARIFF_DIR / f"{stem}.yaml"))


def effective_mode(policy: Policy, problem: PlanningProblem) -> Mode:
    """The policy's mode for the problem's depots: a depot override wins; across depots the strictest holds."""
    modes = [policy.mode.depots.get(d.id, policy.mode.default) for d in problem.depots]
    return min(modes, key=MODE_ORDER.index)


def check_size(problem: PlanningProblem, max_vehicle_slots: int) -> None:
    """Refuse problems larger than the service is sized for (vehicles x slots)."""
    slots = math.ceil(problem.horizon_hours * 60 / problem.slot_minutes)
    size = max(len(problem.vehicles), 1) * slots
    if size > max_vehicle_slots:
        raise InputError(
            [
                Problem(
                    f"problem too large for this service: {len(problem.vehicles)} vehicles x {slots} slots = "
                    f"{size} > {max_vehicle_slots}; shorten the horizon, widen the slots or split the fleet",
                    "problem",
                )
            ]
        )


class Planner:
    """Off-loop solving: each decision in a process of its own (:mod:`service.solver_processes`), on a Dask
    cluster when ``dask_scheduler`` names one, or in one thread when ``workers`` is 0 (tests)."""

    def __init__(self, workers: int, time_limit_s: float, dask_scheduler: str | None = None) -> None:
        self.time_limit_s = time_limit_s
        self.client = None
        self.processes: SolverProcesses | None = None
        self.executor: Executor | None = None
        if dask_scheduler:
            # each decision's depot groups go to the cluster (engine.decision.decide's executor); here a thread
            # per decision only splits and merges, so durable-rules never runs in this process
            self.client = cluster_client(dask_scheduler)
            self.executor = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="solve")
        elif workers > 0:
            self.processes = SolverProcesses(workers, kill_after_s=hard_limit(time_limit_s))
        else:
            # one thread: durable-rules keeps one native host per process, so policy evaluations must not overlap
            self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="solve")

    async def decide(
        self, problem: PlanningProblem, policy: Policy, tariff: Tariff, strategy: str, created: datetime
    ) -> Decision:
        """``engine.decision.decide`` off the event loop."""
        kwargs = {
            "strategy": strategy,
            "tariff": tariff,
            "time_limit": self.time_limit_s,
            "created": created,
            "policy": policy,
        }
        if self.processes is not None:
            return await self.processes.run(decide, problem, **kwargs)
        job = partial(decide, problem, executor=self.client, **kwargs)
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

    def close(self) -> None:
        """Stop the solves (and leave the cluster)."""
        if self.processes is not None:
            self.processes.close()
        if self.executor is not None:
            self.executor.shutdown(wait=False, cancel_futures=True)
        if self.client is not None:
            self.client.close()


def hard_limit(time_limit_s: float) -> float:
    """When a solve is killed [s]: the wall-clock safety net applies to each HiGHS run, a decision makes
    several, so four times it and at least two minutes."""
    return max(120.0, 4 * time_limit_s)


def cluster_client(address: str):
    """A ``dask.distributed.Client`` on the scheduler at ``address``; a clear error if it does not answer."""
    from distributed import Client  # imported only where a cluster is configured

    try:
        return Client(address, timeout="10s", set_as_default=False)
    except (OSError, TimeoutError) as err:
        raise RuntimeError(f"FLEETCHARGE_DASK_SCHEDULER: no Dask scheduler answers at {address!r} ({err})") from err
