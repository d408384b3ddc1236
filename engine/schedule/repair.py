"""The session MIP as an improvement step over the conflicts the rounding leaves: only around short departures.

When the rounded plan (:mod:`engine.schedule.contention`) leaves a departure short that the relaxation serves,
the dwells that compete with it get session binaries (:mod:`engine.schedule.sessions`) and every other dwell
keeps its rounded window as it is:

- the *short* dwells: every dwell, up to the departure, of a vehicle whose departure ends shorter than in the
  relaxation;
- their *neighbours*: dwells whose rounded window lies on a pool a short dwell uses and overlaps that dwell in
  time, most overlapping first, at most ``MAX_NEIGHBOURS`` (ties by need index).

Each chosen dwell has options on every pool it can use (one session in all), its rounded window among them,
so the rounding is one of the MIP's solutions (and its start): the MIP can only improve on it. The other windows hold their chargers,
which the pool rows subtract from ``n_g``. A few dozen dwells instead of every dwell of the depot keeps the MIP
small enough to close within its node limit.
"""

from __future__ import annotations

import numpy as np

from engine.schedule.extract import EPS_KW, Solution
from engine.schedule.sessions import Fixed, Need
from engine.schedule.windows import SessionSpace, Windows

MAX_NEIGHBOURS = 24  # dwells around the short ones that get binaries [-]
SHORTER_KWH = 1e-3  # a departure counts as short when the rounding leaves this much more than the relaxation [kWh]


def short_departures(rounded: Solution, relaxed: Solution) -> set[tuple[str, int]]:
    """(vehicle, departure index) the rounded plan leaves shorter than the relaxation does."""
    return {key for key, s in rounded.short.items() if s > relaxed.short.get(key, 0.0) + SHORTER_KWH}


def around(
    space: SessionSpace, windows: Windows, short: set[tuple[str, int]], limit: int = MAX_NEIGHBOURS
) -> list[int]:
    """The needs that get binaries (module doc), in index order."""
    before = {}  # vehicle -> latest short departure slot
    for vi in space.x.vehicles:
        for k, dep in enumerate(vi.departures):
            if (vi.vehicle.id, k) in short:
                before[vi.vehicle.id] = max(before.get(vi.vehicle.id, 0), dep.slot)
    mine = [k for k, n in enumerate(space.needs) if n.dwell[1] <= before.get(n.vehicle, -1)]
    overlap: dict[int, int] = {}
    for k in mine:
        a, b = space.needs[k].dwell
        pools = set(space.needs[k].pools)
        for j, w in windows.items():
            if j in mine or w.pool not in pools:
                continue
            shared = min(b, w.end) - max(a, w.start)
            if shared > 0:
                overlap[j] = max(overlap.get(j, 0), shared)
    neighbours = sorted(overlap, key=lambda j: (-overlap[j], j))[:limit]
    return sorted([*mine, *neighbours])


def repair_needs(space: SessionSpace, windows: Windows, chosen: list[int], lp: Solution) -> list[Need]:
    """Session-choice needs for the chosen dwells: one on every pool the dwell can use, the rounded window
    kept as an option on its own pool."""
    by_id = {vi.vehicle.id: vi for vi in space.x.vehicles}
    out = []
    for k in chosen:
        n, w = space.needs[k], windows.get(k)
        a, b = n.dwell
        for pool in n.pools:
            kw = lp.power[n.vehicle].get(pool, np.zeros(space.x.n_slots))
            active = np.flatnonzero(kw[a:b] > EPS_KW)
            lp_session = (a + int(active[0]), int(active[-1] - active[0]) + 1) if active.size else None
            kept = (w.start, w.end - w.start) if w is not None and w.pool == pool else None
            out.append(Need(by_id[n.vehicle], pool, n.dwell, space.slots_needed(k, pool), lp_session, kept))
    return out


def kept_windows(space: SessionSpace, windows: Windows, chosen: list[int]) -> Fixed:
    """The rounded windows of every dwell not chosen, (vehicle, dwell start) -> (pool, start, end)."""
    skip = set(chosen)
    return {
        (space.needs[k].vehicle, space.needs[k].dwell[0]): (w.pool, w.start, w.end)
        for k, w in windows.items()
        if k not in skip
    }
