"""Read a load profile CSV (columns ``start``, ``kw``) with ``PATH:LINE: message`` errors."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from engine.errors import InputError, Problem


def read_load_csv(path: str | Path, timezone: str) -> pd.Series:
    """Average power per interval [kW] indexed by interval start.

    ``start`` is ISO 8601, either all with a UTC offset or all without (then read as local time in
    ``timezone``). Returns a tz-aware series. Every bad row is reported, not only the first.
    """
    p = Path(path)
    problems: list[Problem] = []
    starts: list[pd.Timestamp] = []
    values: list[float] = []
    try:
        fh = p.open(encoding="utf-8", newline="")
    except OSError as exc:
        raise InputError([Problem(f"cannot read file: {exc.strerror}", "", str(p))]) from None
    with fh:
        reader = csv.DictReader(fh)
        missing = {"start", "kw"} - set(reader.fieldnames or [])
        if missing:
            raise InputError([Problem(f"missing column(s) {sorted(missing)}; need 'start' and 'kw'", "", str(p), 1)])
        aware: bool | None = None
        for row in reader:
            line = reader.line_num
            try:
                ts = pd.Timestamp(row["start"])
            except (ValueError, TypeError):
                problems.append(Problem(f"start: not an ISO 8601 time: {row['start']!r}", "", str(p), line))
                continue
            if aware is None:
                aware = ts.tz is not None
            elif aware != (ts.tz is not None):
                problems.append(Problem("start: mixes times with and without UTC offset", "", str(p), line))
                continue
            try:
                kw = float(row["kw"])
            except (ValueError, TypeError):
                problems.append(Problem(f"kw: not a number: {row['kw']!r}", "", str(p), line))
                continue
            if kw != kw:
                problems.append(Problem("kw: NaN is not a load", "", str(p), line))
                continue
            starts.append(ts)
            values.append(kw)
    if problems:
        raise InputError(problems)
    if not starts:
        raise InputError([Problem("no rows", "", str(p))])
    index = pd.DatetimeIndex(starts)
    if index.tz is None:
        try:
            index = index.tz_localize(timezone, ambiguous="infer", nonexistent="raise")
        except (ValueError, TypeError) as exc:  # pytz/zoneinfo DST gaps and folds
            raise InputError(
                [Problem(f"start: local times do not map to {timezone}: {exc}; give UTC offsets", "", str(p))]
            ) from None
    return pd.Series(values, index=index.tz_convert(timezone), name="kw")
