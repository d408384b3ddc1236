"""Session choice: one contiguous plug session per vehicle and dwell, counted exactly against pool sizes.

Added to the LP when its fractional occupancy produces sessions that overlap beyond a pool's size. For each
vehicle dwell ``n`` with LP energy ``E_n`` on pool ``g`` (the pool that carried most of it) at power ``P``:
``d_n = ceil(E_n / (P * dt))`` slots at full power; options ``o = (start, length)`` with lengths
``{d_n, ~1.5 d_n, 2 d_n}`` (within the dwell) and starts spread over the dwell, plus the LP's own session on
that pool (first to last slot with power), so a dwell the LP served without conflict can keep its LP plan.
With binaries ``x[n,o]``:

    sum_o x[n,o] <= 1                                            session_choice:<vehicle>:<dwell start>
                                                                 (no session at all: its shortfall is penalised)
    p[v,g,t] <= P * sum_{o covers t} x[n,o]                       session_power:<vehicle>:<pool>:<slot>
    sum_{n on g} sum_{o covers t} x[n,o] <= n_g                   session_pool:<pool>:<slot>
    p[v,g',t] = 0 for the dwell's other pools

A dwell may also have needs on several pools (the improvement step of :mod:`engine.schedule.repair`): then
its options on all of them share the one ``session_choice`` row.

Sessions chosen this way lie in windows that never exceed a pool's size, so interval colouring assigns every
one of them a physical charger.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pyomo.environ as pyo

from engine.schedule.extract import EPS_KW, Solution
from engine.schedule.inputs import ScheduleInputs, VehicleInputs

MAX_STARTS = 24  # candidate starts per session length
SESSION_GAP = 0.005  # relative MIP gap accepted for the session choice [-]


Fixed = dict[tuple[str, int], tuple[str, int, int]]  # (vehicle, dwell start) -> (pool, start, end) kept as is


@dataclass(frozen=True)
class Need:
    """What one vehicle dwell needs from the LP: pool, dwell, full-power slots."""

    vehicle: VehicleInputs
    pool: str
    dwell: tuple[int, int]  # [first slot, last slot + 1)
    slots: int
    lp_session: tuple[int, int] | None = None  # (start, length) of the LP's power on the pool, if any
    kept: tuple[int, int] | None = None  # (start, length) of a window already priced (the rounding's), if any

    @property
    def key(self) -> tuple[str, int]:
        """The dwell this need belongs to, (vehicle, first slot): a dwell may have needs on several pools, and
        ``Fixed`` is keyed the same way."""
        return self.vehicle.vehicle.id, self.dwell[0]


def needs_from(x: ScheduleInputs, sol: Solution) -> list[Need]:
    """Per vehicle dwell with energy in the LP: its main pool and full-power duration."""
    out = []
    for vi in x.vehicles:
        power = sol.power[vi.vehicle.id]
        for a, b in vi.dwells():
            energy = {g: float(kw[a:b].sum()) * x.dt_h for g, kw in power.items()}
            total = sum(energy.values())
            if total <= 1e-6:
                continue
            pool = max(sorted(energy), key=lambda g: energy[g])
            slots = max(1, math.ceil(total / (vi.pool_kw[pool] * x.dt_h) - 1e-9))
            active = [t for t in range(a, b) if power[pool][t] > EPS_KW]
            lp_session = (active[0], active[-1] + 1 - active[0]) if active else None
            out.append(Need(vi, pool, (a, b), min(slots, b - a), lp_session))
    return out


def options_of(need: Need) -> list[tuple[int, int]]:
    """Candidate (start, length) sessions inside the dwell."""
    a, b = need.dwell
    span = b - a
    lengths = sorted(
        {min(span, need.slots), min(span, max(need.slots + 1, round(1.5 * need.slots))), min(span, 2 * need.slots)}
    )
    out = []
    for length in lengths:
        last = b - length
        step = max(1, math.ceil((last - a + 1) / MAX_STARTS))
        starts = sorted({*range(a, last + 1, step), last})
        out += [(s, length) for s in starts]
    for own in (need.lp_session, need.kept):
        if own is not None and own not in out:
            out.append(own)
    return out


def add_session_choice(m: pyo.ConcreteModel, x: ScheduleInputs, needs: list[Need], fixed: Fixed | None = None) -> None:
    """Add the binaries and constraints above to a built (and LP-solved) model. ``fixed``: dwells without a
    need that keep a window, (vehicle, dwell start) -> (pool, start, end): their power stays free inside it,
    and each holds a charger of its pool in every slot of it (``n_g`` above less those)."""
    fixed = fixed or {}
    size = {p.id: len(p.chargers) for p in x.pools}
    held = occupied(fixed)
    index, covers, pool_rows = [], {}, {}
    options: dict[tuple[str, int], list[tuple[int, int]]] = {}  # dwell -> its options on every pool
    on_pool: dict[tuple[str, int, str], int] = {}  # (vehicle, dwell start, pool) -> need index
    for k, n in enumerate(needs):
        dwell = n.key
        on_pool[(*dwell, n.pool)] = k
        for o, (start, length) in enumerate(options_of(n)):
            index.append((k, o))
            options.setdefault(dwell, []).append((k, o))
            for t in range(start, start + length):
                covers.setdefault((k, t), []).append((k, o))
                pool_rows.setdefault((n.pool, t), []).append((k, o))
    m.N = pyo.Set(dimen=2, ordered=True, initialize=index)
    m.x = pyo.Var(m.N, within=pyo.Binary)
    dwells = sorted(options)
    m.session_choice = pyo.Constraint(dwells, rule=lambda _m, v, a: sum(m.x[k] for k in options[v, a]) <= 1)
    power_rows = []
    for vi in x.vehicles:
        v = vi.vehicle.id
        for a, b in vi.dwells():
            keep = fixed.get((v, a)) if (v, a) not in options else None
            for g in vi.pool_kw:
                k = on_pool.get((v, a, g))
                for t in range(a, b):
                    if (v, g, t) not in m.p:  # closed by a policy directive
                        continue
                    if keep is not None:
                        if g != keep[0] or not keep[1] <= t < keep[2]:
                            m.p[v, g, t].fix(0.0)
                    elif k is None or (k, t) not in covers:
                        m.p[v, g, t].fix(0.0)
                    else:
                        power_rows.append((v, g, t, k))
    m.session_power = pyo.Constraint(
        power_rows, rule=lambda _m, v, g, t, k: m.p[v, g, t] <= m.p[v, g, t].ub * sum(m.x[i] for i in covers[k, t])
    )
    free = {key: size[key[0]] - held.get(key, 0) for key in pool_rows}
    binding = [key for key, rows in pool_rows.items() if len(rows) > free[key]]
    m.session_pool = pyo.Constraint(binding, rule=lambda _m, g, t: sum(m.x[i] for i in pool_rows[g, t]) <= free[g, t])


def occupied(fixed: Fixed) -> dict[tuple[str, int], int]:
    """Chargers the fixed windows hold per (pool, slot)."""
    out: dict[tuple[str, int], int] = {}
    for pool, start, end in fixed.values():
        for t in range(start, end):
            out[pool, t] = out.get((pool, t), 0) + 1
    return out
