"""Import the simple time-of-use tariff JSON of Caltech's acnportal (``TimeOfUseTariff``).

Each schedule entry covers a month-aligned season (``effective_start``/``effective_end`` as ``MM-DD``), a
day mask (WEEKDAYS, WEEKENDS, ALL), hour breakpoints ``times`` with ``tariffs`` [$/kWh], and a
``demand_charge`` [$/kW] applied, as acnportal does, to the facility maximum of the billing period.
"""

from __future__ import annotations

import calendar
from typing import Any

from engine.tariffs.model import Charge, DayType, Tariff, Window

_MASKS: dict[str, list[DayType]] = {
    "WEEKDAYS": ["weekday"],
    "WEEKENDS": ["weekend", "holiday"],
    "ALL": ["weekday", "weekend", "holiday"],
}


def _months(start: str, end: str) -> list[int]:
    (m0, d0), (m1, d1) = (tuple(int(x) for x in s.split("-")) for s in (start, end))
    if d0 != 1 or d1 != calendar.monthrange(2019, m1)[1]:
        raise ValueError(f"season {start}..{end} is not month-aligned; not supported")
    return [((m0 - 1 + k) % 12) + 1 for k in range((m1 - m0) % 12 + 1)]


def tariff_from_acn(data: dict[str, Any], timezone: str = "America/Los_Angeles") -> Tariff:
    """Build a Tariff from an acnportal tariff document."""
    energy: list[Charge] = []
    demand_by_rate: dict[float, list[int]] = {}
    covered: set[tuple[int, str]] = set()
    for entry in data["schedule"]:
        months = _months(entry["effective_start"], entry["effective_end"])
        day_types = [d for d in _MASKS[entry["dow_mask"]] if not all((m, d) in covered for m in months)]
        if not day_types:
            continue  # an earlier ALL entry already covers these days (as acnportal's first match does)
        covered |= {(m, d) for m in months for d in day_types}
        times = [float(t) for t in entry["times"]]
        bounds = [*times[1:], 24.0]
        for k, (start, end, rate) in enumerate(zip(times, bounds, entry["tariffs"], strict=True)):
            energy.append(
                Charge(
                    name=f"{entry['id']} {k}",
                    rate=float(rate),
                    when=[Window(months=months, day_types=day_types, hours=[(start, end)])],
                )
            )
        demand_by_rate.setdefault(float(entry["demand_charge"]), [])
        demand_by_rate[float(entry["demand_charge"])] += [
            m for m in months if m not in demand_by_rate[float(entry["demand_charge"])]
        ]
    demand = [
        Charge(
            name=f"facility demand {i}",
            rate=rate,
            when=[Window(months=None if len(ms) == 12 else sorted(ms))],
        )
        for i, (rate, ms) in enumerate(demand_by_rate.items())
    ]
    return Tariff(name=data["name"], source=data.get("link", ""), timezone=timezone, energy=energy, demand=demand)
