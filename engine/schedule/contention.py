"""Charger contention: one contiguous plug session per dwell, never more vehicles plugged into a pool than it has
chargers, found from the LP relaxation by rounding and local search, every candidate priced by the LP.

The LP (:mod:`engine.schedule.chargers`) counts a pool's occupancy fractionally, ``sum_v p[v,g,t] / P(v,g) <=
n_g``, so its cost ``B`` bounds every physical plan from below. When its plug sessions conflict, each vehicle
dwell ``n = (v, [a, b))`` the LP charges with energy ``E_n`` gets a *window* ``[s_n, e_n)`` on one pool ``g_n``,
and the LP is re-solved with power allowed only inside the windows:

    p[v,g,t] <= P(v,g)   if g = g_n and s_n <= t < e_n,   else p[v,g,t] = 0          (column bounds)
    #{n : g_n = g, s_n <= t < e_n} <= n_g   for every contended pool g and slot t   (held by construction)

Any power inside a window is one contiguous session, and windows that never exceed a pool's size colour onto
physical chargers (interval graphs are perfect), so every priced candidate is a physical plan; its LP cost
``U >= B`` and the gap ``(U - B) / |U|`` says how far from optimal it can at most be.

Rounding (:meth:`Contention.pack`): needs in a given order each take, on a pool it can use, the free window of
``L_n = ceil(E_n / (P dt))`` slots covering most of the LP's own power profile (a pool no more vehicles use
than it has chargers gives its whole dwell); a need that no such window fits takes the longest free run. Then
every window grows one slot at a time, round robin, into capacity nobody uses (a wider window only loosens the
re-solve). Three candidates are priced: least laxity first and longest need first, each on the LP's profile,
and earliest deadline first at the earliest free start (list scheduling, which packs pools the LP fills to
the brim without stranding anyone).

Local search (:meth:`Contention.improve`): from the cheapest, the needs whose re-solve leaves them short of
energy they had in the LP, largest loss first, try windows on other pools or shifted, and a swap of slots with
the vehicle whose window blocks them; a move is kept if the LP prices it cheaper. The number of LP prices is
the work limit (``MAX_PRICES``): no clock decides which plan comes back, so the same input gives the same plan
on any machine. Every re-solve starts from the last basis.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import highspy
import numpy as np
import pyomo.environ as pyo

from engine.schedule.extract import EPS_KW, Solution
from engine.schedule.handover import HighsLP
from engine.schedule.inputs import ScheduleInputs

MAX_PRICES = 40  # LP re-solves the local search may spend (the work limit) [-]
TARGET_GAP = 0.001  # the search stops once the plan is within this of the LP bound (relative) [-]


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


@dataclass
class ContentionResult:
    """The chosen windows (need index -> window), its LP cost [objective $], how it was found, LP prices."""

    windows: dict[int, Window]
    objective: float
    source: str
    prices: int
    history: list[dict] = field(default_factory=list)


class Contention:
    """Windows for the needs of one LP solution, priced in the kept HiGHS instance of the LP (module doc)."""

    def __init__(
        self, m: pyo.ConcreteModel, lp: HighsLP, x: ScheduleInputs, sol: Solution, time_limit: float | None = None
    ) -> None:
        self.x, self.lp, self.time_limit = x, lp, time_limit
        self.bound = (
            lp.highs.getInfo().objective_function_value
            if lp.highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
            else None
        )
        self.clock_stopped = False  # whether any re-solve ended on the wall-clock safety net
        T = x.n_slots
        self.size = {p.id: len(p.chargers) for p in x.pools}
        self.contended: set[str] = set(m.contended_pools)
        self.kw: dict[tuple[str, str], float] = {}
        cols, ub = [], []
        self.pos: dict[tuple[str, str], np.ndarray] = {}  # (vehicle, pool) -> position in cols per slot (-1)
        for (v, g, t), var in m.p.items():
            at = self.pos.get((v, g))
            if at is None:
                at = self.pos[v, g] = np.full(T, -1, dtype=np.int64)
                self.kw[v, g] = float(var.ub)
            at[t] = len(cols)
            cols.append(var)
            ub.append(float(var.ub))
        self.columns = lp.columns(cols)
        self.full_ub = np.asarray(ub)
        self.current_ub = self.full_ub.copy()
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
        self.prices = 0

    # -- rounding ---------------------------------------------------------------------------------------------

    def slots_needed(self, k: int, pool: str) -> int:
        """Slots at full power that deliver need ``k``'s LP energy on ``pool``."""
        n = self.needs[k]
        a, b = n.dwell
        return min(b - a, max(1, math.ceil(n.energy_kwh / (self.kw[n.vehicle, pool] * self.x.dt_h) - 1e-9)))

    def orders(self) -> dict[str, list[int]]:
        """Deterministic orders in which :meth:`pack` places needs (ties by index)."""
        ks = range(len(self.needs))
        first = [self.needs[k].pools[0] for k in ks]
        slots = [self.slots_needed(k, first[k]) for k in ks]
        span = [n.dwell[1] - n.dwell[0] for n in self.needs]
        return {
            "least_laxity": sorted(ks, key=lambda k: (span[k] - slots[k], k)),
            "longest": sorted(ks, key=lambda k: (-slots[k], k)),
            "deadline_earliest": sorted(ks, key=lambda k: (self.needs[k].dwell[1], k)),
        }

    def _best_window(
        self, k: int, used: dict[str, np.ndarray], skip: str | None = None, earliest: bool = False
    ) -> Window | None:
        """The window need ``k`` takes given the occupancy ``used`` (module doc); ``skip``: a pool not to use."""
        n = self.needs[k]
        a, b = n.dwell
        cum = np.concatenate([[0.0], np.cumsum(n.profile)])
        best, best_score = None, None
        for rank, g in enumerate(n.pools):
            if g == skip:
                continue
            if g not in self.contended:
                score = (1, n.dwell[1] - n.dwell[0], float(cum[-1]), -rank)
                window = Window(g, a, b)
            else:
                free = used[g][a:b] < self.size[g]
                length = self.slots_needed(k, g)
                blocked = np.concatenate([[0], np.cumsum(~free)])
                ok = blocked[length:] - blocked[:-length] == 0 if length <= b - a else np.zeros(0, dtype=bool)
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

    def pack(self, order: list[int], earliest: bool = False) -> dict[int, Window]:
        """Windows for the needs in ``order``, then grown into free capacity (module doc); ``earliest``: each
        takes the earliest free window rather than the one covering most LP power (list scheduling, for pools
        the LP fills to the brim)."""
        used = {g: np.zeros(self.x.n_slots, dtype=np.int64) for g in self.contended}
        windows: dict[int, Window] = {}
        for k in order:
            w = self._best_window(k, used, earliest=earliest)
            if w is not None:
                windows[k] = w
                if w.pool in used:
                    used[w.pool][w.start : w.end] += 1
        return self.grow(windows, used, order)

    def occupancy(self, windows: dict[int, Window], but: int | None = None) -> dict[str, np.ndarray]:
        """Windows per contended pool and slot (``but``: leave that need out)."""
        used = {g: np.zeros(self.x.n_slots, dtype=np.int64) for g in self.contended}
        for k, w in windows.items():
            if k != but and w.pool in used:
                used[w.pool][w.start : w.end] += 1
        return used

    def grow(self, windows: dict[int, Window], used: dict[str, np.ndarray], order: list[int]) -> dict[int, Window]:
        """Grow every window on a contended pool one slot at a time, in ``order`` round robin, into slots of its
        dwell whose pool has a charger free."""
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

    # -- pricing ----------------------------------------------------------------------------------------------

    def bounds(self, windows: dict[int, Window]) -> np.ndarray:
        """Upper bounds of every power column for these windows (zero outside them)."""
        ub = np.zeros_like(self.full_ub)
        for k, w in windows.items():
            at = self.pos[self.needs[k].vehicle, w.pool][w.start : w.end]
            at = at[at >= 0]
            ub[at] = self.full_ub[at]
        return ub

    def price(self, windows: dict[int, Window]) -> tuple[float | None, bool]:
        """LP cost of these windows [objective $] (None if HiGHS found no plan) and whether HiGHS stopped on its
        wall-clock safety net. Only the bounds that changed are passed; HiGHS starts from its last basis."""
        ub = self.bounds(windows)
        changed = np.flatnonzero(ub != self.current_ub)
        if changed.size:
            cols = self.columns[changed]
            self.lp.highs.changeColsBounds(len(cols), cols, np.zeros(changed.size), ub[changed])
            self.current_ub = ub
        self.prices += 1
        _status, objective, _bound = self.lp.run(self.time_limit)
        return objective, self.lp.stopped_by_clock

    def shortfalls(self, windows: dict[int, Window]) -> list[tuple[float, int]]:
        """(LP energy the current re-solve leaves undelivered [kWh], need) for needs that lost energy, largest
        first (ties by index). Reads the last priced solution."""
        values = np.asarray(self.lp.highs.getSolution().col_value)[self.columns]
        out = []
        for k, n in enumerate(self.needs):
            a, b = n.dwell
            got = 0.0
            for g in n.pools:
                at = self.pos[n.vehicle, g][a:b]
                got += float(values[at[at >= 0]].sum()) * self.x.dt_h
            lost = n.energy_kwh - got
            if lost > 1e-3:
                out.append((lost, k))
        return sorted(out, key=lambda c: (-c[0], c[1]))

    # -- search -----------------------------------------------------------------------------------------------

    def solve(self, max_prices: int = MAX_PRICES) -> ContentionResult | None:
        """Round in every order, keep the cheapest, then improve it (module doc). None if nothing prices."""
        best: ContentionResult | None = None
        history: list[dict] = []
        self.clock_stopped = False
        seen: set[tuple] = set()
        for name, order in self.orders().items():
            windows = self.pack(order, earliest=name.endswith("_earliest"))
            key = tuple(sorted(windows.items()))
            if key in seen:
                continue
            seen.add(key)
            objective, stopped = self.price(windows)
            self.clock_stopped |= stopped
            history.append({"candidate": name, "objective": objective})
            if objective is not None and (best is None or objective < best.objective - 1e-9):
                best = ContentionResult(dict(windows), objective, f"rounding:{name}", 0)
        if best is None:
            return None
        best = self.improve(best, max_prices, history)
        best.prices, best.history = self.prices, history
        return best

    def improve(self, best: ContentionResult, max_prices: int, history: list[dict]) -> ContentionResult:
        """Local search (module doc) within ``max_prices`` LP prices. Reaching out (:meth:`extend`) first: the
        objective never rises with it (the trimmed windows keep the current plan feasible, growing only loosens
        them); when it stops paying, needs that can plug into another pool try their most valuable window there
        (:meth:`switches`), kept only if the LP prices it cheaper."""
        budget = self.prices + max_prices
        objective, _stopped = self.price(best.windows)
        while self.prices < budget and objective is not None and not self.close_enough(objective):
            grown = self.extend(best.windows)
            if grown != best.windows:
                new, stopped = self.price(grown)
                self.clock_stopped |= stopped
                if new is not None and new < objective - 1e-7 * max(1.0, abs(objective)):
                    history.append({"step": "extend", "objective": new})
                    best, objective = ContentionResult(grown, new, best.source + "+extend", 0), new
                    continue
                self.price(best.windows)
            switched = False
            candidates = self.switches(best.windows)
            batch = self.together(best.windows, candidates)
            tries = ([("batch", batch)] if batch is not None and len(candidates) > 1 else []) + [
                (
                    self.needs[k].vehicle,
                    self.grow(
                        dict(best.windows) | {k: w},
                        self.occupancy(best.windows | {k: w}),
                        [k, *sorted(i for i in best.windows if i != k)],
                    ),
                )
                for k, w in candidates
            ]
            for what, windows in tries:
                if self.prices >= budget:
                    break
                new, stopped = self.price(windows)
                self.clock_stopped |= stopped
                if new is not None and new < objective - 1e-7 * max(1.0, abs(objective)):
                    history.append({"step": f"switch {what}", "objective": new})
                    best, objective = ContentionResult(windows, new, best.source + "+switch", 0), new
                    switched = True
                    break
            if not switched:
                break
        return best

    def close_enough(self, objective: float) -> bool:
        """Whether ``objective`` is within ``TARGET_GAP`` of the LP bound."""
        return self.bound is not None and objective - self.bound <= TARGET_GAP * max(1.0, abs(objective))

    def switches(self, windows: dict[int, Window], limit: int | None = None) -> list[tuple[int, Window]]:
        """Up to ``limit`` (need, window) moves read from the last priced solution, most promising first: a need
        moved to a window on another of its pools, where the reduced costs of its power promise the most (a
        free window of the slots it needs there)."""
        sol = self.lp.highs.getSolution()
        reduced = np.asarray(sol.col_dual)[self.columns]
        candidates = []
        for k, w in windows.items():
            n = self.needs[k]
            if len(n.pools) < 2:
                continue
            others = self.occupancy(windows, but=k)
            a, b = n.dwell
            for g in n.pools:
                if g == w.pool:
                    continue
                at = self.pos[n.vehicle, g][a:b]
                value = np.where(at >= 0, np.minimum(0.0, reduced[np.maximum(at, 0)]), 0.0) * self.kw[n.vehicle, g]
                length = self.slots_needed(k, g)
                free = others[g][a:b] < self.size[g] if g in self.contended else np.ones(b - a, dtype=bool)
                blocked = np.concatenate([[0], np.cumsum(~free)])
                ok = blocked[length:] - blocked[:-length] == 0
                if not ok.any():
                    continue
                cum = np.concatenate([[0.0], np.cumsum(value)])
                gain = np.where(ok, cum[length:] - cum[:-length], np.inf)
                s = int(np.argmin(gain))
                if gain[s] < -1e-9:
                    window = Window(g, a, b) if g not in self.contended else Window(g, a + s, a + s + length)
                    candidates.append((float(gain[s]), k, window))
        limit = limit or max(8, len(self.needs) // 25)
        return [(k, w) for _gain, k, w in sorted(candidates, key=lambda c: (c[0], c[1]))[:limit]]

    def together(self, windows: dict[int, Window], moves: list[tuple[int, Window]]) -> dict[int, Window] | None:
        """All ``moves`` applied at once where they still fit (one need moves once), the rest grown."""
        out = dict(windows)
        moved: list[int] = []
        for k, w in moves:
            if k in moved:
                continue
            trial = out | {k: w}
            used = self.occupancy(trial)
            if w.pool in used and (used[w.pool][w.start : w.end] > self.size[w.pool]).any():
                continue
            out, moved = trial, [*moved, k]
        if not moved:
            return None
        return self.grow(out, self.occupancy(out), [*moved, *sorted(i for i in out if i not in moved)])

    def extend(self, windows: dict[int, Window]) -> dict[int, Window]:
        """From the last priced solution: trim each window on a contended pool to the slots it draws power in,
        then let windows reach out where the reduced cost of power just outside them is negative (a kW there
        would lower the cost), the most valuable reach first, while the pool has a charger free; then grow the
        rest round robin. Unchanged windows if no reach has value."""
        sol = self.lp.highs.getSolution()
        values = np.asarray(sol.col_value)[self.columns]
        reduced = np.asarray(sol.col_dual)[self.columns]
        trimmed: dict[int, Window] = {}
        for k, w in windows.items():
            if w.pool not in self.contended:
                trimmed[k] = w
                continue
            at = self.pos[self.needs[k].vehicle, w.pool][w.start : w.end]
            on = np.flatnonzero((at >= 0) & (values[np.maximum(at, 0)] > EPS_KW))
            if on.size:
                trimmed[k] = Window(w.pool, w.start + int(on[0]), w.start + int(on[-1]) + 1)
        used = self.occupancy(trimmed)
        reaches = []
        for k, w in trimmed.items():
            if w.pool not in self.contended:
                continue
            a, b = self.needs[k].dwell
            at = self.pos[self.needs[k].vehicle, w.pool]
            kw = self.kw[self.needs[k].vehicle, w.pool]
            for side, slots in (("left", range(w.start - 1, a - 1, -1)), ("right", range(w.end, b))):
                gain, best_gain, best_t = 0.0, 0.0, None
                for t in slots:
                    if used[w.pool][t] >= self.size[w.pool]:
                        break
                    if at[t] >= 0:
                        gain += min(0.0, float(reduced[at[t]])) * kw
                    if gain < best_gain - 1e-9:
                        best_gain, best_t = gain, t
                if best_t is not None:
                    reaches.append(
                        (best_gain / (abs(best_t - (w.start if side == "left" else w.end - 1))), k, side, best_t)
                    )
        if not reaches:
            return windows
        out = dict(trimmed)
        for _gain, k, side, t in sorted(reaches):
            w = out[k]
            lo, hi = (t, w.start) if side == "left" else (w.end, t + 1)
            if (used[w.pool][lo:hi] < self.size[w.pool]).all():
                used[w.pool][lo:hi] += 1
                out[k] = Window(w.pool, min(w.start, t), max(w.end, t + 1))
        return self.grow(out, used, sorted(out))


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
    """Compare two windows' scores: a full-length fit first, then the energy the window can deliver (slots x
    power), then LP power covered, then the LP's own pool order."""
    if score[0] != than[0]:
        return score[0] > than[0]
    if score[0] == 0 and abs(score[1] * kw - than[1] * than_kw) > 1e-9:
        return score[1] * kw > than[1] * than_kw
    return score[2:] > than[2:]
