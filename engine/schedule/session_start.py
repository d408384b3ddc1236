"""A first incumbent for the session-choice MIP, so HiGHS does not search for one itself.

HiGHS's bound on the session MIP is usually the LP's cost already; what takes its time is finding a good
integer solution (on the demo depot under the courier policy it spent 30 of 33 s in root cut rounds holding a
first incumbent 18 times the optimum). Candidates here, each a set of chosen sessions that respects every
pool's size (sessions are tried in an order and kept only if every slot of theirs still has a free charger):

- *greedy*, in four orders (longest need first, least laxity first, earliest deadline first, largest
  LP energy covered): each dwell takes the option covering most of its LP energy on its pool;
- *rounded*: options taken by decreasing value in the MIP's LP relaxation, the rest greedily.

Each candidate is priced by the LP with its sessions fixed (one HiGHS instance, restarted from its last basis),
the cheapest becomes the MIP's starting solution. A candidate is a feasible plan, so the MIP's answer is never
worse than it; with or without a start, the MIP's optimum is the same, only found sooner.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo

from engine.schedule.extract import Solution
from engine.schedule.handover import HighsLP
from engine.schedule.inputs import ScheduleInputs
from engine.schedule.sessions import Need, options_of

Choice = dict[int, int]  # need index -> option index


@dataclass
class SessionStart:
    """The chosen start: where it came from, its LP cost [$], the x values and how long finding it took [s]."""

    source: str
    objective: float
    values: dict[tuple[int, int], float]
    seconds: float


class _Occupancy:
    """Sessions per (pool, slot) so far, against the pool sizes."""

    def __init__(self, x: ScheduleInputs) -> None:
        self.size = {p.id: len(p.chargers) for p in x.pools}
        self.used: dict[tuple[str, int], int] = {}

    def fits(self, pool: str, start: int, length: int) -> bool:
        return all(self.used.get((pool, t), 0) < self.size[pool] for t in range(start, start + length))

    def take(self, pool: str, start: int, length: int) -> None:
        for t in range(start, start + length):
            self.used[pool, t] = self.used.get((pool, t), 0) + 1


def _covered(need: Need, sol: Solution, start: int, length: int) -> float:
    """LP power [kW x slots] of the need's vehicle on its pool inside ``[start, start + length)``."""
    kw = sol.power[need.vehicle.vehicle.id].get(need.pool)
    return 0.0 if kw is None else float(kw[start : start + length].sum())


def _fill(
    choice: Choice, order: list[int], needs: list[Need], options: list[list[tuple[int, int]]], sol: Solution, occ
) -> Choice:
    """Give each need in ``order`` without a session the fitting option covering most LP energy (ties: shorter,
    earlier)."""
    for k in order:
        if k in choice:
            continue
        best = None
        for o, (start, length) in enumerate(options[k]):
            if occ.fits(needs[k].pool, start, length):
                score = (_covered(needs[k], sol, start, length), -length, -start)
                if best is None or score > best[0]:
                    best = (score, o)
        if best is not None:
            choice[k] = best[1]
            occ.take(needs[k].pool, *options[k][best[1]])
    return choice


def greedy_orders(needs: list[Need], sol: Solution) -> dict[str, list[int]]:
    """The orders in which greedy candidates place sessions (deterministic: ties by need index)."""
    ks = range(len(needs))
    span = [n.dwell[1] - n.dwell[0] for n in needs]
    energy = [_covered(n, sol, *n.dwell) for n in needs]
    return {
        "greedy_longest": sorted(ks, key=lambda k: (-needs[k].slots, k)),
        "greedy_least_laxity": sorted(ks, key=lambda k: (span[k] - needs[k].slots, k)),
        "greedy_deadline": sorted(ks, key=lambda k: (needs[k].dwell[1], k)),
        "greedy_energy": sorted(ks, key=lambda k: (-energy[k], k)),
    }


def _rounded(
    relaxed: dict[tuple[int, int], float], needs: list[Need], options, sol: Solution, x: ScheduleInputs, order
) -> Choice:
    """Options by decreasing relaxation value while they fit, then the greedy fill."""
    occ, choice = _Occupancy(x), {}
    for _value, k, o in sorted(((v, k, o) for (k, o), v in relaxed.items() if v > 1e-6), key=lambda c: (-c[0], c[1:])):
        if k not in choice and occ.fits(needs[k].pool, *options[k][o]):
            choice[k] = o
            occ.take(needs[k].pool, *options[k][o])
    return _fill(choice, order, needs, options, sol, occ)


def session_start(m: pyo.ConcreteModel, x: ScheduleInputs, needs: list[Need], sol: Solution) -> SessionStart | None:
    """The cheapest candidate (module doc) for a model that has the session choice added; None if no candidate
    prices (it cannot happen for a feasible model: choosing no session at all is always a plan)."""
    if not needs:
        return None
    t0 = time.perf_counter()
    options = [options_of(n) for n in needs]
    keys = list(m.N)
    xs = [m.x[k] for k in keys]
    lp = HighsLP(m)
    lp.relax_integrality()
    status, _objective, _bound = lp.run()
    relaxed = dict(zip(keys, lp.values(xs).tolist(), strict=True)) if status == "optimal" else {}
    orders = greedy_orders(needs, sol)
    candidates = {name: _fill({}, order, needs, options, sol, _Occupancy(x)) for name, order in orders.items()}
    if relaxed:
        candidates["rounded_relaxation"] = _rounded(relaxed, needs, options, sol, x, orders["greedy_longest"])
    best: SessionStart | None = None
    seen: set[tuple] = set()
    for name, choice in candidates.items():
        key = tuple(sorted(choice.items()))
        if key in seen:
            continue
        seen.add(key)
        values = [1.0 if choice.get(k) == o else 0.0 for k, o in keys]
        lp.fix_columns(xs, values)
        status, objective, _bound = lp.run()
        if objective is not None and (best is None or objective < best.objective - 1e-9):
            best = SessionStart(name, objective, dict(zip(keys, values, strict=True)), 0.0)
    if best is not None:
        best.seconds = time.perf_counter() - t0
    return best


def start_arrays(m: pyo.ConcreteModel, start: SessionStart) -> tuple[list, np.ndarray]:
    """The start as (variables, values) for :meth:`HighsLP.set_start`."""
    keys = list(start.values)
    return [m.x[k] for k in keys], np.asarray([start.values[k] for k in keys])
