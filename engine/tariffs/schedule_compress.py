"""Turn 12 x 24 month-by-hour period schedules (URDB style) into a few readable windows."""

from __future__ import annotations

from collections.abc import Sequence

from engine.tariffs.model import DayType, Window


def hour_runs(row: Sequence[int], period: int) -> list[tuple[float, float]]:
    """Half-open hour ranges [h] where ``row`` (24 entries) equals ``period``."""
    runs, start = [], None
    for h, p in enumerate([*row, None]):
        if p == period and start is None:
            start = h
        elif p != period and start is not None:
            runs.append((float(start), float(h)))
            start = None
    return runs


def windows_for_period(
    schedules: Sequence[tuple[Sequence[DayType], Sequence[Sequence[int]]]], period: int
) -> list[Window]:
    """Windows covering every (day type, month, hour) cell whose schedule equals ``period``.

    ``schedules`` pairs day types with a 12 x 24 schedule, e.g. ``[(["weekday"], wd), (["weekend",
    "holiday"], we)]``. Months with the same hour runs are grouped, and day types with identical month groups
    are merged, so a flat rate becomes a single all-year window.
    """
    by_runs: dict[tuple[tuple[float, float], ...], dict[tuple[int, ...], list[DayType]]] = {}
    for day_types, schedule in schedules:
        month_runs: dict[tuple[tuple[float, float], ...], list[int]] = {}
        for m, row in enumerate(schedule, start=1):
            runs = tuple(hour_runs([int(x) for x in row], period))
            if runs:
                month_runs.setdefault(runs, []).append(m)
        for runs, months in month_runs.items():
            by_runs.setdefault(runs, {}).setdefault(tuple(months), []).extend(day_types)
    windows = []
    for runs, groups in by_runs.items():
        for months, day_types in groups.items():
            windows.append(
                Window(
                    months=None if len(months) == 12 else list(months),
                    day_types=sorted(set(day_types), key=["weekday", "weekend", "holiday"].index),
                    hours=list(runs),
                )
            )
    return windows
