"""The targets a plan cannot meet, each with the reason in words."""

from __future__ import annotations

from engine.results import Violation
from engine.schedule.assign import Session
from engine.schedule.extract import Solution
from engine.schedule.inputs import Departure, ScheduleInputs, VehicleInputs


def plan_violations(x: ScheduleInputs, sol: Solution, conflicts: list[Session]) -> list[Violation]:
    """Departures short of their targets (with the reason), sessions no charger is free for, import above a depot's
    grid limit."""
    out = []
    for vi in x.vehicles:
        for k, dep in enumerate(vi.departures):
            lack = sol.short.get((vi.vehicle.id, k), 0.0)
            if lack > 1e-3:
                out.append(
                    Violation(
                        vehicle_id=vi.vehicle.id,
                        target=f"departure_target:{vi.vehicle.id}:{dep.trip.id}",
                        shortfall_kwh=lack,
                        reason=why_short(x, vi, dep),
                    )
                )
    for s in conflicts:
        out.append(
            Violation(
                vehicle_id=s.vehicle_id,
                target=f"charger:{s.vehicle_id}:{s.pool}",
                shortfall_kwh=0.0,
                reason="no physical charger free for this session after repair",
            )
        )
    for d, over in sol.over_kw.items():
        if over.max() > 1e-6:
            out.append(
                Violation(
                    vehicle_id="*",
                    target=f"site_limit:{d}",
                    shortfall_kwh=float(over.sum() * x.dt_h),
                    reason=f"import above the {x.depots[d].grid_limit_kw:g} kW grid limit",
                )
            )
    return out


def why_short(x: ScheduleInputs, vi: VehicleInputs, dep: Departure) -> str:
    """Why a departure is short, in words: a battery too small, too little time at the depot, or shared limits."""
    if dep.use_kwh > vi.e_max_kwh + 1e-6:
        return (
            f"the trip needs {dep.use_kwh:.1f} kWh but the battery holds at most {vi.e_max_kwh:.1f} kWh: "
            "no charging plan can serve it"
        )
    slots_before = [t for t in vi.charge_slots if t < dep.slot]
    best = max(vi.pool_kw.values(), default=0.0) * vi.vehicle.charge_efficiency * x.dt_h * len(slots_before)
    need = dep.target_kwh - vi.e0_kwh
    if best + 1e-6 < need:
        return (
            f"needs {need:.1f} kWh but at most {best:.1f} kWh can be charged in the "
            f"{len(slots_before) * x.dt_h:.2f} h it is at the depot before departure"
        )
    return "site limit or charger capacity shared with other vehicles leaves too little energy before departure"
