"""The fixed-route charging problem solved exactly by labelling with piecewise-linear frontiers (the idea of
Froger et al. 2019), fast enough for batches; :mod:`engine.routing.fixed_route` has the same problem as a MIP.

At every position the label is a frontier ``F(q)``: the least time to be there with at least ``q`` energy, a
non-decreasing piecewise-linear function on ``[q_min, q_hi]`` (:mod:`engine.routing.piecewise`). Moving along an
arc that takes ``E`` energy and ``T`` hours gives ``F(q + E) + T``. Charging at a station with ``tau`` (hours to
reach a charge from empty, convex piecewise linear) gives

    C(b) = tau(b) + min_{a <= b} (F(a) - tau(a))        for b in [q_min, Q]

(charge from the best arrival ``a`` up to ``b``; ``a = b`` is not charging), made "at least" again by a suffix
minimum. Between two route nodes the vehicle drives direct or through up to ``per_gap`` stations in a row; the
frontier at the next node is the lower envelope of all of them plus the node's service time. The duration is the
last frontier at ``q_min``. The stops are recovered backwards from the argmins and replayed forwards, which must
give the same duration.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from engine.routing.drive import drive_to_levels, missed_windows
from engine.routing.fixed_route import FixedRoute, RoutePlan, infeasible_reason
from engine.routing.piecewise import EPS, PL, in_window, lower, prefix_min, suffix_min


def _travel(f: PL | None, energy: float, hours: float, q_min: float) -> PL | None:
    if f is None or f.hi - energy < q_min - EPS:
        return None
    return f.shifted(energy, hours).clipped(q_min, f.hi - energy)


@dataclass(frozen=True)
class Weights:
    """What a route costs: ``time`` per hour, ``price`` times each station's price per unit of charge, ``risk``
    times each stop's probability of failing (a queue, an unavailable or broken charger)."""

    time: float = 1.0
    price: float = 0.0
    risk: float = 0.0

    @property
    def counts_only_time(self) -> bool:
        """Whether a label's cost is its hours (times ``time``): then time windows can act on it."""
        return self.time > 0 and self.price == 0 and self.risk == 0


class _Late(Exception):
    """No label reaches a route node before its window closes."""


class _Station:
    def __init__(self, p: FixedRoute, i: int, w: Weights) -> None:
        st = p.stations[i]
        self.node, self.function = st.node, st.function
        tau = PL.of(st.function.charge, st.function.time_h)  # hours to reach a charge from empty
        tau = tau.clipped(0.0, min(p.q_max, tau.hi))  # no charge past the battery or the function's end
        # what reaching a charge from empty costs: its hours and its price
        self.tau = PL(tau.xs, w.time * tau.ys + w.price * st.price_per_unit * tau.xs)
        self.minus_tau = PL(self.tau.xs, -self.tau.ys)
        self.q_hi = self.tau.hi
        self.process_h = w.time * st.process_h + w.risk * (1.0 - st.availability * st.reliability)

    def charge(self, arrive: PL | None, q_min: float) -> tuple[PL, PL, PL] | None:
        """(frontier after charging, the prefix minimum's operand ``F - tau``, the raw charged frontier)."""
        if arrive is None:
            return None
        usable = arrive.clipped(arrive.lo, self.q_hi)
        if usable is None:
            return None
        h = usable.plus(self.minus_tau)
        if h is None:
            return None
        raw = prefix_min(h, self.q_hi).plus(self.tau)
        if raw is None:
            return None
        return suffix_min(raw, q_min).shifted(0.0, self.process_h), h, raw


def solve_by_labels(p: FixedRoute, per_gap: int = 2, weights: Weights | None = None) -> RoutePlan:
    """The charging stops of ``p`` of least cost (module doc; by default the least duration). Large batches have
    a fast heuristic beside it: :mod:`engine.routing.grid`."""
    t0 = time.perf_counter()
    w = weights or Weights()
    start = min(p.q_init, p.q_max)
    if start < p.q_min:
        return RoutePlan(feasible=False, reason="starts below the least energy allowed", seconds=0.0)
    first = PL.of([p.q_min, start], [0.0, 0.0]) if start > p.q_min else PL.of([p.q_min], [0.0])
    try:
        walked = _forward(p, first, w, per_gap)
    except _Late as late:
        return RoutePlan(feasible=False, reason=str(late), seconds=time.perf_counter() - t0)
    if walked is None:
        return RoutePlan(feasible=False, reason=infeasible_reason(p), seconds=time.perf_counter() - t0)
    last, memo, stations = walked
    objective = last(p.q_min)
    stops, duration = drive_to_levels(p, _recover(p, stations, memo, p.q_min))
    if p.t_max is not None and duration > p.t_max + 1e-9:
        return RoutePlan(feasible=False, reason=f"takes {duration:.3f} h, over t_max", seconds=time.perf_counter() - t0)
    missed = missed_windows(p, stops) if p.windows is not None else []
    if missed:  # windows act inside the labels only when their cost is hours
        return RoutePlan(feasible=False, reason="window: " + missed[0], seconds=time.perf_counter() - t0)
    return RoutePlan(
        feasible=True, duration_h=duration, objective=objective, stops=stops, seconds=time.perf_counter() - t0
    )


def least_start_energy(p: FixedRoute, per_gap: int = 2) -> float | None:
    """The least energy to leave with that makes the route feasible, charging on the way as needed (``t_max``
    aside), or None when not even a full battery does: the labels with the start energy as the only cost,
    ``F_0(q) = q`` on ``[q_min, Q]``, so the last frontier at ``q_min`` is that least energy (``t_max`` and time
    windows aside). What a depot plan must charge a vehicle to for the route."""
    walked = _forward(p, PL.of([p.q_min, p.q_max], [p.q_min, p.q_max]), Weights(0.0, 0.0, 0.0), per_gap)
    return None if walked is None else walked[0](p.q_min)


def _forward(p: FixedRoute, frontier: PL, w: Weights, per_gap: int) -> tuple[PL, list[dict], list[_Station]] | None:
    """The labels along the route from the start's frontier: the last frontier, each gap's labels (for the
    recovery) and the stations as costed; None when a gap cannot be crossed."""
    r, E, q_min = p.route, p.energy, p.q_min
    T = [[w.time * x for x in row] for row in p.time_h]  # driving's cost
    stations = [_Station(p, i, w) for i in range(len(p.stations))]
    memo: list[dict] = []
    for g in range(len(r) - 1):
        here, there = r[g], r[g + 1]
        after: dict[tuple, tuple] = {}  # path of stations -> (charged frontier, h, raw, arrival at the station)
        arrived = _Arrivals()
        arrived.offer((), _travel(frontier, E[here][there], T[here][there], q_min))
        level: dict[tuple, PL] = {(): frontier}
        for _depth in range(per_gap):
            nxt: dict[tuple, PL] = {}
            for path, f in level.items():
                prev = here if not path else stations[path[-1]].node
                for i in range(len(stations)):
                    st = stations[i]
                    if path and i == path[-1]:
                        continue
                    # bound: through st the arrival costs at least f's least cost plus the driving and the stay
                    least = f.ys[0] + T[prev][st.node] + st.process_h + T[st.node][there]
                    reach = st.q_hi - E[st.node][there]
                    env = arrived.envelope
                    if env is not None and least >= env.ys[-1] - EPS and reach <= env.hi + EPS:
                        continue
                    arrive = _travel(f, E[prev][st.node], T[prev][st.node], q_min)
                    out = st.charge(arrive, q_min)
                    if out is None:
                        continue
                    after[(*path, i)] = (*out, arrive)
                    nxt[(*path, i)] = out[0]
                    arrived.offer((*path, i), _travel(out[0], E[st.node][there], T[st.node][there], q_min))
            level = nxt
        memo.append({"frontier": frontier, "after": after, "arrivals": arrived.by_path})
        if arrived.envelope is None:
            return None
        envelope, window = arrived.envelope, p.window(there)
        if window is not None and w.counts_only_time:  # early waits, late is cut off
            envelope = in_window(envelope, w.time * window[0], w.time * window[1])
            if envelope is None:
                least = arrived.envelope.ys[0] / w.time
                raise _Late(
                    f"window: reaches node {there} at {least:.3f} h at the earliest, after its window closes at "
                    f"{window[1]:.3f} h, even with the fastest charging"
                )
        frontier = envelope.shifted(0.0, w.time * p.process_h[there])
    return frontier, memo, stations


class _Arrivals:
    """The arrivals at a route node by path of stations, and their lower envelope."""

    def __init__(self) -> None:
        self.by_path: dict[tuple, PL] = {}
        self.envelope: PL | None = None

    def offer(self, path: tuple, arrival: PL | None) -> None:
        """Keep ``arrival`` unless it can lower nothing."""
        if arrival is None or _dominated(arrival, self.envelope):
            return
        self.by_path[path] = arrival
        self.envelope = lower(self.envelope, arrival)


def _dominated(f: PL, envelope: PL | None) -> bool:
    """Whether ``f`` (non-decreasing) can lower nothing: its least time is at least the envelope's most, on a
    domain the envelope covers."""
    return envelope is not None and f.hi <= envelope.hi + EPS and f.ys[0] >= envelope(f.hi) - EPS


def _argmin_from(f: PL, q: float) -> float:
    """The smallest ``x >= q`` where ``f`` is least over ``[q, f.hi]``."""
    xs = np.concatenate([[max(q, f.lo)], f.xs[f.xs > q + EPS]])
    ys = np.interp(xs, f.xs, f.ys)
    return float(xs[int(np.argmin(ys + 1e-12 * np.arange(len(xs))))])


def _recover(p: FixedRoute, stations: list[_Station], memo: list[dict], q_min: float) -> list[tuple[int, int, float]]:
    """Backwards from the end: per gap the path and the charge targets that reach the optimum, as (gap, station
    index, charge up to) in driving order."""
    r, E = p.route, p.energy
    need = q_min  # at least this much energy leaving the current route node
    plan: list[tuple[int, int, float]] = []  # (gap, station index, charge up to)
    for g in range(len(r) - 2, -1, -1):
        there = r[g + 1]
        arrivals = memo[g]["arrivals"]
        best = min(arrivals, key=lambda k: (arrivals[k](need), len(k)))
        q = _argmin_from(arrivals[best], need)
        if not best:
            need = q + E[r[g]][there]
            continue
        last = best[-1]
        q += E[stations[last].node][there]  # leaving the last station with at least q
        chain = []
        for depth in range(len(best) - 1, -1, -1):
            i = best[depth]
            _charged, h, raw, _arrive = memo[g]["after"][best[: depth + 1]]
            b = _argmin_from(raw, q)  # charge up to b
            a = h.argmin_upto(b)  # from an arrival of at least a
            chain.append((g, i, b))
            prev = stations[best[depth - 1]].node if depth > 0 else r[g]
            q = a + E[prev][stations[i].node]
        plan += chain
        need = q
    return list(reversed(plan))  # recovered last stop first: reversed is the driving order
