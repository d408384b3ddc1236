"""Read solved values back into plain arrays: power per vehicle, pool and slot; SOC; sessions; site load."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyomo.environ as pyo

from engine.optim.handover import linear_value
from engine.schedule.assign import Session
from engine.schedule.inputs import ScheduleInputs, VehicleInputs

EPS_KW = 1e-4


@dataclass
class Solution:
    """Solved values as arrays."""

    power: dict[str, dict[str, np.ndarray]]  # vehicle -> pool -> kW per slot
    energy: dict[str, np.ndarray]  # vehicle -> kWh per boundary
    short: dict[tuple[str, int], float]  # (vehicle, departure index) -> kWh
    site_kw: dict[str, np.ndarray]  # depot -> grid import per slot
    storage_kw: dict[str, np.ndarray]  # depot -> battery charge (+) / discharge (-) per slot
    over_kw: dict[str, np.ndarray]
    terms: dict[str, float]
    limits: list = field(default_factory=list)  # binding limits of an LP plan (engine.schedule.limits.Limit)
    lack: dict[tuple[str, int], float] = field(default_factory=dict)  # (vehicle, departure) -> kWh the trip lacks


def energy_trajectory(
    vi: VehicleInputs,
    power: dict[str, np.ndarray],
    short: dict[tuple[str, int], float],
    x: ScheduleInputs,
    lack: dict[tuple[str, int], float] | None = None,
) -> np.ndarray:
    """Battery energy at every boundary [kWh], rebuilt from power exactly as the energy balance defines it (a
    departure adds back its ``lack`` where it has one, else its ``short``)."""
    T = x.n_slots
    v = vi.vehicle.id
    drawn = np.zeros(T)
    for kw in power.values():
        drawn += kw
    step = vi.vehicle.charge_efficiency * x.dt_h * drawn
    for k, dep in enumerate(vi.departures):
        if dep.slot < T:
            back = lack[v, k] if lack and (v, k) in lack else short.get((v, k), 0.0)
            step[dep.slot] += back - dep.use_kwh
    return np.concatenate([[vi.e0_kwh], vi.e0_kwh + np.cumsum(step)])


def read_solution(m: pyo.ConcreteModel, x: ScheduleInputs) -> Solution:
    """Collect values from a solved model."""
    T = x.n_slots
    power: dict[str, dict[str, np.ndarray]] = {vi.vehicle.id: {} for vi in x.vehicles}
    for (v, g, t), var in m.p.items():
        power[v].setdefault(g, np.zeros(T))[t] = max(0.0, var.value or 0.0)
    short = {k: float(m.short[k].value or 0.0) for k in m.K}
    lack = {k: float(m.lack[k].value or 0.0) for k in m.KL}
    energy = {vi.vehicle.id: energy_trajectory(vi, power[vi.vehicle.id], short, x, lack) for vi in x.vehicles}
    site = {d: np.array([m.imp[d, t].value for t in m.T], dtype=float) for d in m.D}
    over = {d: np.zeros(T) for d in m.D}
    for (d, t), var in m.over.items():
        over[d][t] = var.value or 0.0
    storage = {d: np.array([m.ch[d, t].value - m.dis[d, t].value for t in m.T], dtype=float) for d in m.S}
    terms = {
        n: linear_value(getattr(m, f"cost_{n}"))
        for n in ("energy", "demand", "public", "wear", "penalty", "end", "change", "prefer", "timing")
    }
    return Solution(power, energy, short, site, storage, over, terms, lack=lack)


def sessions_of(sol: Solution, x: ScheduleInputs) -> list[Session]:
    """Contiguous plug sessions: per vehicle, dwell and pool, from the first to the last slot with power."""
    out = []
    for vi in x.vehicles:
        for g, kw in sorted(sol.power[vi.vehicle.id].items()):
            for a, b in vi.dwells():
                active = [t for t in range(a, b) if kw[t] > EPS_KW]
                if active:
                    out.append(Session(vi.vehicle.id, g, active[0], active[-1] + 1))
    return out
