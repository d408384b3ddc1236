"""Dispatchers' overrides (``problem.pins``) on the scheduling inputs, each checked against the vehicle's stays and
the chargers it can use, and recorded as ``pin:<vehicle>@<charger or none>:<start>-<end>``.

A pin holds vehicle ``v`` to charger ``c`` from slot ``a`` to slot ``b`` (the slots whose start lies in the
window): for every stay ``[s, e)`` of ``v`` that the window touches,

    p[v,g,t] = 0   for s <= t < e   unless g is c's pool and a <= t < b

so inside the window it charges on ``c`` only and outside it, in those stays, nowhere: the window is its one plug
session there. A pin without a charger closes the vehicle's charging inside the window only. ``c`` is planned as
a pool of its own (:func:`engine.schedule.pools.charger_pools`), so the plan assigns that very charger. The site
limit, the other vehicles' pools and every other rule stay as they are: the plan around the pin is optimised
again, and what the pin costs shows in the decision's cost and violations.
"""

from __future__ import annotations

import bisect

from engine.domain import Pin
from engine.errors import InputError, Problem
from engine.schedule.inputs import ScheduleInputs


def apply_pins(x: ScheduleInputs, pins: list[Pin]) -> dict[str, list[str]]:
    """Close the columns each pin rules out (module doc); the named constraints per vehicle. Pins of vehicles that
    are not in ``x`` (another depot group) are skipped. Raises :class:`InputError` naming ``pins[i]`` for a pin
    that cannot hold: a window outside the horizon or outside every stay of the vehicle, a charger the vehicle
    cannot use (kind, connector, site, out of service)."""
    by_id = {vi.vehicle.id: vi for vi in x.vehicles}
    starts = x.slot_starts
    named: dict[str, list[str]] = {}
    problems: list[Problem] = []
    for i, pin in enumerate(pins):
        vi = by_id.get(pin.vehicle_id)
        if vi is None:
            continue
        a, b = bisect.bisect_left(starts, pin.start), bisect.bisect_left(starts, pin.end)
        where = f"{pin.start:%a %d %b %H:%M}-{pin.end:%H:%M}"
        if a >= b:
            problems.append(Problem(f"the window {where} holds no slot of the horizon", f"pins[{i}]"))
            continue
        stays = [(s, e) for s, e in vi.dwells() if s < b and a < e]
        if not stays:
            problems.append(
                Problem(f"{pin.vehicle_id} is at no site with chargers it can use in {where}", f"pins[{i}]")
            )
            continue
        pool = None
        if pin.charger_id is not None:
            pool = next((p.id for p in x.pools if pin.charger_id in p.chargers), None)
            if pool is None or pool not in vi.pool_kw:
                why = "is out of service" if pool is None else "does not fit it (kind, connector or site)"
                problems.append(
                    Problem(
                        f"{pin.vehicle_id} cannot charge on {pin.charger_id}: the charger {why}",
                        f"pins[{i}].charger_id",
                    )
                )
                continue
        for s, e in stays:
            for t in range(s, e) if pool is not None else range(max(s, a), min(e, b)):
                for g in vi.pool_kw:
                    if not (g == pool and a <= t < b):
                        vi.blocked.add((g, t))
        label = f"{pin.start:%H:%M}-{pin.end:%H:%M}"
        named.setdefault(vi.vehicle.id, []).append(f"pin:{vi.vehicle.id}@{pin.charger_id or 'none'}:{label}")
    if problems:
        raise InputError(problems)
    return named
