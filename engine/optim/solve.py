"""Solve a model with HiGHS, deterministically (the array hand-over of :mod:`engine.optim.handover`)."""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from engine.optim.handover import HighsLP
from engine.results import SolverInfo

SEED = 0
THREADS = 1


class SolverFailed(RuntimeError):
    """HiGHS returned no usable plan (infeasible, unbounded, numerical trouble): an outcome a caller may fall back
    from. Anything else raised while building or solving a model is a bug and is not caught as this."""


class SafetyNetFired(SolverFailed):
    """The wall-clock safety net stopped HiGHS before it had any plan."""


def solve(
    m: pyo.ConcreteModel,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    lp: HighsLP | None = None,
    start: tuple[list, np.ndarray] | None = None,
) -> SolverInfo:
    """Solve ``m`` in place (values loaded when a solution exists). Fixed seed and one thread: same plan.
    ``lp``: the model already inside a kept HiGHS instance (a warm re-plan restarts from its last basis).
    ``start``: (integer variables, values) of a feasible choice for a MIP, its first incumbent."""
    lp = lp or HighsLP(m)
    if start is not None:
        lp.set_start(*start)
    return lp.solve(time_limit, mip_gap, seed=SEED, threads=THREADS)
