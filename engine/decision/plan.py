"""The Plan of a solution: per vehicle its sessions on physical chargers, power and SOC; per depot its load."""

from __future__ import annotations

from datetime import UTC, timedelta

import numpy as np

from engine.results import ChargeSession, Plan, VehiclePlan
from engine.schedule.assign import Session
from engine.schedule.extract import Solution
from engine.schedule.inputs import ScheduleInputs


def build_plan(x: ScheduleInputs, sol: Solution, assigned: dict[Session, str], strategy: str) -> Plan:
    """The Plan of a solution."""
    starts = [t.to_pydatetime() for t in x.slot_starts]
    dt = timedelta(hours=x.dt_h)
    end_of = (starts[-1].astimezone(UTC) + dt).astimezone(starts[-1].tzinfo) if starts else x.problem.now
    by_vehicle: dict[str, list[tuple[Session, str]]] = {}
    for s, charger in sorted(assigned.items(), key=lambda kv: (kv[0].start, kv[0].pool, kv[0].vehicle_id)):
        by_vehicle.setdefault(s.vehicle_id, []).append((s, charger))
    vehicles = []
    for vi in x.vehicles:
        v = vi.vehicle.id
        kw = np.zeros(x.n_slots)
        for series in sol.power[v].values():
            kw += series
        sessions = []
        for s, charger in by_vehicle.get(v, []):
            drawn = sol.power[v].get(s.pool)  # a plugged vehicle may draw nothing (site limit)
            e = 0.0 if drawn is None else float(drawn[s.start : s.end].sum() * x.dt_h)
            sessions.append(
                ChargeSession(
                    charger_id=charger,
                    plug_in=starts[s.start],
                    plug_out=starts[s.end] if s.end < x.n_slots else end_of,
                    energy_kwh=e,
                )
            )
        soc = (sol.energy[v] / vi.vehicle.battery_kwh).tolist()
        at_dep = {d.trip.id: float(sol.energy[v][d.slot] / vi.vehicle.battery_kwh) for d in vi.departures}
        vehicles.append(
            VehiclePlan(
                vehicle_id=v,
                charger_id=sessions[0].charger_id if sessions else None,
                sessions=sessions,
                power_kw=kw.tolist(),
                soc=soc,
                soc_at_departure=at_dep,
                trip_ids=[d.trip.id for d in vi.departures],
            )
        )
    return Plan(
        strategy=strategy,
        slot_starts=starts,
        slot_minutes=round(x.dt_h * 60),
        vehicles=vehicles,
        site_load_kw=np.sum(list(sol.site_kw.values()), axis=0).tolist(),
        depot_load_kw={d: s.tolist() for d, s in sol.site_kw.items()},
        grid_limit_kw={d: di.grid_limit_kw for d, di in x.depots.items()},
        storage_kw={d: s.tolist() for d, s in sol.storage_kw.items()},
    )
