"""A first incumbent for the session-choice MIP, so HiGHS does not search for one itself.

HiGHS's bound on the session MIP is usually the LP's cost already; what takes its time is finding a good
integer solution (on the demo depot under the courier policy it spent 30 of 33 s in root cut rounds holding a
first incumbent 18 times the optimum). Candidates here, each a set of chosen sessions that respects every
pool's size (sessions are tried in an order and kept only if every slot of theirs still has a free charger):

- *greedy*, in four orders (longest need first, least laxity first, earliest deadline first, largest
  LP energy covered): each dwell takes the option covering most of its LP energy on its pool;
- *rounded*: options taken by decreasing value in the MIP's LP relaxation, the rest greedily;
- *dive*, when none of the above is within the MIP's gap of the relaxation's cost: the relaxation re-solved
  after each decision (every need whose best option is already 1 takes one, else the need with the largest
  fractional option), so later choices see the cost of earlier ones; needs the relaxation gives no session end
  without one. At most one re-solve per need, each from the last basis; which option a need takes:
  :func:`_dive`. When the LP crowds charging into a cheap window (no demand charge to spread it), the greedy
  candidates cut vehicles short and the dive is the one that stays near the LP's cost.

Each candidate is priced by the LP with its sessions fixed (one HiGHS instance, restarted from its last basis),
the cheapest becomes the MIP's starting solution. A candidate is a feasible plan, so the MIP's answer is never
worse than it; with or without a start, the MIP's optimum is the same, only found sooner.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo

from engine.optim.handover import HighsLP
from engine.schedule.extract import Solution
from engine.schedule.inputs import ScheduleInputs
from engine.schedule.sessions import SESSION_GAP, Need, options_of

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

    def __init__(self, x: ScheduleInputs, held: dict[tuple[str, int], int] | None = None) -> None:
        self.size = {p.id: len(p.chargers) for p in x.pools}
        self.used: dict[tuple[str, int], int] = dict(held or {})

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
    taken = {needs[k].key for k in choice}
    for k in order:
        if k in choice or needs[k].key in taken:  # one session per dwell, whatever the pool
            continue
        best = None
        for o, (start, length) in enumerate(options[k]):
            if occ.fits(needs[k].pool, start, length):
                score = (_covered(needs[k], sol, start, length), -length, -start)
                if best is None or score > best[0]:
                    best = (score, o)
        if best is not None:
            choice[k] = best[1]
            taken.add(needs[k].key)
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
    relaxed: dict[tuple[int, int], float],
    needs: list[Need],
    options,
    sol: Solution,
    x: ScheduleInputs,
    order,
    held: dict[tuple[str, int], int] | None,
) -> Choice:
    """Options by decreasing relaxation value while they fit, then the greedy fill."""
    occ, choice, taken = _Occupancy(x, held), {}, set()
    for _value, k, o in sorted(((v, k, o) for (k, o), v in relaxed.items() if v > 1e-6), key=lambda c: (-c[0], c[1:])):
        if k not in choice and needs[k].key not in taken and occ.fits(needs[k].pool, *options[k][o]):
            choice[k] = o
            taken.add(needs[k].key)
            occ.take(needs[k].pool, *options[k][o])
    return _fill(choice, order, needs, options, sol, occ)


def _dive(
    m: pyo.ConcreteModel,
    lp: HighsLP,
    keys: list[tuple[int, int]],
    xs: list,
    needs: list[Need],
    options: list[list[tuple[int, int]]],
    x: ScheduleInputs,
    held: dict[tuple[str, int], int] | None = None,
) -> Choice:
    """The dive of the module doc on ``lp`` (integrality relaxed, at the relaxation's vertex); bounds are left as
    it ends. A need takes, of the options the relaxation uses, the one covering most of the relaxation's power on
    the need's pool (the option it uses most can be too short: the relaxation adds power under a second,
    fractional one). Tried and dropped: the shortest option able to deliver that energy, placed where it covers
    most; never cheaper on the demo depot's five policy cases, and the dive's time doubled."""
    col = {k: j for j, k in enumerate(keys)}
    by_need: dict[int, list[int]] = {}
    for k, o in keys:
        by_need.setdefault(k, []).append(o)
    power_vars, power_at = [], []  # per need: (slot, position in power_vars) of its pool's power variables
    for n in needs:
        v, g = n.vehicle.vehicle.id, n.pool
        mine = [(t, m.p[v, g, t]) for t in range(*n.dwell) if (v, g, t) in m.p]
        power_at.append([(t, len(power_vars) + i) for i, (t, _var) in enumerate(mine)])
        power_vars += [var for _t, var in mine]
    occ, choice, taken = _Occupancy(x, held), {}, set()
    undecided = set(by_need)
    while undecided:
        values, power = lp.values(xs), lp.values(power_vars)
        top = {k: max(values[col[k, o]] for o in by_need[k]) for k in undecided}
        ranked = sorted(undecided, key=lambda k: (-top[k], k))
        if top[ranked[0]] <= 1e-6:
            break  # the relaxation serves none of the rest
        take = [k for k in ranked if top[k] >= 1 - 1e-6] or ranked[:1]
        fixed_vars, fixed_values = [], []
        for k in take:
            undecided.discard(k)
            kw = {t: power[i] for t, i in power_at[k]}
            used = [o for o in by_need[k] if values[col[k, o]] > 1e-6]
            o = max(used, key=lambda o, k=k, kw=kw: (_window(kw, options[k][o]), values[col[k, o]], -o))
            if needs[k].key not in taken and occ.fits(needs[k].pool, *options[k][o]):
                occ.take(needs[k].pool, *options[k][o])
                taken.add(needs[k].key)
                choice[k] = o
            for oo in by_need[k]:
                fixed_vars.append(xs[col[k, oo]])
                fixed_values.append(1.0 if choice.get(k) == oo else 0.0)
        lp.fix_columns(fixed_vars, fixed_values)
        if lp.run()[1] is None:
            break
    return choice


def _window(kw: dict[int, float], option: tuple[int, int]) -> float:
    """Power [kW x slots] inside an option's window."""
    start, length = option
    return sum(kw.get(t, 0.0) for t in range(start, start + length))


def session_start(
    m: pyo.ConcreteModel,
    x: ScheduleInputs,
    needs: list[Need],
    sol: Solution,
    gap: float = SESSION_GAP,
    held: dict[tuple[str, int], int] | None = None,
) -> SessionStart | None:
    """The cheapest candidate (module doc) for a model that has the session choice added; None if no candidate
    prices (it cannot happen for a feasible model: choosing no session at all is always a plan). The dive runs
    only when no other candidate is within ``gap`` (relative) of the relaxation's cost. ``held``: chargers
    already taken per (pool, slot) by windows outside the choice. Where needs carry windows already priced
    (``Need.kept``, the improvement step), those windows are the only candidate: the MIP starts from the plan
    it improves."""
    if not needs:
        return None
    t0 = time.perf_counter()
    options = [options_of(n) for n in needs]
    keys = list(m.N)
    xs = [m.x[k] for k in keys]
    lp = HighsLP(m)
    lp.relax_integrality()
    if any(n.kept is not None for n in needs):  # an improvement step: it starts from the plan it improves
        kept = {k: options[k].index(n.kept) for k, n in enumerate(needs) if n.kept is not None}
        best = _cheapest(lp, keys, xs, {"kept_windows": kept})
        if best is not None:
            best.seconds = time.perf_counter() - t0
        return best
    status, relaxed_cost, _bound = lp.run()
    relaxed = dict(zip(keys, lp.values(xs).tolist(), strict=True)) if status == "optimal" else {}
    relaxed_basis = lp.basis()
    orders = greedy_orders(needs, sol)
    candidates = {name: _fill({}, order, needs, options, sol, _Occupancy(x, held)) for name, order in orders.items()}
    if relaxed:
        candidates["rounded_relaxation"] = _rounded(relaxed, needs, options, sol, x, orders["greedy_longest"], held)
    best = _cheapest(lp, keys, xs, candidates)
    if (
        relaxed
        and relaxed_cost is not None
        and (best is None or best.objective > relaxed_cost + gap * abs(relaxed_cost))
    ):
        lp.update_bounds(xs)  # back to the relaxation and its optimal vertex (degenerate: another vertex would
        lp.set_basis(relaxed_basis)  # send the dive elsewhere)
        lp.run()
        dive = _cheapest(lp, keys, xs, {"lp_dive": _dive(m, lp, keys, xs, needs, options, x, held)})
        if dive is not None and (best is None or dive.objective < best.objective - 1e-9):
            best = dive
    if best is not None:
        best.seconds = time.perf_counter() - t0
    return best


def _cheapest(lp: HighsLP, keys: list[tuple[int, int]], xs: list, candidates: dict[str, Choice]) -> SessionStart | None:
    """Each distinct candidate priced by the LP with its sessions fixed; the cheapest (first on ties)."""
    best: SessionStart | None = None
    seen: set[tuple] = set()
    for name, choice in candidates.items():
        key = tuple(sorted(choice.items()))
        if key in seen:
            continue
        seen.add(key)
        values = [1.0 if choice.get(k) == o else 0.0 for k, o in keys]
        lp.fix_columns(xs, values)
        _status, objective, _bound = lp.run()
        if objective is not None and (best is None or objective < best.objective - 1e-9):
            best = SessionStart(name, objective, dict(zip(keys, values, strict=True)), 0.0)
    return best


def start_arrays(m: pyo.ConcreteModel, start: SessionStart) -> tuple[list, np.ndarray]:
    """The start as (variables, values) for :meth:`HighsLP.set_start`."""
    keys = list(start.values)
    return [m.x[k] for k in keys], np.asarray([start.values[k] for k in keys])
