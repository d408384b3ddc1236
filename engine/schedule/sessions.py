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


@dataclass(frozen=True)
class Need:
    """What one vehicle dwell needs from the LP: pool, dwell, full-power slots."""

    vehicle: VehicleInputs
    pool: str
    dwell: tuple[int, int]  # [first slot, last slot + 1)
    slots: int
    lp_session: tuple[int, int] | None = None  # (start, length) of the LP's power on the pool, if any


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
    if need.lp_session is not None and need.lp_session not in out:
        out.append(need.lp_session)
    return out


def add_session_choice(m: pyo.ConcreteModel, x: ScheduleInputs, needs: list[Need]) -> None:
    """Add the binaries and constraints above to a built (and LP-solved) model."""
    size = {p.id: len(p.chargers) for p in x.pools}
    index, covers, pool_rows = [], {}, {}
    chosen = {(n.vehicle.vehicle.id, n.dwell[0]): n for n in needs}
    for k, n in enumerate(needs):
        for o, (start, length) in enumerate(options_of(n)):
            index.append((k, o))
            for t in range(start, start + length):
                covers.setdefault((k, t), []).append((k, o))
                pool_rows.setdefault((n.pool, t), []).append((k, o))
    m.N = pyo.Set(dimen=2, ordered=True, initialize=index)
    m.x = pyo.Var(m.N, within=pyo.Binary)
    m.session_choice = pyo.Constraint(
        range(len(needs)), rule=lambda _m, k: sum(m.x[k, o] for kk, o in index if kk == k) <= 1
    )
    power_rows = []
    for vi in x.vehicles:
        v = vi.vehicle.id
        for a, b in vi.dwells():
            n = chosen.get((v, a))
            k = needs.index(n) if n is not None else None
            for g in vi.pool_kw:
                for t in range(a, b):
                    if (v, g, t) not in m.p:  # closed by a policy directive
                        continue
                    if n is None or g != n.pool or (k, t) not in covers:
                        m.p[v, g, t].fix(0.0)
                    else:
                        power_rows.append((v, g, t, k))
    m.session_power = pyo.Constraint(
        power_rows, rule=lambda _m, v, g, t, k: m.p[v, g, t] <= m.p[v, g, t].ub * sum(m.x[i] for i in covers[k, t])
    )
    binding = [key for key, rows in pool_rows.items() if len(rows) > size[key[0]]]
    m.session_pool = pyo.Constraint(binding, rule=lambda _m, g, t: sum(m.x[i] for i in pool_rows[g, t]) <= size[g])
