"""What a binding limit is worth: the duals of the plan's LP (the LP itself, or the LP with the chosen sessions
fixed) mapped back to the depots and charger pools they belong to, PyPSA-style.

Site limit of depot d in slot t (a bound ``imp[d,t] <= L_d`` where nothing fixed can exceed it, else the row
``site_limit:d:t``): 1 kW more in slot t is worth ``-dual`` [$ per kW for that slot]. Charger pool g in slot t
(row ``pool_capacity:g:t``, in chargers): one more charger in slot t is worth ``-dual`` [$ per charger].
Consecutive slots where a limit binds at about the same price form one window; one unit more over the whole
window is worth the sum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo

from engine.optim.handover import HighsLP
from engine.schedule.inputs import ScheduleInputs

WORTH_USD = 1e-3  # a window whose extra unit saves less than this [$] is not reported (tie-breaks, noise)


@dataclass(frozen=True)
class Limit:
    """A limit that binds over slots [start, end) and what one unit more of it over that window saves."""

    family: str  # site_limit | pool_capacity
    entity: str  # depot id or pool id
    start: int
    end: int
    level: float  # the limit: kW for a site, chargers for a pool
    unit: str  # kW | charger
    saving_usd: float  # objective saved by one unit more over the window [$]

    @property
    def name(self) -> str:
        """``<family>:<entity>:<first slot>-<last slot>``."""
        return f"{self.family}:{self.entity}:{self.start}-{self.end - 1}"


def _windows(family: str, entity: str, level: float, unit: str, saving: np.ndarray) -> list[Limit]:
    """Runs of consecutive slots where one more unit saves about the same (within 5 % or $1e-4): one Limit each,
    so a window at one shadow price is not merged with its neighbours at another (e.g. tie-breaks)."""
    out, t, T = [], 0, len(saving)
    while t < T:
        if saving[t] <= 1e-9:
            t += 1
            continue
        a = t
        while t < T and saving[t] > 1e-9 and abs(saving[t] - saving[a]) <= max(1e-4, 0.05 * saving[a]):
            t += 1
        worth = float(saving[a:t].sum())
        if worth >= WORTH_USD:
            out.append(Limit(family, entity, a, t, level, unit, worth))
    return out


def binding_limits(m: pyo.ConcreteModel, lp: HighsLP, x: ScheduleInputs) -> list[Limit]:
    """The site and charger-pool limits that bind in HiGHS's last LP solution of ``m``, worth most first."""
    out: list[Limit] = []
    rows = dict(m.site_limit.items())
    for d, di in sorted(x.depots.items()):
        saving = np.zeros(x.n_slots)
        bounded = [(t, m.imp[d, t]) for t in range(x.n_slots) if (d, t) not in rows]
        if bounded:
            saving[[t for t, _v in bounded]] = -lp.column_duals([v for _t, v in bounded])
        penalised = [(t, rows[d, t]) for t in range(x.n_slots) if (d, t) in rows]
        if penalised:
            saving[[t for t, _c in penalised]] = -lp.row_duals([c for _t, c in penalised])
        out += _windows("site_limit", d, di.grid_limit_kw, "kW", saving)
    capacity = dict(m.pool_capacity.items())
    for pool in x.pools:
        slots = [t for t in range(x.n_slots) if (pool.id, t) in capacity]
        if not slots:
            continue
        saving = np.zeros(x.n_slots)
        saving[slots] = -lp.row_duals([capacity[pool.id, t] for t in slots])
        out += _windows("pool_capacity", pool.id, float(len(pool.chargers)), "charger", saving)
    return sorted(out, key=lambda lim: (-lim.saving_usd, lim.name))
