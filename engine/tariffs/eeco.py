"""Import tariffs in the CSV format of we3lab/eeco (one row per charge).

Rows: ``utility,type,name,...,month_start,month_end,hour_start,hour_end,weekday_start,weekday_end,charge,
units``. Month and weekday ranges are inclusive (weekday 0 = Monday), hour windows half-open. Demand rows that
share a name share one maximum; unnamed rows are separate charges. Gas and export rows are returned as
skipped rows with a reason, never silently dropped.
"""

from __future__ import annotations

import csv
from pathlib import Path

from engine.tariffs.model import Charge, DayType, FixedCharge, Tariff, Window
from engine.tariffs.names import describe_window


def _day_types(start: int, end: int) -> list[DayType]:
    days = set(range(start, end + 1))
    out: list[DayType] = []
    if days >= {0, 1, 2, 3, 4}:
        out.append("weekday")
    elif days & {0, 1, 2, 3, 4}:
        raise ValueError(f"weekday range {start}-{end} splits the working week; not supported")
    if days >= {5, 6}:
        out += ["weekend", "holiday"]
    elif days & {5, 6}:
        raise ValueError(f"weekday range {start}-{end} splits the weekend; not supported")
    return out


def tariff_from_eeco_csv(path: str | Path, name: str, timezone: str, source: str = "") -> tuple[Tariff, list[str]]:
    """Read an eeco tariff CSV; return (tariff, skipped rows as 'line N: reason')."""
    with Path(path).open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    charge_col = "charge" if "charge" in rows[0] else "charge (metric)"
    energy: dict[str, list[tuple[Window, float]]] = {}
    demand: dict[str, list[tuple[Window, float]]] = {}
    fixed: list[FixedCharge] = []
    skipped: list[str] = []
    for i, row in enumerate(rows, start=2):
        kind = row["type"]
        if row["utility"] != "electric" or kind == "export":
            skipped.append(f"line {i}: {row['utility']} {kind} row is outside the electric import model")
            continue
        rate = float(row[charge_col])
        if kind == "customer":
            fixed.append(FixedCharge(name="customer charge", amount=rate, per="month"))
            continue
        months = list(range(int(row["month_start"]), int(row["month_end"]) + 1))
        window = Window(
            months=None if len(months) == 12 else months,
            day_types=_day_types(int(row["weekday_start"]), int(row["weekday_end"])),
            hours=[(float(row["hour_start"]), float(row["hour_end"]))],
        )
        label = (row.get("name") or "").strip()
        auto = describe_window(window)  # "Jan-May weekdays 00:00-05:00", not the row's bounds "m1-5 d0-4 h0-5"
        target = energy if kind == "energy" else demand
        key = f"{kind} {label}" if label else f"{kind} {auto}"
        target.setdefault(key, []).append((window, rate))

    def charges(group: dict[str, list[tuple[Window, float]]]) -> list[Charge]:
        out = []
        for key, items in group.items():
            rates = {r for _, r in items}
            if len(rates) != 1:
                raise ValueError(f"rows named {key!r} have different rates {sorted(rates)}")
            out.append(Charge(name=key, rate=rates.pop(), when=[w for w, _ in items]))
        return out

    tariff = Tariff(
        name=name,
        source=source,
        timezone=timezone,
        energy=charges(energy),
        demand=charges(demand),
        fixed=fixed,
    )
    return tariff, skipped
