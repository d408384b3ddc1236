"""Import OpenEI Utility Rate Database (URDB) records into the tariff model.

Supported: ``energyratestructure`` with ``energyweekdayschedule``/``energyweekendschedule`` (period rate =
``rate + adj``, tiers by ``max`` [kWh/month]); ``demandratestructure`` with its schedules (each period its own
time-of-use demand charge, tiers by ``max`` [kW]); ``flatdemandstructure`` + ``flatdemandmonths`` (facility
demand per month group); ``fixedchargefirstmeter`` ($/month or $/day) or ``fixedmonthlycharge``;
``minmonthlycharge``. Weekend schedules apply to weekends and holidays. URDB does not give a timezone: pass it.
Anything the model cannot represent raises a ValueError naming the key, rather than being dropped.
"""

from __future__ import annotations

import json
from typing import Any

from engine.tariffs.model import Charge, FixedCharge, Tariff, Tier, Window
from engine.tariffs.names import describe, unique_names
from engine.tariffs.schedule_compress import windows_for_period

_BIG = 1e30  # URDB writes "no upper bound" as 1e38


def unwrap_urdb(data: Any) -> dict:
    """Return the rate record from a URDB API answer (``{"items": [...]}``, a list, a JSON string, a record)."""
    for _ in range(3):
        if isinstance(data, str):
            data = json.loads(data)
    if isinstance(data, dict) and "items" in data:
        data = data["items"]
    if isinstance(data, list):
        if len(data) != 1:
            raise ValueError(f"URDB answer holds {len(data)} rates; expected exactly one")
        data = data[0]
    if not isinstance(data, dict) or not any(k.endswith("structure") for k in data):
        raise ValueError("not a URDB rate record: no energyratestructure/demandratestructure found")
    return data


def _unit(structure: list[dict], key: str, unit_ok: tuple[str, ...]) -> str:
    units = {block.get("unit", unit_ok[0]) for block in structure}
    bad = sorted(units - set(unit_ok))
    if bad:
        raise ValueError(f"{key}: unit {bad[0]!r} is not supported (supported: {', '.join(unit_ok)})")
    if len(units) > 1:
        raise ValueError(f"{key}: tiers mix units {sorted(units)}")
    return units.pop()


def _tiers(structure: list[dict], key: str, unit_ok: tuple[str, ...]) -> tuple[float | None, list[Tier] | None]:
    _unit(structure, key, unit_ok)
    blocks = [(float(b.get("rate", 0.0)) + float(b.get("adj", 0.0)), b.get("max")) for b in structure]
    if len(blocks) == 1:
        return blocks[0][0], None
    tiers = []
    for i, (rate, upper) in enumerate(blocks):
        last = i == len(blocks) - 1
        if upper is None and not last:
            raise ValueError(f"{key}: tier {i} has no 'max' but is not the last tier")
        bound = None if upper is None or float(upper) >= _BIG else float(upper)
        tiers.append(Tier(up_to=bound, rate=rate))
    return None, tiers


def _schedule(record: dict, key: str) -> list[list[int]]:
    sched = record.get(key)
    if sched is None:
        raise ValueError(f"{key} is missing")
    if len(sched) != 12 or any(len(row) != 24 for row in sched):
        raise ValueError(f"{key} must be 12 rows of 24 periods")
    return [[int(x) for x in row] for row in sched]


def tariff_from_urdb(data: Any, timezone: str = "UTC", name: str | None = None) -> Tariff:
    """Build a Tariff from a URDB record (see module docstring for what is supported)."""
    r = unwrap_urdb(data)
    energy, demand, fixed = [], [], []

    if r.get("energyratestructure"):
        wd = _schedule(r, "energyweekdayschedule")
        we = _schedule(r, "energyweekendschedule")
        periods = []
        for p, structure in enumerate(r["energyratestructure"]):
            key = f"energyratestructure[{p}]"
            rate, tiers = _tiers(structure, key, ("kWh", "kWh/kW"))
            basis = _unit(structure, key, ("kWh", "kWh/kW"))
            when = windows_for_period([(["weekday"], wd), (["weekend", "holiday"], we)], p)
            if when:
                periods.append((p, rate, tiers, basis, when))
        # named by when they apply (a bill line "energy Jun-Sep weekdays 16:00-21:00", not "energy period 3")
        labels = unique_names(
            [f"energy {describe(when)}" for *_x, when in periods], [f"period {p}" for p, *_x in periods]
        )
        for label, (_p, rate, tiers, basis, when) in zip(labels, periods, strict=True):
            energy.append(Charge(name=label, rate=rate, tiers=tiers, tier_basis=basis, when=when))

    if r.get("demandratestructure"):
        wd = _schedule(r, "demandweekdayschedule")
        we = _schedule(r, "demandweekendschedule")
        for p, structure in enumerate(r["demandratestructure"]):
            rate, tiers = _tiers(structure, f"demandratestructure[{p}]", ("kW",))
            when = windows_for_period([(["weekday"], wd), (["weekend", "holiday"], we)], p)
            if when and not (tiers is None and rate == 0):
                demand.append(Charge(name=f"tou demand period {p}", rate=rate, tiers=tiers, when=when))

    if r.get("flatdemandstructure"):
        months = r.get("flatdemandmonths")
        if months is None or len(months) != 12:
            raise ValueError("flatdemandmonths must list 12 period indices")
        for p, structure in enumerate(r["flatdemandstructure"]):
            rate, tiers = _tiers(structure, f"flatdemandstructure[{p}]", ("kW",))
            in_months = [m + 1 for m, q in enumerate(months) if int(q) == p]
            if in_months and not (tiers is None and rate == 0):
                when = [Window(months=None if len(in_months) == 12 else in_months)]
                demand.append(Charge(name=f"facility demand {p}", rate=rate, tiers=tiers, when=when))

    if r.get("fixedchargefirstmeter") is not None:
        units = r.get("fixedchargeunits", "$/month")
        per = {"$/month": "month", "$/day": "day"}.get(units)
        if per is None:
            raise ValueError(f"fixedchargeunits {units!r} is not supported ($/month or $/day)")
        fixed.append(FixedCharge(name="fixed charge", amount=float(r["fixedchargefirstmeter"]), per=per))
    elif r.get("fixedmonthlycharge") is not None:
        fixed.append(FixedCharge(name="fixed charge", amount=float(r["fixedmonthlycharge"]), per="month"))

    return Tariff(
        name=name or str(r.get("name") or r.get("label") or "URDB rate"),
        utility=str(r.get("utility", "")),
        source=str(r.get("uri") or f"OpenEI URDB {r.get('label', '')}".strip()),
        timezone=timezone,
        energy=energy,
        demand=demand,
        fixed=fixed,
        minimum_monthly=float(r.get("minmonthlycharge") or 0.0),
    )
