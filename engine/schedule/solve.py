"""Solve a model with HiGHS, deterministically (the array hand-over of :mod:`engine.schedule.handover`)."""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from engine.domain import SolverInfo
from engine.schedule.handover import HighsLP

SEED = 0
THREADS = 1


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
