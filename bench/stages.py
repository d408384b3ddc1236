"""Time the optimisation's stages for one problem: inputs, Pyomo build, hand-over to HiGHS, solve (values loaded).

Shared by ``scale.py`` and ``acn_2019_03.py``; no Plan, bill or explanations, so it is the optimisation alone.
"""

from __future__ import annotations

import time

from engine.domain import PlanningProblem
from engine.optim.handover import HighsLP
from engine.results import SolverInfo
from engine.schedule import ObjectiveWeights
from engine.schedule.inputs import build_inputs
from engine.schedule.model import create_model
from engine.tariffs import Tariff


def optimisation_stages(
    p: PlanningProblem, weights: ObjectiveWeights | None, tariff: Tariff
) -> tuple[dict[str, float], SolverInfo]:
    """Seconds per stage (``inputs``, ``build``, ``handover``, ``highs``, ``total``) [s] and the solver's answer."""
    t0 = time.perf_counter()
    x = build_inputs(p, weights, tariff)
    t1 = time.perf_counter()
    m = create_model(x)
    t2 = time.perf_counter()
    lp = HighsLP(m)
    t3 = time.perf_counter()
    info = lp.solve()
    t4 = time.perf_counter()
    return {"inputs": t1 - t0, "build": t2 - t1, "handover": t3 - t2, "highs": t4 - t3, "total": t4 - t0}, info
