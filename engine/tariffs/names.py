"""Readable names for imported charges, from when they apply: ``energy Jun-Sep weekdays 16:00-21:00`` instead of
``energy period 3`` (URDB numbers its periods) or ``energy m1-5 d0-4 h0-5`` (eeco's row bounds), so a bill line
says what it is."""

from __future__ import annotations

from engine.tariffs.model import ALL_DAY_TYPES, Window

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MAX_WINDOWS = 2  # windows spelled out in a name; more are counted


def _runs(values: list[int]) -> list[tuple[int, int]]:
    """Consecutive runs of sorted integers as (first, last)."""
    out: list[tuple[int, int]] = []
    for v in sorted(set(values)):
        if out and v == out[-1][1] + 1:
            out[-1] = (out[-1][0], v)
        else:
            out.append((v, v))
    return out


def _months(months: list[int] | None) -> str:
    if months is None or len(set(months)) == 12:
        return ""
    return ", ".join(MONTHS[a - 1] if a == b else f"{MONTHS[a - 1]}-{MONTHS[b - 1]}" for a, b in _runs(months))


def _days(day_types: list[str]) -> str:
    kinds = set(day_types)
    if kinds >= set(ALL_DAY_TYPES):
        return ""
    if kinds == {"weekday"}:
        return "weekdays"
    if kinds == {"weekend", "holiday"}:
        return "weekends and holidays"
    return " and ".join(f"{k}s" for k in ALL_DAY_TYPES if k in kinds)


def _clock(hour: float) -> str:
    minutes = round(hour * 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _hours(hours: list[tuple[float, float]]) -> str:
    if hours == [(0.0, 24.0)]:
        return "all day"
    return ", ".join(f"{_clock(a)}-{_clock(b)}" for a, b in hours)


def describe_window(window: Window) -> str:
    """``Jun-Sep weekdays 16:00-21:00``; parts that cover everything are left out (``all day`` stays)."""
    season = window.season if window.season is not None else _months(window.months)
    return " ".join(part for part in (season, _days(list(window.day_types)), _hours(list(window.hours))) if part)


def describe(windows: list[Window]) -> str:
    """The windows of one charge in words, the first ``MAX_WINDOWS`` spelled out and the rest counted."""
    shown = [describe_window(w) for w in windows[:MAX_WINDOWS]]
    more = len(windows) - MAX_WINDOWS
    return "; ".join(shown) + (f"; +{more} more" if more > 0 else "")


def unique_names(names: list[str], fallbacks: list[str]) -> list[str]:
    """``names`` with any that repeats replaced by ``name (fallback)``, so every charge of a tariff has its own."""
    seen = {n: names.count(n) for n in names}
    return [n if seen[n] == 1 else f"{n} ({f})" for n, f in zip(names, fallbacks, strict=True)]
