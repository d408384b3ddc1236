"""Warm re-planning: keep the last LP model and its HiGHS instance when the next problem differs only in the
vehicles' starting energy (a SOC update), so a re-plan re-fixes ``e[v, start]`` (column bounds in the kept HiGHS
instance, :class:`engine.schedule.handover.HighsLP`) and HiGHS restarts from its last basis instead of building,
handing over and solving anew.

The cache is owned by the caller (an online re-planning loop, a benchmark); ``decide`` without one is unchanged.
A warm re-plan is optimal for its input like a cold one; where several plans cost exactly the same, HiGHS may
return another of them than a cold solve would, so decisions meant to be replayed bit for bit are made cold.
"""

from __future__ import annotations

import hashlib
import pickle
from dataclasses import dataclass, field

import numpy as np
import pyomo.environ as pyo

from engine.schedule.handover import HighsLP
from engine.schedule.inputs import ScheduleInputs


def structure_key(x: ScheduleInputs) -> str:
    """Hash of everything the LP is built from except the starting energies ``e0``."""
    parts: list = [x.dt_h, [str(t) for t in x.slot_starts], x.weights.model_dump_json()]
    for vi in x.vehicles:
        parts.append(
            (
                vi.vehicle.model_dump_json(),
                vi.e_max_kwh,
                vi.charge_slots,
                [
                    (d.trip.id, d.slot, d.return_slot, d.target_kwh, d.use_kwh, d.penalty_usd_per_kwh, d.hard)
                    for d in vi.departures
                ],
                sorted(vi.pool_kw.items()),
                sorted(vi.blocked),
                sorted(vi.off_preference),
            )
        )
    parts.append([(p.id, p.max_kw, p.chargers) for p in x.pools])
    for d in x.depots.values():
        parts.append(
            (d.depot_id, d.grid_limit_kw, d.building_kw.tobytes(), d.pv_kw.tobytes(), d.price.tobytes(), d.allow_export)
        )
        parts.append([(n, r, m.tobytes(), mo.tobytes(), b) for n, r, m, mo, b in d.demand])
    if x.previous is not None:
        parts.append(sorted((k, np.asarray(v).tobytes()) for k, v in x.previous.items()))
    return hashlib.sha256(pickle.dumps(parts)).hexdigest()


@dataclass
class WarmStart:
    """The kept model, its solver and what it was built from; ``hits`` counts warm re-plans."""

    model: pyo.ConcreteModel | None = None
    solver: HighsLP | None = None
    key: str | None = None
    hits: int = 0
    misses: int = 0
    history: list[str] = field(default_factory=list)

    def model_for(self, x: ScheduleInputs, build) -> tuple[pyo.ConcreteModel, HighsLP]:
        """The kept model and HiGHS instance with the new starting energies fixed, or new ones from
        ``build(x)``."""
        key = structure_key(x)
        if self.model is not None and self.solver is not None and key == self.key:
            starts = []
            for vi in x.vehicles:
                marks = self.model._energy_marks.get(vi.vehicle.id)
                if marks:
                    start = self.model.e[vi.vehicle.id, marks[0]]
                    start.fix(vi.e0_kwh)
                    starts.append(start)
            self.solver.update_bounds(starts)
            self.hits += 1
            self.history.append("warm")
            return self.model, self.solver
        self.model = build(x)
        self.solver, self.key = HighsLP(self.model), key
        self.misses += 1
        self.history.append("cold")
        return self.model, self.solver

    def forget(self) -> None:
        """Drop the kept model (it was changed beyond an LP, e.g. by the session-choice binaries)."""
        self.model = self.solver = self.key = None
