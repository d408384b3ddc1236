"""Solve a model with HiGHS through Pyomo's direct (highspy) interface, deterministically."""

from __future__ import annotations

import time

import pyomo.environ as pyo
from pyomo.contrib.solver.common.results import SolutionStatus
from pyomo.contrib.solver.solvers.highs import Highs

from engine.domain import SolverInfo

SEED = 0
THREADS = 1


def solve(
    m: pyo.ConcreteModel, time_limit: float | None = None, mip_gap: float | None = None, solver: Highs | None = None
) -> SolverInfo:
    """Solve ``m`` in place (values loaded when a solution exists). Fixed seed and one thread: same plan.
    ``solver``: a kept HiGHS instance (persistent: it updates what changed and restarts from its last basis)."""
    options: dict = {"random_seed": SEED}
    if mip_gap is not None:
        options["mip_rel_gap"] = mip_gap
    t0 = time.perf_counter()
    result = (solver or Highs()).solve(
        m,
        threads=THREADS,
        time_limit=time_limit,
        solver_options=options,
        load_solutions=False,
        raise_exception_on_nonoptimal_result=False,
    )
    seconds = time.perf_counter() - t0
    status = result.solution_status
    if status in (SolutionStatus.optimal, SolutionStatus.feasible):
        result.solution_loader.load_vars()
    obj = result.incumbent_objective
    bound = result.objective_bound
    gap = None
    if obj is not None and bound is not None and abs(obj) > 1e-9:
        gap = max(0.0, abs(obj - bound) / abs(obj))
    return SolverInfo(status=status.name, gap=gap, seconds=seconds, objective=obj)
