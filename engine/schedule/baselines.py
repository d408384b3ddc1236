"""Rule-based baselines, simulated slot by slot with the same inputs and the same Plan type.

- ``uncontrolled``: a vehicle plugs into the first free compatible charger when it arrives and charges at full
  power until full (site limit ignored, as real unmanaged depots do; any excess is reported).
- ``edf`` / ``llf``: plugged vehicles are served in order of earliest deadline / least laxity
  (time to departure minus time needed at full power), each at full power until the site headroom is used up,
  and charge only to their departure target.
A vehicle leaves its charger when it departs or, under EDF/LLF, when its target is met; waiting vehicles
take free chargers in order of arrival.
"""

from __future__ import annotations

import numpy as np

from engine.schedule.assign import Session
from engine.schedule.extract import Solution
from engine.schedule.inputs import ScheduleInputs, VehicleInputs

EPS = 1e-9


def _next_departure(vi: VehicleInputs, t: int):
    return next((d for d in vi.departures if d.slot > t), None)


def simulate(x: ScheduleInputs, strategy: str) -> tuple[Solution, dict[Session, str], list[Session]]:
    """Run baseline ``strategy`` (uncontrolled, edf, llf) over the horizon."""
    T, dt = x.n_slots, x.dt_h
    energy = {vi.vehicle.id: np.zeros(T + 1) for vi in x.vehicles}
    power = {vi.vehicle.id: {} for vi in x.vehicles}
    short: dict[tuple[str, int], float] = {}
    e = {vi.vehicle.id: vi.e0_kwh for vi in x.vehicles}
    plugged: dict[str, tuple[str, str, int]] = {}  # vehicle -> (pool, charger, start slot)
    sessions: dict[Session, str] = {}
    pool_of = {p.id: p for p in x.pools}
    charger_busy: dict[str, str | None] = {c: None for p in x.pools for c in p.chargers}
    site = {d: x.depots[d].building_kw - x.depots[d].pv_kw for d in x.depots}
    site = {d: np.maximum(v, 0.0) if not x.depots[d].allow_export else v.copy() for d, v in site.items()}
    slots = {vi.vehicle.id: set(vi.charge_slots) for vi in x.vehicles}

    def unplug(v: str, t: int) -> None:
        pool, charger, start = plugged.pop(v)
        charger_busy[charger] = None
        if t > start:
            sessions[Session(v, pool, start, t)] = charger

    for vi in x.vehicles:
        energy[vi.vehicle.id][0] = vi.e0_kwh
    for t in range(T):
        for vi in x.vehicles:
            v = vi.vehicle.id
            for k, d in enumerate(vi.departures):
                if d.slot == t:
                    if v in plugged:
                        unplug(v, t)
                    lack = max(0.0, d.target_kwh - e[v])
                    short[v, k] = lack
                    e[v] = max(0.0, e[v] - d.use_kwh)
        # plug in arriving vehicles (order: earliest charge slot, then id), first free compatible charger
        for vi in sorted(x.vehicles, key=lambda vi: (min(slots[vi.vehicle.id], default=T), vi.vehicle.id)):
            v = vi.vehicle.id
            if v in plugged or t not in slots[v]:
                continue
            goal = (
                vi.e_max_kwh
                if strategy == "uncontrolled"
                else (_next_departure(vi, t - 1).target_kwh if _next_departure(vi, t - 1) else vi.e_max_kwh)
            )
            if e[v] >= goal - EPS:
                continue
            for g in sorted(vi.pool_kw, key=lambda g: (-vi.pool_kw[g], g)):
                free = next((c for c in pool_of[g].chargers if charger_busy[c] is None), None)
                if free:
                    charger_busy[free] = v
                    plugged[v] = (g, free, t)
                    break
        # allocate power
        info = {vi.vehicle.id: vi for vi in x.vehicles}

        def key(v: str, t: int = t, info: dict = info):
            vi = info[v]
            dep = _next_departure(vi, t - 1)
            deadline = dep.slot if dep else T
            if strategy == "llf":
                need = (dep.target_kwh if dep else vi.e_max_kwh) - e[v]
                rate = vi.pool_kw[plugged[v][0]] * vi.vehicle.charge_efficiency
                return (deadline - t - need / max(rate * dt, EPS), v)
            return (deadline, v)

        order = sorted(plugged, key=key) if strategy in ("edf", "llf") else sorted(plugged)
        for v in order:
            vi = info[v]
            g = plugged[v][0]
            depot = vi.vehicle.depot_id
            dep = _next_departure(vi, t - 1)
            goal = vi.e_max_kwh if strategy == "uncontrolled" or dep is None else dep.target_kwh
            eta = vi.vehicle.charge_efficiency
            kw = min(vi.pool_kw[g], max(0.0, goal - e[v]) / (eta * dt))
            if strategy != "uncontrolled":
                kw = min(kw, max(0.0, x.depots[depot].grid_limit_kw - site[depot][t]))
            if kw > EPS:
                power[v].setdefault(g, np.zeros(T))[t] += kw
                e[v] += eta * kw * dt
                site[depot][t] += kw
            if (strategy != "uncontrolled" and e[v] >= goal - 1e-6) or (
                strategy == "uncontrolled" and e[v] >= vi.e_max_kwh - 1e-6
            ):
                unplug(v, t + 1)
        for vi in x.vehicles:
            energy[vi.vehicle.id][t + 1] = e[vi.vehicle.id]
    for v in list(plugged):
        unplug(v, T)
    over = {d: np.maximum(0.0, site[d] - x.depots[d].grid_limit_kw) for d in site}
    sol = Solution(power, energy, short, site, {}, over, {})
    return sol, sessions, []
