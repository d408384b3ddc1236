"""Warm re-solving: keep the last LP model and its HiGHS instance while the next one differs only in the bounds
of some variables (for the scheduler: the vehicles' starting energy after a SOC update), so a re-solve re-fixes
those columns in the kept HiGHS instance (:class:`engine.optim.handover.HighsLP`) and HiGHS restarts from its
last basis instead of building, handing over and solving anew. What counts as the same structure is the caller's
key (the scheduler's: :func:`engine.schedule.warm_model.structure_key`). The cache is owned by the caller (an
online re-planning loop, a benchmark).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pyomo.environ as pyo
from pyomo.core.base.var import VarData

from engine.optim.handover import HighsLP


@dataclass
class WarmStart:
    """The kept model, its solver and what it was built from; ``hits`` counts warm re-plans."""

    model: pyo.ConcreteModel | None = None
    solver: HighsLP | None = None
    key: str | None = None
    hits: int = 0
    misses: int = 0
    history: list[str] = field(default_factory=list)

    def model_for(
        self,
        key: str,
        build: Callable[[], pyo.ConcreteModel],
        refix: Callable[[pyo.ConcreteModel], list[VarData]],
    ) -> tuple[pyo.ConcreteModel, HighsLP]:
        """The kept model and HiGHS instance if ``key`` matches the kept one, after ``refix(model)`` changed the
        bounds of the variables it returns; else a new model from ``build()``."""
        if self.model is not None and self.solver is not None and key == self.key:
            self.solver.update_bounds(refix(self.model))
            self.hits += 1
            self.history.append("warm")
            return self.model, self.solver
        self.model = build()
        self.solver, self.key = HighsLP(self.model), key
        self.misses += 1
        self.history.append("cold")
        return self.model, self.solver

    def forget(self) -> None:
        """Drop the kept model (it was changed beyond an LP, e.g. by the session-choice binaries)."""
        self.model = self.solver = self.key = None
