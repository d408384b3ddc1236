"""Rule-based baselines, simulated slot by slot with the same inputs and the same Plan type.

- ``uncontrolled``: a vehicle plugs into the first free compatible charger when it arrives and charges at full
  power until full (site limit ignored, as unmanaged depots do; any excess is reported).
- ``greedy``: plugged vehicles, in order of arrival, charge at full power to their next departure's target (not
  to full) while the site headroom lasts.
- ``balanced``: plugged vehicles, in order of arrival, spread what their next departure needs evenly over the
  slots left before it (the power that reaches the target just in time, capped by the charger), under the site
  limit.
- ``edf`` / ``llf``: plugged vehicles are served in order of earliest deadline / least laxity (time to departure
  minus time needed at full power), each at full power until the site headroom is used up, and charge only to
  their departure target.
A charger with a minimum power gives 0 or at least that minimum (the minimum when less is wanted and the site has
room for it). A vehicle leaves its charger when it departs or once its goal is met; waiting vehicles take free chargers in
order of arrival (then id). The simulation visits only vehicles present at the depot: O(slots x present).
"""

from __future__ import annotations

import heapq

import numpy as np

from engine.schedule.assign import Session
from engine.schedule.extract import Solution, energy_trajectory
from engine.schedule.inputs import Departure, ScheduleInputs, VehicleInputs

EPS = 1e-9


def _next_departure(vi: VehicleInputs, t: int) -> Departure | None:
    return next((d for d in vi.departures if d.slot > t), None)


def _shortfall(dep: Departure, energy_kwh: float) -> float:
    """Energy a vehicle holding ``energy_kwh`` lacks at departure [kWh], as the LP counts it: below the target,
    or below the trip's own use (a trip longer than the battery can hold is short whatever the charging:
    the battery never goes below empty)."""
    return max(0.0, dep.target_kwh - energy_kwh, dep.use_kwh - energy_kwh)


def simulate(x: ScheduleInputs, strategy: str) -> tuple[Solution, dict[Session, str], list[Session]]:
    """Run baseline ``strategy`` (uncontrolled, greedy, balanced, edf, llf) over the horizon."""
    T, dt = x.n_slots, x.dt_h
    info = {vi.vehicle.id: vi for vi in x.vehicles}
    power: dict[str, dict[str, np.ndarray]] = {v: {} for v in info}
    short: dict[tuple[str, int], float] = {}
    lack: dict[tuple[str, int], float] = {}
    e = {v: vi.e0_kwh for v, vi in info.items()}
    rank = {c: i for p in x.pools for i, c in enumerate(p.chargers)}
    site_of = {p.id: p.depot_id for p in x.pools}
    free = {p.id: [(rank[c], c) for c in p.chargers] for p in x.pools}  # heaps: lowest-numbered charger first
    plugged: dict[str, tuple[str, str, int]] = {}  # vehicle -> (pool, charger, plug-in slot)
    sessions: dict[Session, str] = {}
    site = {d: x.depots[d].building_kw - x.depots[d].pv_kw for d in x.depots}
    site = {d: (s if x.depots[d].allow_export else np.maximum(s, 0.0)).copy() for d, s in site.items()}
    arrivals: dict[int, list[str]] = {}
    dwell_end: dict[tuple[str, int], int] = {}
    for v, vi in info.items():
        for a, b in vi.dwells():
            arrivals.setdefault(a, []).append(v)
            dwell_end[v, a] = b
    leaving: dict[int, list[tuple[str, int, Departure]]] = {}
    for v, vi in info.items():
        for k, dep in enumerate(vi.departures):
            leaving.setdefault(dep.slot, []).append((v, k, dep))
    waiting: dict[str, int] = {}  # vehicle -> end of its current dwell
    arrived_at: dict[str, int] = {}

    def goal(v: str, t: int) -> float:
        vi = info[v]
        dep = _next_departure(vi, t - 1)
        return vi.e_max_kwh if strategy == "uncontrolled" or dep is None else dep.target_kwh

    def unplug(v: str, t: int) -> None:
        pool, charger, start = plugged.pop(v)
        heapq.heappush(free[pool], (rank[charger], charger))
        if t > start:
            sessions[Session(v, pool, start, t)] = charger

    for t in range(T):
        for v, k, dep in leaving.get(t, []):
            if v in plugged:
                unplug(v, t)
            waiting.pop(v, None)
            short[v, k] = _shortfall(dep, e[v])
            if not info[v].departs_again(dep.slot):
                e[v] += short[v, k] - dep.use_kwh  # as in the LP: the shortfall is counted, the trip still runs
            else:  # as in the LP: only what the trip itself lacks is added back (engine.schedule.energy)
                lack[v, k] = max(0.0, dep.use_kwh - e[v])
                e[v] += lack[v, k] - dep.use_kwh
        for v in arrivals.get(t, []):
            waiting[v] = dwell_end[v, t]
            arrived_at[v] = t
        for v in sorted(waiting, key=lambda v: (arrived_at[v], v)):
            if waiting[v] <= t:
                del waiting[v]
                continue
            if e[v] >= goal(v, t) - EPS:
                continue
            vi = info[v]
            for g in sorted(vi.pool_kw, key=lambda g: (-vi.pool_kw[g], g)):
                if free[g] and (g, t) not in vi.blocked:  # not a pool closed now (or at another site)
                    plugged[v] = (g, heapq.heappop(free[g])[1], t)
                    del waiting[v]
                    break

        def laxity(v: str, t: int = t) -> tuple:
            vi = info[v]
            dep = _next_departure(vi, t - 1)
            deadline = dep.slot if dep else T
            if strategy == "llf":
                rate = vi.pool_kw[plugged[v][0]] * vi.vehicle.charge_efficiency * dt
                return (deadline - t - (goal(v, t) - e[v]) / max(rate, EPS), v)
            return (deadline, v)

        if strategy in ("edf", "llf"):
            order = sorted(plugged, key=laxity)
        elif strategy in ("greedy", "balanced"):
            order = sorted(plugged, key=lambda v: (plugged[v][2], v))  # first plugged in, first served
        else:
            order = sorted(plugged)
        done = []
        for v in order:
            vi = info[v]
            g = plugged[v][0]
            depot = site_of[g]  # the pool's site: at home or where it lays over
            eta = vi.vehicle.charge_efficiency
            target = goal(v, t)
            kw = 0.0 if (g, t) in vi.blocked else min(vi.pool_kw[g], max(0.0, target - e[v]) / (eta * dt))
            if strategy == "balanced":
                dep = _next_departure(vi, t - 1)
                left = max(1, (dep.slot if dep else T) - t)  # slots before it leaves, this one included
                kw = min(kw, max(0.0, target - e[v]) / (eta * dt * left))
            room = np.inf if strategy == "uncontrolled" else max(0.0, x.depots[depot].grid_limit_kw - site[depot][t])
            kw = min(kw, room)
            low = x.min_kw.get((v, g), 0.0)
            if EPS < kw < low:  # the charger cannot go this low: its minimum if there is room for it, else off
                kw = low if low <= room else 0.0
            if kw > EPS:
                power[v].setdefault(g, np.zeros(T))[t] += kw
                e[v] += eta * kw * dt
                site[depot][t] += kw
            if e[v] >= target - 1e-6:
                done.append(v)
        for v in done:
            unplug(v, t + 1)
    for v in list(plugged):
        unplug(v, T)
    for v, k, dep in leaving.get(T, []):  # departures on the last boundary: judged at the horizon's end
        short[v, k] = _shortfall(dep, e[v])
    energy = {v: energy_trajectory(info[v], power[v], short, x, lack) for v in info}
    over = {d: np.maximum(0.0, site[d] - x.depots[d].grid_limit_kw) for d in site}
    return Solution(power, energy, short, site, {}, over, {}, lack=lack), sessions, []
