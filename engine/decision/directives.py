"""Apply policy directives to the scheduling inputs, each recorded as ``<family>:<entity>:<rule-id>``.

- MinSoc: the departure target becomes at least ``min_soc * C`` (or ``min_energy_kwh``), reached
  ``minutes_before`` departure (no charging in the last minutes); a hard rule's shortfall costs 100x its
  priority's penalty (relaxed to a penalty, so the plan exists and the violation is listed).
- MaxSoc: the battery ceiling becomes ``max_soc * C`` (never below the charge it holds now, nor below the
  departure target when the rule allows the trip to need more).
- Forbid: the vehicle may not draw from matching pools inside the local window (whole pool when a charger id is
  named: pools are physical groups of identical chargers).
- Defer: no charging for that trip while the energy price is above the threshold.
- Prefer: drawing from pools that do not match the preference costs ``off_preference_usd_per_kwh`` (a steer
  among near-equal plans, never above a real saving).
"""

from __future__ import annotations

import math
from dataclasses import replace

from engine.policy.directives import Defer, Directive, Forbid, MaxSoc, MinSoc, Prefer
from engine.schedule.inputs import ScheduleInputs, dwell_prices
from engine.schedule.pools import Pool

HARD_FACTOR = 100.0


def _in_window(hhmm: str, window: tuple[str, str] | None) -> bool:
    if window is None:
        return True
    a, b = window
    return a <= hhmm < b if a <= b else (hhmm >= a or hhmm < b)


def _matches(pool: Pool, kind: str | None, charger: str | None, depot: str | None = None) -> bool:
    """Whether a pool is what a charger rule names (every given field must match)."""
    return (
        (kind is None or pool.kind == kind)
        and (charger is None or charger in pool.chargers)
        and (depot is None or pool.depot_id == depot)
    )


def apply_directives(x: ScheduleInputs, directives: list[Directive]) -> dict[str, list[str]]:
    """Mutate ``x`` by the directives; return the named constraints built, per vehicle."""
    named: dict[str, list[str]] = {}
    by_id = {vi.vehicle.id: vi for vi in x.vehicles}
    local = [t.strftime("%H:%M") for t in x.slot_starts]
    slot_min = x.dt_h * 60
    for d in directives:
        vi = by_id.get(d.vehicle_id)
        if vi is None:
            continue
        cap = vi.vehicle.battery_kwh
        if isinstance(d, MaxSoc):
            ceiling = max(d.max_soc * cap, vi.e0_kwh)
            if d.unless_trip_needs_more:
                ceiling = max([ceiling, *(dep.target_kwh for dep in vi.departures)])
            vi.e_max_kwh = min(vi.e_max_kwh, ceiling)
            vi.departures = [replace(dep, target_kwh=min(dep.target_kwh, vi.e_max_kwh)) for dep in vi.departures]
            named.setdefault(vi.vehicle.id, []).append(f"max_soc:{vi.vehicle.id}:{d.rule}")
        elif isinstance(d, MinSoc):
            new = []
            for dep in vi.departures:
                if dep.trip.id == d.trip_id:
                    want = d.min_energy_kwh if d.min_energy_kwh is not None else (d.min_soc or 0.0) * cap
                    if d.hard and x.weights.hard_use_p90:  # hard targets from P90 trip energy when asked
                        want = max(want, dep.trip.energy_kwh_p90 + x.weights.target_reserve * cap)
                    target = min(max(dep.target_kwh, want), vi.e_max_kwh)
                    penalty = dep.penalty_usd_per_kwh * (HARD_FACTOR if d.hard else 1.0)
                    dep = replace(dep, target_kwh=target, penalty_usd_per_kwh=penalty, hard=dep.hard or d.hard)
                    if d.minutes_before > 0:
                        cut = dep.slot - math.ceil(d.minutes_before / slot_min)
                        vi.charge_slots = [t for t in vi.charge_slots if not cut <= t < dep.slot]
                    named.setdefault(vi.vehicle.id, []).append(f"min_soc:{vi.vehicle.id}/{dep.trip.id}:{d.rule}")
                new.append(dep)
            vi.departures = new
        elif isinstance(d, Forbid):
            pools = [p for p in x.pools if p.id in vi.pool_kw and _matches(p, d.kind, d.charger, d.depot)]
            blocked = {t for t in vi.charge_slots if _in_window(local[t], d.window)}
            for p in pools:
                vi.blocked |= {(p.id, t) for t in blocked}
                named.setdefault(vi.vehicle.id, []).append(f"forbid:{vi.vehicle.id}@{p.id}:{d.rule}")
        elif isinstance(d, Prefer):
            vi.off_preference |= {p.id for p in x.pools if p.id in vi.pool_kw and not _matches(p, d.kind, d.charger)}
            named.setdefault(vi.vehicle.id, []).append(f"prefer:{vi.vehicle.id}:{d.rule}")
        elif isinstance(d, Defer):
            dep = next((dp for dp in vi.departures if dp.trip.id == d.trip_id), None)
            if dep is None:
                continue
            price = dwell_prices(x, vi)  # where it is parked in each slot
            dear = {t for t in vi.charge_slots if t < dep.slot and price[t] > d.above_usd_per_kwh}
            vi.blocked |= {(g, t) for g in vi.pool_kw for t in dear}
            named.setdefault(vi.vehicle.id, []).append(f"defer:{vi.vehicle.id}/{d.trip_id}:{d.rule}")
    return named
