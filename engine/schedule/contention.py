"""Charger contention: one contiguous plug session per dwell, never more vehicles plugged into a pool than it has
chargers, found from the LP relaxation by rounding and local search, every candidate priced by the LP.

The LP (:mod:`engine.schedule.chargers`) counts a pool's occupancy fractionally, ``sum_v p[v,g,t] / P(v,g) <=
n_g``, so its cost ``B`` bounds every physical plan from below. When its plug sessions conflict, each vehicle
dwell ``n = (v, [a, b))`` the LP charges with energy ``E_n`` gets a *window* ``[s_n, e_n)`` on one pool ``g_n``
(:mod:`engine.schedule.windows`), and the LP is re-solved with power allowed only inside the windows:

    p[v,g,t] <= P(v,g)   if g = g_n and s_n <= t < e_n,   else p[v,g,t] = 0          (column bounds)
    #{n : g_n = g, s_n <= t < e_n} <= n_g   for every contended pool g and slot t   (held by construction)

Any power inside a window is one contiguous session, and windows that never exceed a pool's size colour onto
physical chargers (interval graphs are perfect), so every priced candidate is a physical plan; its LP cost
``U >= B`` and the gap ``(U - B) / |U|`` says how far from optimal it can at most be.

Rounding (:meth:`SessionSpace.pack <engine.schedule.windows.SessionSpace.pack>`): needs in a given order each
take, on a pool it can use, the free window of ``L_n = ceil(E_n / (P dt))`` slots covering most of the LP's own
power profile; a need that no such window fits takes the longest free run. Then every window grows one slot at
a time, round robin, into capacity nobody uses (a wider window only loosens the re-solve). Three candidates are
priced: least laxity first and longest need first, each on the LP's profile, and earliest deadline first at the
earliest free start (list scheduling, which packs pools the LP fills to the brim without stranding anyone).

Local search (:meth:`Contention.improve`), from the cheapest candidate: windows trimmed to the slots they draw
in and reaching out where the reduced cost of power says a kW pays (:meth:`Contention.extend`); when that stops
paying, dwells moved to another of their pools where reduced costs promise most, all at once, then in halves
while many are on offer, then one by one (:meth:`Contention.switches`); a move is kept if the LP prices it
cheaper. The number of LP prices is the work limit (``MAX_PRICES``), and the search stops within ``TARGET_GAP``
of the bound once no departure is left shorter than in the relaxation: no clock decides which plan comes back, so the same input gives the same plan on any machine.
A price starts from the last basis, except on a large LP (``COLD_COLUMNS`` power columns or more) whose bounds
changed in at least ``COLD_SHARE`` of them: that one is solved from scratch, where HiGHS's presolve removes the
columns the windows fix at zero (at 2000 vehicles about 1 s a price, against 1-18 s from another candidate's
vertex; on small LPs, and on the e-bus line's minute slots, starting from the last basis is the faster; the
thresholds are counts, so the same input takes the same path on any machine). A plan priced before whose optimal
basis was kept (every rounding, every accepted move) is priced again from that basis, in no iterations.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from engine.optim.handover import HighsLP
from engine.schedule.extract import EPS_KW
from engine.schedule.repair import SHORTER_KWH
from engine.schedule.windows import SessionSpace, Window, Windows, fitting_starts

MAX_PRICES = 40  # LP re-solves the local search may spend (the work limit) [-]
TARGET_GAP = 0.001  # the search stops once the plan is within this of the LP bound (relative) [-]
MIN_HALF_BATCH = 16  # switch batches are halved down to this many moves before moves are tried alone [-]
COLD_COLUMNS = 25_000  # an LP with at least this many power columns is re-solved from scratch ... [-]
COLD_SHARE = 0.01  # ... when at least this share of their bounds changed [-]
IMPROVEMENT = 1e-7  # a move is kept if it lowers the cost by more than this (relative) [-]


@dataclass
class ContentionResult:
    """The chosen windows (need index -> window), their LP cost [objective $] and how they were found."""

    windows: Windows
    objective: float
    source: str


class Contention:
    """Window sets for a :class:`SessionSpace`, priced in the HiGHS instance that solved its LP (module doc).
    ``bound``: the LP's cost [objective $]; ``time_limit`` [s]: the safety net on every re-solve."""

    def __init__(self, space: SessionSpace, lp: HighsLP, bound: float | None, time_limit: float | None = None):
        self.space, self.lp, self.bound, self.time_limit = space, lp, bound, time_limit
        self.columns = lp.columns(space.power_vars)
        self.full_ub = np.asarray([float(var.ub) for var in space.power_vars])
        self.current_ub = self.full_ub.copy()
        self.prices = 0  # LP re-solves so far
        self.from_scratch = 0  # of them, solved from scratch (module doc)
        self.last_priced: Windows | None = None  # the windows HiGHS holds the solution of
        self.bases: dict[tuple, object] = {}  # rounding candidate -> HiGHS's optimal basis for it
        self.clock_stopped = False  # whether any re-solve ended on the wall-clock safety net
        self.history: list[dict] = []  # candidates and accepted moves with their cost, for the trace

    # -- pricing ----------------------------------------------------------------------------------------------

    def bounds(self, windows: Windows) -> np.ndarray:
        """Upper bounds of every power column for these windows (zero outside them)."""
        ub = np.zeros_like(self.full_ub)
        for k, w in windows.items():
            at = self.space.pos[self.space.needs[k].vehicle, w.pool][w.start : w.end]
            at = at[at >= 0]
            ub[at] = self.full_ub[at]
        return ub

    def hold(self, windows: Windows) -> int:
        """Give HiGHS the column bounds of these windows (only those that changed); how many changed."""
        ub = self.bounds(windows)
        changed = np.flatnonzero(ub != self.current_ub)
        if changed.size:
            cols = self.columns[changed]
            self.lp.highs.changeColsBounds(len(cols), cols, np.zeros(changed.size), ub[changed])
            self.current_ub = ub
        return int(changed.size)

    def price(self, windows: Windows, from_basis: bool = False) -> float | None:
        """LP cost of these windows [objective $], None if HiGHS found no plan. Only the bounds that changed are
        passed; HiGHS starts from its last basis (or the one just set, ``from_basis``), or from scratch with its
        presolve when the LP is large and many bounds changed (module doc). Notes whether the safety net stopped
        it."""
        changed = self.hold(windows)
        many = len(self.full_ub) >= COLD_COLUMNS and changed >= COLD_SHARE * len(self.full_ub)
        if many and not from_basis:
            self.lp.highs.clearSolver()
            self.from_scratch += 1
        self.prices += 1
        self.last_priced = windows
        _status, objective, _bound = self.lp.run(self.time_limit)
        self.clock_stopped |= self.lp.stopped_by_clock
        return objective

    def price_again(self, windows: Windows) -> float | None:
        """:meth:`price` of windows priced before, started from the optimal basis kept for them when there is one
        (no simplex iterations instead of a walk from another candidate's vertex)."""
        basis = self.bases.get(_key(windows))
        if basis is not None:
            self.hold(windows)
            self.lp.highs.setBasis(basis)
        return self.price(windows, from_basis=basis is not None)

    def close_enough(self, objective: float) -> bool:
        """Whether ``objective`` is within ``TARGET_GAP`` of the LP bound and the plan HiGHS holds (the last
        priced) leaves no departure shorter than the relaxation does."""
        if self.bound is None or objective - self.bound > TARGET_GAP * max(1.0, abs(objective)):
            return False
        short = self.lp.values(self.space.short_vars) if self.space.short_vars else np.zeros(0)
        return not (short > self.space.relaxed_short + SHORTER_KWH).any()

    # -- search -----------------------------------------------------------------------------------------------

    def solve(self, max_prices: int = MAX_PRICES) -> ContentionResult | None:
        """Round in every order, keep the cheapest, then improve it (module doc). None if nothing prices."""
        best: ContentionResult | None = None
        seen: set[tuple] = set()
        for name, order in self.space.orders().items():
            windows = self.space.pack(order, earliest=name.endswith("_earliest"))
            key = _key(windows)
            if key in seen:
                continue
            seen.add(key)
            objective = self.price(windows)
            self.bases[key] = self.lp.highs.getBasis()
            self.history.append({"candidate": name, "objective": objective})
            if objective is not None and (best is None or objective < best.objective - 1e-9):
                best = ContentionResult(dict(windows), objective, f"rounding:{name}")
        return None if best is None else self.improve(best, max_prices)

    def improve(self, best: ContentionResult, max_prices: int) -> ContentionResult:
        """Local search (module doc) within ``max_prices`` LP prices. Reaching out (:meth:`extend`) first: the
        objective never rises with it (the trimmed windows keep the current plan feasible, growing only loosens
        them); when it stops paying, needs that can plug into another pool try their most valuable window there
        (:meth:`switches`), kept only if the LP prices it cheaper."""
        budget = self.prices + max_prices
        # the search reads reduced costs of the best plan's solution: price it again unless it was the last
        objective = best.objective if self.last_priced == best.windows else self.price_again(best.windows)
        while self.prices < budget and objective is not None and not self.close_enough(objective):
            grown = self.extend(best.windows)
            if grown != best.windows:
                new = self.price(grown)
                if _improves(new, objective):
                    self.history.append({"step": "extend", "objective": new})
                    self.bases[_key(grown)] = self.lp.highs.getBasis()
                    best, objective = ContentionResult(grown, new, best.source + "+extend"), new
                    continue
                self.price_again(best.windows)  # back to the best plan's solution: the switches read its duals
            switched = False
            for what, windows in self.switch_tries(best.windows):
                if self.prices >= budget:
                    break
                new = self.price(windows)
                if _improves(new, objective):
                    self.history.append({"step": f"switch {what}", "objective": new})
                    self.bases[_key(windows)] = self.lp.highs.getBasis()
                    best, objective = ContentionResult(windows, new, best.source + "+switch"), new
                    switched = True
                    break
            if not switched:
                break
        return best

    def switch_tries(self, windows: Windows) -> Iterator[tuple[str, Windows]]:
        """The window sets :meth:`improve` prices, in order: every move of :meth:`switches` at once (when there
        are several), then, while at least ``MIN_HALF_BATCH`` remain, the most promising half, quarter, ...; then
        each alone; each built only when its turn comes. Halves find the moves that pay among many (a depot of
        2,000 vehicles offers about 90 at a time) in a few prices, where one move at a time costs one price each."""
        moves = self.switches(windows)
        size = len(moves)
        while size > 1:
            batch = self.space.together(windows, moves[:size])
            if batch is not None:
                yield "batch" if size == len(moves) else f"batch of {size}", batch
            size = size // 2 if size // 2 >= MIN_HALF_BATCH else 0
        for k, w in moves:
            single = self.space.together(windows, [(k, w)])
            if single is not None:
                yield self.space.needs[k].vehicle, single

    def switches(self, windows: Windows, limit: int | None = None) -> list[tuple[int, Window]]:
        """Up to ``limit`` (need, window) moves read from the last priced solution, most promising first: a need
        moved to a window on another of its pools, where the reduced costs of its power promise the most (a
        free window of the slots it needs there)."""
        space = self.space
        reduced = np.asarray(self.lp.highs.getSolution().col_dual)[self.columns]
        candidates = []
        used = space.occupancy(windows)  # read only on the pools other than a need's own: its window is not there
        for k, w in windows.items():
            n = space.needs[k]
            if len(n.pools) < 2:
                continue
            a, b = n.dwell
            for g in n.pools:
                if g == w.pool:
                    continue
                at = space.pos[n.vehicle, g][a:b]
                value = np.where(at >= 0, np.minimum(0.0, reduced[np.maximum(at, 0)]), 0.0) * space.kw[n.vehicle, g]
                length = space.slots_needed(k, g)
                ok = fitting_starts(space.free(used, g, n.dwell), length)
                if not ok.any():
                    continue
                cum = np.concatenate([[0.0], np.cumsum(value)])
                gain = np.where(ok, cum[length:] - cum[:-length], np.inf)
                s = int(np.argmin(gain))
                if gain[s] < -1e-9:
                    window = Window(g, a, b) if g not in space.contended else Window(g, a + s, a + s + length)
                    candidates.append((float(gain[s]), k, window))
        limit = limit or max(8, len(space.needs) // 25)
        return [(k, w) for _gain, k, w in sorted(candidates, key=lambda c: (c[0], c[1]))[:limit]]

    def extend(self, windows: Windows) -> Windows:
        """From the last priced solution: trim each window on a contended pool to the slots it draws power in,
        then let windows reach out where the reduced cost of power just outside them is negative (a kW there
        would lower the cost), the most valuable reach first, while the pool has a charger free; then grow the
        rest round robin. Unchanged windows if no reach has value."""
        sol = self.lp.highs.getSolution()
        values = np.asarray(sol.col_value)[self.columns]
        reduced = np.asarray(sol.col_dual)[self.columns]
        trimmed: Windows = {}
        for k, w in windows.items():
            if w.pool not in self.space.contended:
                trimmed[k] = w
                continue
            at = self.space.pos[self.space.needs[k].vehicle, w.pool][w.start : w.end]
            on = np.flatnonzero((at >= 0) & (values[np.maximum(at, 0)] > EPS_KW))
            if on.size:
                trimmed[k] = Window(w.pool, w.start + int(on[0]), w.start + int(on[-1]) + 1)
        used = self.space.occupancy(trimmed)
        reaches = []
        for k, w in trimmed.items():
            if w.pool not in self.space.contended:
                continue
            a, b = self.space.needs[k].dwell
            at = self.space.pos[self.space.needs[k].vehicle, w.pool]
            kw = self.space.kw[self.space.needs[k].vehicle, w.pool]
            for side, slots in (("left", range(w.start - 1, a - 1, -1)), ("right", range(w.end, b))):
                gain, best_gain, best_t = 0.0, 0.0, None
                for t in slots:
                    if used[w.pool][t] >= self.space.size[w.pool]:
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
            if (used[w.pool][lo:hi] < self.space.size[w.pool]).all():
                used[w.pool][lo:hi] += 1
                out[k] = Window(w.pool, min(w.start, t), max(w.end, t + 1))
        return self.space.grow(out, used, sorted(out))


def _key(windows: Windows) -> tuple:
    """A window set as a hashable key."""
    return tuple(sorted(windows.items()))


def _improves(new: float | None, objective: float) -> bool:
    """Whether a priced cost beats ``objective`` by more than ``IMPROVEMENT`` (relative)."""
    return new is not None and new < objective - IMPROVEMENT * max(1.0, abs(objective))
