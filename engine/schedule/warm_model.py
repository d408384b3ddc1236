"""The scheduler's use of a warm re-solve (:class:`engine.optim.warm.WarmStart`): the LP keeps its structure while
only the vehicles' starting energies ``e0`` change (a SOC update), and a re-plan re-fixes ``e[v, start]``.

A warm re-plan is optimal for its input like a cold one; where several plans cost exactly the same, HiGHS may
return another of them than a cold solve would, so decisions meant to be replayed bit for bit are made cold.
"""

from __future__ import annotations

import hashlib
import pickle

import numpy as np
import pyomo.environ as pyo

from engine.optim.handover import HighsLP
from engine.optim.warm import WarmStart
from engine.schedule.inputs import ScheduleInputs
from engine.schedule.model import create_model


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


def warm_model(warm: WarmStart, x: ScheduleInputs) -> tuple[pyo.ConcreteModel, HighsLP]:
    """The kept LP of ``warm`` with ``e[v, start] = e0`` re-fixed for every vehicle, or a new one built from ``x``."""

    def refix(m: pyo.ConcreteModel) -> list:
        starts = []
        for vi in x.vehicles:
            marks = m._energy_marks.get(vi.vehicle.id)
            if marks:
                start = m.e[vi.vehicle.id, marks[0]]
                start.fix(vi.e0_kwh)
                starts.append(start)
        return starts

    return warm.model_for(structure_key(x), lambda: create_model(x), refix)
