"""Session windows on charger pools: what each vehicle dwell needs from the LP, and windows packed so that no
contended pool ever holds more of them than it has chargers. No solver here: :mod:`engine.schedule.contention`
prices window sets with the LP.

A *need* is a vehicle dwell ``[a, b)`` the LP relaxation charges with energy ``E``; on pool ``g`` (power
``P(v,g)``) it needs ``L = ceil(E / (P dt))`` slots at full power. A *window* ``[s, e)`` on one pool is where the
vehicle may be plugged. Occupancy counts windows per contended pool and slot; a window on a pool no more
vehicles use than it has chargers never conflicts and spans its whole dwell.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo

from engine.schedule.extract import EPS_KW, Solution
from engine.schedule.inputs import ScheduleInputs

Windows = dict[int, "Window"]  # need index -> window
Occupancy = dict[str, np.ndarray]  # contended pool -> windows per slot


@dataclass(frozen=True)
class Need:
    """One vehicle dwell the LP charges: the slots ``[a, b)``, its LP energy [kWh] and power profile [kW]."""

    vehicle: str
    dwell: tuple[int, int]
    energy_kwh: float
    profile: np.ndarray  # LP kW per slot of the dwell, all pools summed
    pools: tuple[str, ...]  # pools it can use, most LP energy first


@dataclass(frozen=True)
class Window:
    """A session window: pool and slots ``[start, end)``."""

    pool: str
    start: int
    end: int


def fitting_starts(free: np.ndarray, length: int) -> np.ndarray:
    """For each start in a run of slots, whether ``length`` slots from it are all ``free`` (empty if longer)."""
    if length > free.size:
        return np.zeros(0, dtype=bool)
    blocked = np.concatenate([[0], np.cumsum(~free)])
    return blocked[length:] - blocked[:-length] == 0


class SessionSpace:
    """The needs of one LP solution with the pools, powers and power columns they can use."""

    def __init__(self, m: pyo.ConcreteModel, x: ScheduleInputs, sol: Solution) -> None:
        self.x = x
        self.size = {p.id: len(p.chargers) for p in x.pools}
        self.contended: set[str] = set(m.contended_pools)
        self.kw: dict[tuple[str, str], float] = {}  # (vehicle, pool) -> P(v,g) [kW]
        self.pos: dict[tuple[str, str], np.ndarray] = {}  # (vehicle, pool) -> index in power_vars per slot (-1)
        self.power_vars: list = []
        self.short_vars = [m.short[k] for k in m.K]  # each departure's shortfall [kWh]
        self.relaxed_short = np.array([sol.short.get(k, 0.0) for k in m.K])  # ... in the relaxation
        for (v, g, t), var in m.p.items():
            at = self.pos.get((v, g))
            if at is None:
                at = self.pos[v, g] = np.full(x.n_slots, -1, dtype=np.int64)
                self.kw[v, g] = float(var.ub)
            at[t] = len(self.power_vars)
            self.power_vars.append(var)
        self.needs: list[Need] = []
        for vi in x.vehicles:
            v = vi.vehicle.id
            power = sol.power[v]
            for a, b in vi.dwells():
                energy = {g: float(kw[a:b].sum()) * x.dt_h for g, kw in power.items()}
                total = sum(energy.values())
                if total <= EPS_KW * x.dt_h:
                    continue
                profile = np.zeros(b - a)
                for kw in power.values():
                    profile += kw[a:b]
                usable = [g for g in sorted(vi.pool_kw) if (v, g) in self.pos and self.pos[v, g][a:b].max() >= 0]
                pools = tuple(sorted(usable, key=lambda g, e=energy: (-e.get(g, 0.0), g)))
                if pools:
                    self.needs.append(Need(v, (a, b), total, profile, pools))

    def slots_needed(self, k: int, pool: str) -> int:
        """Slots at full power that deliver need ``k``'s LP energy on ``pool``."""
        n = self.needs[k]
        a, b = n.dwell
        return min(b - a, max(1, math.ceil(n.energy_kwh / (self.kw[n.vehicle, pool] * self.x.dt_h) - 1e-9)))

    def orders(self) -> dict[str, list[int]]:
        """Deterministic orders in which :meth:`pack` places needs (ties by index)."""
        ks = range(len(self.needs))
        slots = [self.slots_needed(k, self.needs[k].pools[0]) for k in ks]
        span = [n.dwell[1] - n.dwell[0] for n in self.needs]
        return {
            "least_laxity": sorted(ks, key=lambda k: (span[k] - slots[k], k)),
            "longest": sorted(ks, key=lambda k: (-slots[k], k)),
            "deadline_earliest": sorted(ks, key=lambda k: (self.needs[k].dwell[1], k)),
        }

    def free(self, used: Occupancy, pool: str, dwell: tuple[int, int]) -> np.ndarray:
        """Slots of ``dwell`` in which ``pool`` has a charger no window holds."""
        a, b = dwell
        return used[pool][a:b] < self.size[pool] if pool in self.contended else np.ones(b - a, dtype=bool)

    def best_window(self, k: int, used: Occupancy, earliest: bool = False) -> Window | None:
        """The window need ``k`` takes given the occupancy ``used``: on each pool it can use, the free window of
        the slots it needs covering most of its LP profile (``earliest``: the earliest such window), else the
        longest free run; across pools a full-length fit first, then the energy it can deliver, then LP power
        covered, then the LP's own pool order."""
        n = self.needs[k]
        a, b = n.dwell
        cum = np.concatenate([[0.0], np.cumsum(n.profile)])
        best, best_score = None, None
        for rank, g in enumerate(n.pools):
            if g not in self.contended:
                score = (1, b - a, float(cum[-1]), -rank)
                window = Window(g, a, b)
            else:
                free = self.free(used, g, n.dwell)
                length = self.slots_needed(k, g)
                ok = fitting_starts(free, length)
                if ok.any():
                    cover = np.where(ok, cum[length:] - cum[:-length], -np.inf)
                    s = int(np.argmax(ok)) if earliest else int(np.argmax(cover))  # first of the best
                    score = (1, length, float(cover[s]), -rank)
                    window = Window(g, a + s, a + s + length)
                else:
                    run = _longest_run(free)
                    if run is None:
                        continue
                    s, e = run
                    score = (0, e - s, float(cum[e] - cum[s]), -rank)
                    window = Window(g, a + s, a + e)
            if best_score is None or _better(score, best_score, self.kw[n.vehicle, g], self.kw[n.vehicle, best.pool]):
                best, best_score = window, score
        return best

    def pack(self, order: list[int], earliest: bool = False) -> Windows:
        """Windows for the needs in ``order`` (:meth:`best_window`), then grown into free capacity."""
        used = self.occupancy({})
        windows: Windows = {}
        for k in order:
            w = self.best_window(k, used, earliest=earliest)
            if w is not None:
                windows[k] = w
                if w.pool in used:
                    used[w.pool][w.start : w.end] += 1
        return self.grow(windows, used, order)

    def occupancy(self, windows: Windows) -> Occupancy:
        """Windows per contended pool and slot."""
        used = {g: np.zeros(self.x.n_slots, dtype=np.int64) for g in self.contended}
        for w in windows.values():
            if w.pool in used:
                used[w.pool][w.start : w.end] += 1
        return used

    def grow(self, windows: Windows, used: Occupancy, order: list[int]) -> Windows:
        """Grow every window on a contended pool one slot at a time, in ``order`` round robin, into slots of its
        dwell whose pool has a charger free (``windows`` and ``used`` are updated in place)."""
        live = [k for k in order if k in windows and windows[k].pool in used]
        while live:
            grown = []
            for k in live:
                w, (a, b) = windows[k], self.needs[k].dwell
                u, size = used[w.pool], self.size[w.pool]
                start, end = w.start, w.end
                if end < b and u[end] < size:
                    u[end] += 1
                    end += 1
                if start > a and u[start - 1] < size:
                    u[start - 1] += 1
                    start -= 1
                if (start, end) != (w.start, w.end):
                    windows[k] = Window(w.pool, start, end)
                    grown.append(k)
            live = grown
        return windows

    def together(self, windows: Windows, moves: list[tuple[int, Window]]) -> Windows | None:
        """``moves`` applied in turn where they still fit (one move per need), then every window grown, moved
        ones first; None if none fits."""
        out = dict(windows)
        moved: list[int] = []
        used = self.occupancy(out)  # kept equal to self.occupancy(out) move by move
        for k, w in moves:
            if k in moved:
                continue
            old = out.get(k)
            if w.pool in used:
                there = used[w.pool][w.start : w.end] + 1  # with the move, less need k's own window where it was
                if old is not None and old.pool == w.pool and max(old.start, w.start) < min(old.end, w.end):
                    there[max(old.start, w.start) - w.start : min(old.end, w.end) - w.start] -= 1
                if (there > self.size[w.pool]).any():
                    continue
            if old is not None and old.pool in used:
                used[old.pool][old.start : old.end] -= 1
            if w.pool in used:
                used[w.pool][w.start : w.end] += 1
            out, moved = out | {k: w}, [*moved, k]
        if not moved:
            return None
        return self.grow(out, used, [*moved, *sorted(i for i in out if i not in moved)])


def _longest_run(free: np.ndarray) -> tuple[int, int] | None:
    """The longest run of True (first of equals), as [start, end), or None."""
    best, start = None, None
    for t, f in enumerate([*free.tolist(), False]):
        if f and start is None:
            start = t
        elif not f and start is not None:
            if best is None or t - start > best[1] - best[0]:
                best = (start, t)
            start = None
    return best


def _better(score: tuple, than: tuple, kw: float, than_kw: float) -> bool:
    """Compare two windows' scores (:meth:`SessionSpace.best_window`)."""
    if score[0] != than[0]:
        return score[0] > than[0]
    if score[0] == 0 and abs(score[1] * kw - than[1] * than_kw) > 1e-9:
        return score[1] * kw > than[1] * than_kw
    return score[2:] > than[2:]
