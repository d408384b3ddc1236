"""Local-time fields of a load's intervals, computed once and shared by every charge's mask."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.tariffs.model import Charge, Tariff, Window

_DAY_TYPE_CODE = {"weekday": 0, "weekend": 1, "holiday": 2}


@dataclass(frozen=True)
class LocalCalendar:
    """Per-interval local fields: month [1-12], clock hour [h, fractional], day type code, billing month."""

    month: np.ndarray
    hour: np.ndarray
    day_type: np.ndarray
    billing_month: np.ndarray  # index into ``billing_labels``
    billing_labels: list[str]  # "YYYY-MM"
    day_index: np.ndarray  # index into ``day_labels``
    day_labels: list[str]  # "YYYY-MM-DD"

    @classmethod
    def of(cls, index: pd.DatetimeIndex, tariff: Tariff) -> LocalCalendar:
        """Fields of interval starts ``index`` (tz-aware: converted to the tariff zone; naive: local clock)."""
        local = index.tz_convert(tariff.timezone) if index.tz is not None else index
        month = np.asarray(local.month, dtype=np.int64)
        hour = np.asarray(local.hour, dtype=np.float64) + np.asarray(local.minute, dtype=np.float64) / 60.0
        weekday = np.asarray(local.day_of_week, dtype=np.int64)
        day_type = np.where(weekday >= 5, 1, 0)
        days = np.asarray(local.normalize().tz_localize(None) if local.tz is not None else local.normalize())
        if tariff.holidays:
            holidays = np.array([np.datetime64(h) for h in tariff.holidays], dtype="datetime64[ns]")
            day_type = np.where(np.isin(days.astype("datetime64[ns]"), holidays), 2, day_type)
        year = np.asarray(local.year, dtype=np.int64)
        ym = year * 12 + (month - 1)
        ym_values, billing_month = np.unique(ym, return_inverse=True)
        labels = [f"{v // 12:04d}-{v % 12 + 1:02d}" for v in ym_values]
        day_values, day_index = np.unique(days, return_inverse=True)
        day_labels = [str(d)[:10] for d in day_values]
        return cls(month, hour, day_type, billing_month, labels, day_index, day_labels)

    def window_mask(self, tariff: Tariff, window: Window) -> np.ndarray:
        """Boolean mask of the intervals whose start lies inside ``window``."""
        mask = np.isin(self.month, tariff.months_of(window))
        mask &= np.isin(self.day_type, [_DAY_TYPE_CODE[d] for d in window.day_types])
        in_hours = np.zeros_like(mask)
        for start, end in window.hours:
            in_hours |= (self.hour >= start) & (self.hour < end)
        return mask & in_hours

    def charge_mask(self, tariff: Tariff, charge: Charge) -> np.ndarray:
        """Boolean mask of the intervals inside any window of ``charge``."""
        mask = np.zeros(self.month.shape, dtype=bool)
        for window in charge.when:
            mask |= self.window_mask(tariff, window)
        return mask
