"""The fast heuristic for large batches of routes: the labels of :mod:`engine.routing.labels` on a grid of energy
levels, every option's weights at once in one numpy array, each gap through its few stations of least detour.

Levels are ``k x step`` with ``step = Q / levels``. ``F[w, k]`` is the least cost (weights ``w``) of being at the
current route node with exactly level ``k``. With every arc's energy rounded up to whole steps (``e = ceil(E /
step)``) and the start rounded down, one gap ``g`` from ``r_g`` to ``r_{g+1}`` is

    direct:          D_0[k] = F[k + e(r_g, r_g+1)] + w_t T(r_g, r_g+1)
    through s:       A[a]   = F[a + e(r_g, s)] + w_t T(r_g, s)                                 arrive at s
                     C[b]   = tau_s(b) + min_{a <= b} (A[a] - tau_s(a)) + w_t p_s + w_r (1 - avail_s rel_s)
                     D_s[k] = C[k + e(s, r_g+1)] + w_t T(s, r_g+1)
    next node:       F'[k]  = min(D_0[k], min_s D_s[k]) + w_t p(r_g+1),   F'[k] = inf for k x step < q_min

(at a node with a time window ``[e, l]``, for the weights whose cost is hours: ``F'[k] = max(F'[k], w_t e)``,
inf past ``w_t l``) with ``tau_s(b) = w_t hours_s(b) + w_p price_s b`` (reaching charge ``b`` from empty; inf past the battery or the
charging function's end). The plan is recovered backwards from ``argmin_k F_last[k]`` and driven forwards with the
real energies, charging up to each recovered level: the real energy never falls below the grid's, so a plan the
grid finds is feasible and its real duration is at most the grid's. Not exact: the rounding charges a little more
than needed (at most one step per arc) and only the ``candidates`` stations of least detour are tried per gap,
one per gap; ``bench/routing.py`` measures it against the exact labels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from engine.routing.drive import drive_to_levels, missed_windows
from engine.routing.fixed_route import FixedRoute, RoutePlan, infeasible_reason
from engine.routing.labels import Weights

LEVELS = 1000  # energy levels per battery [-]
CANDIDATES = 5  # stations tried per gap, those of least detour [-]


@dataclass(frozen=True)
class _Gap:
    """One gap's labels, kept for the recovery: the stations tried, which path reached each level for each weight
    (0 direct, ``j + 1`` through ``stations[j]``) and per station the prefix minimum's operand ``A - tau``."""

    stations: list[int]
    choice: np.ndarray  # (W, levels + 1)
    operand: list[np.ndarray]  # per station (W, levels + 1)


class _Levels:
    """The grid of a route: its step, steps per arc (rounded up), each station's hours to reach each level from
    empty and an inf past what it can charge."""

    def __init__(self, p: FixedRoute, levels: int) -> None:
        self.n = levels
        self.step = p.q_max / levels if p.q_max > 0 else 1.0
        self.lo = math.ceil(p.q_min / self.step - 1e-9)
        self.start = min(math.floor(min(p.q_init, p.q_max) / self.step + 1e-9), levels)
        self.e = np.ceil(np.asarray(p.energy, dtype=float) / self.step - 1e-9).astype(int)
        self.grid = np.arange(levels + 1) * self.step
        count = max(len(p.stations), 1)
        self.hours = np.zeros((count, levels + 1))
        self.past_cap = np.zeros((count, levels + 1))
        for i, st in enumerate(p.stations):
            xs, ts = st.function.charge, st.function.time_h
            self.hours[i] = np.interp(self.grid, xs, ts)
            self.past_cap[i, self.grid > min(xs[-1], p.q_max) + 1e-9 * self.step] = np.inf
        self.price = np.array([st.price_per_unit for st in p.stations] or [0.0])
        self.stay_h = np.array([st.process_h for st in p.stations] or [0.0])
        self.fails = np.array([1.0 - st.availability * st.reliability for st in p.stations] or [0.0])

    def shift(self, f: np.ndarray, e: np.ndarray) -> np.ndarray:
        """``g[j, w, k] = f[w, k + e[j]]`` (``f`` shaped (weight, level)), or ``f[j, w, k + e[j]]`` (``f`` shaped
        (station, weight, level)): inf past the top and below ``q_min``; shape (len(e), weight, level)."""
        g = np.full((len(e), *f.shape[-2:]), np.inf)
        for j, step in enumerate(e.tolist()):
            if step <= self.n:
                g[j, :, : self.n + 1 - step] = f[..., step:] if f.ndim == 2 else f[j, :, step:]
        g[..., : self.lo] = np.inf
        return g


def solve_on_grid(
    p: FixedRoute, weights: list[Weights], candidates: int = CANDIDATES, levels: int = LEVELS
) -> list[RoutePlan]:
    """One plan per entry of ``weights`` (module doc): the least cost found for each, or why there is none."""
    grid = _Levels(p, levels)
    w_t = np.array([[w.time] for w in weights])
    w_p = np.array([[w.price] for w in weights])
    w_r = np.array([[w.risk] for w in weights])
    first = np.full((len(weights), levels + 1), np.inf)
    if grid.start >= grid.lo:
        first[:, grid.start] = 0.0
    last, gaps = _forward(p, grid, first, (w_t, w_p, w_r), candidates)
    plans = []
    for row in range(len(weights)):
        k = int(np.argmin(last[row]))
        if not np.isfinite(last[row, k]):
            plans.append(RoutePlan(feasible=False, reason=infeasible_reason(p)))
            continue
        stops, duration = drive_to_levels(p, _recover(p, grid, gaps, row, k))
        missed = missed_windows(p, stops) if p.windows is not None else []
        if p.t_max is not None and duration > p.t_max + 1e-9:
            plans.append(RoutePlan(feasible=False, reason=f"takes {duration:.3f} h, over t_max"))
        elif missed:  # windows act inside the labels only on rows whose cost is hours
            plans.append(RoutePlan(feasible=False, reason="window: " + missed[0]))
        else:
            plans.append(RoutePlan(feasible=True, duration_h=duration, objective=float(last[row, k]), stops=stops))
    return plans


def least_start_energy_on_grid(p: FixedRoute, candidates: int = CANDIDATES, levels: int = LEVELS) -> float | None:
    """An energy to leave with that makes the route feasible (``t_max`` aside; at most a step per arc above the
    least), or None when not even a full battery does: the start level as the only cost."""
    grid = _Levels(p, levels)
    zero = np.zeros((1, 1))
    first = grid.grid[None, :].copy()
    first[:, : grid.lo] = np.inf
    last, _gaps = _forward(p, grid, first, (zero, zero, zero), candidates)
    best = float(last.min())
    return best if np.isfinite(best) else None


def _forward(
    p: FixedRoute, grid: _Levels, f: np.ndarray, w: tuple[np.ndarray, np.ndarray, np.ndarray], candidates: int
) -> tuple[np.ndarray, list[_Gap]]:
    """The labels along the route (module doc), every tried station of a gap at once in arrays shaped (station,
    weight, level): the last node's ``F`` and each gap's labels."""
    w_t, w_p, w_r = w
    r, T, e = p.route, np.asarray(p.time_h, dtype=float), grid.e
    nodes = np.array([st.node for st in p.stations], dtype=int)
    gaps = []
    for g in range(len(r) - 1):
        here, there = r[g], r[g + 1]
        detour = T[here, nodes] + T[nodes, there] if len(nodes) else np.zeros(0)
        tried = np.sort(np.argsort(detour, kind="stable")[:candidates])
        s = nodes[tried]
        direct = grid.shift(f, np.array([e[here, there]]))[0] + w_t * T[here, there]
        tau = w_t[None] * grid.hours[tried][:, None, :] + w_p[None] * (grid.price[tried][:, None, None] * grid.grid)
        h = grid.shift(f, e[here, s]) + w_t[None] * T[here, s][:, None, None] - tau
        charged = np.minimum.accumulate(h, axis=2) + tau + grid.past_cap[tried][:, None, :]
        charged += w_t[None] * grid.stay_h[tried][:, None, None] + w_r[None] * grid.fails[tried][:, None, None]
        through = grid.shift(charged, e[s, there]) + w_t[None] * T[s, there][:, None, None]
        paths = np.concatenate([direct[None], through])
        choice = np.argmin(paths, axis=0)
        f = np.take_along_axis(paths, choice[None], axis=0)[0]
        window = p.window(there)
        if window is not None:  # on the rows whose cost is hours: early waits, late is cut off
            hours_only = ((w_p == 0) & (w_r == 0) & (w_t > 0))[:, 0]
            ready, due = w_t * window[0], w_t * window[1]
            timed = np.where(f > due + 1e-9, np.inf, np.maximum(f, ready))
            f = np.where(hours_only[:, None], timed, f)
        f = f + w_t * p.process_h[there]
        gaps.append(_Gap(stations=[int(i) for i in tried], choice=choice, operand=list(h)))
    return f, gaps


def _recover(p: FixedRoute, grid: _Levels, gaps: list[_Gap], row: int, k: int) -> list[tuple[int, int, float]]:
    """Backwards from level ``k`` at the end: (gap, station index, charge up to [energy unit]) in driving order."""
    r, e = p.route, grid.e
    plan = []
    for g in range(len(r) - 2, -1, -1):
        here, there = r[g], r[g + 1]
        gap = gaps[g]
        c = int(gap.choice[row, k])
        if c == 0:
            k += int(e[here][there])
            continue
        i = gap.stations[c - 1]
        s = p.stations[i].node
        b = k + int(e[s][there])
        a = int(np.argmin(gap.operand[c - 1][row, : b + 1]))
        plan.append((g, i, b * grid.step))
        k = a + int(e[here][s])
    return plan[::-1]
