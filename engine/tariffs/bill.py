"""Bill a load profile under a tariff, and the per-slot price series the scheduler optimises against."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from engine.errors import InputError, Problem
from engine.tariffs.calendar import LocalCalendar
from engine.tariffs.model import Charge, PriceSeries, Tariff, Tier


class BillLine(BaseModel):
    """One line of a bill."""

    name: str
    kind: str = Field(description="energy | demand | fixed | minimum")
    quantity: float = Field(description="Billed quantity in ``unit``.")
    unit: str = Field(description="kWh, kW, month or day.")
    rate: float = Field(description="Price per unit [$/unit].")
    amount_usd: float = Field(description="quantity x rate [$].")
    period: str = Field(description="Billing month 'YYYY-MM' (or day 'YYYY-MM-DD' for daily charges).")


class Bill(BaseModel):
    """A bill: totals by kind [$] and the line items they add up from."""

    tariff: str
    currency: str
    start: datetime
    end: datetime
    energy_kwh: float
    energy_usd: float
    demand_usd: float
    fixed_usd: float
    minimum_usd: float = 0.0
    total_usd: float
    lines: list[BillLine]

    def to_cli_json(self) -> dict:
        """The CLI contract: energy/demand/fixed/total and lines of {name, kind, quantity, unit, rate, amount}."""
        keep = ("name", "kind", "quantity", "unit", "rate", "amount_usd")
        return {
            "energy_usd": self.energy_usd,
            "demand_usd": self.demand_usd,
            "fixed_usd": self.fixed_usd + self.minimum_usd,
            "total_usd": self.total_usd,
            "lines": [{k: getattr(line, k) for k in keep} for line in self.lines],
        }


def _as_series(load: pd.Series | pd.DataFrame) -> pd.Series:
    if isinstance(load, pd.DataFrame):
        if not {"start", "kw"} <= set(load.columns):
            raise ValueError("load table needs columns 'start' and 'kw'")
        load = pd.Series(load["kw"].to_numpy(dtype=float), index=pd.DatetimeIndex(load["start"]))
    if not isinstance(load.index, pd.DatetimeIndex):
        raise ValueError("load must be indexed by interval start times")
    return load.astype(float)


def infer_step(index: pd.DatetimeIndex) -> timedelta:
    """The common interval length of ``index`` [timedelta]; raises ValueError when irregular."""
    if len(index) < 2:
        raise ValueError("cannot infer the interval length from fewer than two rows; pass step_minutes")
    utc = index.tz_convert("UTC") if index.tz is not None else index
    diffs = utc[1:] - utc[:-1]  # unit-aware: pandas may store ns or us
    if (diffs <= pd.Timedelta(0)).any():
        bad = int(np.argmax(diffs <= pd.Timedelta(0))) + 1
        raise ValueError(f"load timestamps must be strictly increasing (row {bad + 1} is not)")
    if (diffs != diffs[0]).any():
        bad = int(np.argmax(diffs != diffs[0])) + 1
        raise ValueError(f"load intervals must all have the same length (row {bad + 1} breaks the step)")
    return diffs[0].to_pytimedelta()


def _tiered_amount(quantity: float, tiers: list[Tier]) -> list[tuple[float, float]]:
    """Split ``quantity`` over tier blocks: [(quantity in block, rate)], blocks with zero quantity dropped."""
    out, lower = [], 0.0
    for tier in tiers:
        upper = tier.up_to if tier.up_to is not None else np.inf
        q = max(0.0, min(quantity, upper) - lower)
        if q > 0:
            out.append((q, tier.rate))
        lower = upper
    return out


def _demand_load(load: np.ndarray, step_min: float, cal: LocalCalendar, tariff: Tariff) -> np.ndarray:
    """Load as the meter measures demand: block averages over ``demand_interval_minutes`` if set [kW]."""
    minutes = tariff.demand_interval_minutes
    if minutes is None or minutes <= step_min:
        return load
    per_block = max(1, round(minutes / step_min))
    n = len(load)
    block = np.arange(n) // per_block
    means = np.bincount(block, weights=load) / np.bincount(block)
    return means[block]


def _charge_lines(charge: Charge, parts: list, kind: str, unit: str, period: str) -> list[BillLine]:
    """One line per (quantity, rate) part of a charge in a billing month; tiers are named by their rate."""
    suffix = " (tier @ {:g})" if charge.tiers else ""
    return [
        BillLine(
            name=charge.name + suffix.format(rate),
            kind=kind,
            quantity=float(q),
            unit=unit,
            rate=float(rate),
            amount_usd=float(q * rate),
            period=period,
        )
        for q, rate in parts
    ]


def _monthly_peaks(kw: np.ndarray, cal: LocalCalendar) -> np.ndarray:
    peaks = np.zeros(len(cal.billing_labels))
    np.maximum.at(peaks, cal.billing_month, kw)
    return peaks


def _energy_lines(
    charge: Charge, kwh: np.ndarray, mask: np.ndarray, cal: LocalCalendar, month_peak_kw: np.ndarray
) -> list[BillLine]:
    lines = []
    months = cal.billing_month[mask]
    e = kwh[mask]
    per_month = np.bincount(months, weights=e, minlength=len(cal.billing_labels))
    for m, label in enumerate(cal.billing_labels):
        if not (months == m).any():
            continue
        blocks = charge.blocks
        if charge.tier_basis == "kWh/kW":  # bounds scale with the month's peak demand [kWh/kW x kW]
            blocks = [
                t.model_copy(update={"up_to": None if t.up_to is None else t.up_to * month_peak_kw[m]}) for t in blocks
            ]
        parts = _tiered_amount(per_month[m], blocks) if charge.tiers else [(per_month[m], charge.rate)]
        lines += _charge_lines(charge, parts, "energy", "kWh", label)
    return lines


def market_prices(series: PriceSeries, index: pd.DatetimeIndex) -> np.ndarray:
    """The market price in force at each interval start of ``index`` [currency/kWh]; an InputError naming the
    first interval the series does not cover."""
    starts = pd.DatetimeIndex(pd.to_datetime(series.starts, utc=True))
    ends = starts[-1] + (starts[-1] - starts[-2])
    at = pd.DatetimeIndex(index).tz_convert("UTC")
    outside = (at < starts[0]) | (at >= ends)
    if outside.any():
        first = index[int(np.argmax(outside))]
        message = f"price series {series.name!r} covers {starts[0].isoformat()} to {ends.isoformat()}, not {first}"
        raise InputError([Problem(message, "tariff.price_series")])
    where = starts.searchsorted(at, side="right") - 1
    return np.asarray(series.prices, dtype=float)[where] * series.per_kwh


def _market_lines(series: PriceSeries, kwh: np.ndarray, index: pd.DatetimeIndex, cal: LocalCalendar) -> list[BillLine]:
    """One energy line per billing month: the month's energy at the market price of each interval."""
    paid = kwh * market_prices(series, index)
    lines = []
    for m, label in enumerate(cal.billing_labels):
        mine = cal.billing_month == m
        if not mine.any():
            continue
        energy, amount = float(kwh[mine].sum()), float(paid[mine].sum())
        lines.append(
            BillLine(
                name=series.name,
                kind="energy",
                quantity=energy,
                unit="kWh",
                rate=amount / energy if energy else 0.0,
                amount_usd=amount,
                period=label,
            )
        )
    return lines


def _demand_lines(charge: Charge, kw: np.ndarray, mask: np.ndarray, cal: LocalCalendar) -> list[BillLine]:
    lines = []
    months = cal.billing_month[mask]
    peaks = np.full(len(cal.billing_labels), -np.inf)
    np.maximum.at(peaks, months, kw[mask])
    for m, label in enumerate(cal.billing_labels):
        if not np.isfinite(peaks[m]):
            continue
        peak = max(0.0, float(peaks[m]))
        blocks = _tiered_amount(peak, charge.blocks) or [(0.0, charge.blocks[0].rate)]
        lines += _charge_lines(charge, blocks, "demand", "kW", label)
    return lines


def bill(load: pd.Series | pd.DataFrame, tariff: Tariff, step_minutes: float | None = None) -> Bill:
    """Bill ``load`` under ``tariff``.

    Parameters
    ----------
    load : Series of average power per interval [kW] indexed by interval start (tz-aware, or naive local clock
        time of the tariff), or a DataFrame with columns ``start`` and ``kw``. Intervals from 1 min to 1 h.
    tariff : the tariff.
    step_minutes : interval length [min]; inferred from the index when omitted.

    Returns
    -------
    Bill with energy, demand, fixed and total amounts [$] and one line per charge, tier and billing month.
    """
    series = _as_series(load)
    if series.empty:
        raise ValueError("load is empty")
    if series.isna().any():
        first = series.index[series.isna().argmax()]
        raise ValueError(f"load has a missing kw value at {first}")
    step = timedelta(minutes=step_minutes) if step_minutes else infer_step(series.index)
    step_h = step.total_seconds() / 3600.0
    cal = LocalCalendar.of(series.index, tariff)
    kw = series.to_numpy(dtype=float)
    kwh = kw * step_h
    demand_kw = _demand_load(kw, step_h * 60.0, cal, tariff)

    lines: list[BillLine] = []
    month_peak_kw = _monthly_peaks(demand_kw, cal)
    for charge in tariff.energy:
        lines += _energy_lines(charge, kwh, cal.charge_mask(tariff, charge), cal, month_peak_kw)
    if tariff.price_series is not None:
        lines += _market_lines(tariff.price_series, kwh, series.index, cal)
    for charge in tariff.demand:
        lines += _demand_lines(charge, demand_kw, cal.charge_mask(tariff, charge), cal)
    for fixed in tariff.fixed:
        labels = cal.billing_labels if fixed.per == "month" else cal.day_labels
        unit = fixed.per
        for label in labels:
            lines.append(
                BillLine(
                    name=fixed.name,
                    kind="fixed",
                    quantity=1.0,
                    unit=unit,
                    rate=fixed.amount,
                    amount_usd=fixed.amount,
                    period=label,
                )
            )
    if tariff.minimum_monthly > 0:
        for label in cal.billing_labels:
            month_total = sum(line.amount_usd for line in lines if line.period[:7] == label)
            if month_total < tariff.minimum_monthly:
                top_up = tariff.minimum_monthly - month_total
                lines.append(
                    BillLine(
                        name="minimum monthly charge",
                        kind="minimum",
                        quantity=1.0,
                        unit="month",
                        rate=top_up,
                        amount_usd=top_up,
                        period=label,
                    )
                )

    def total(kind: str) -> float:
        return float(sum(line.amount_usd for line in lines if line.kind == kind))

    energy, demand, fixed, minimum = total("energy"), total("demand"), total("fixed"), total("minimum")
    start = series.index[0].to_pydatetime()
    return Bill(
        tariff=tariff.name,
        currency=tariff.currency,
        start=start,
        end=(series.index[-1] + step).to_pydatetime(),
        energy_kwh=float(kwh.sum()),
        energy_usd=energy,
        demand_usd=demand,
        fixed_usd=fixed,
        minimum_usd=minimum,
        total_usd=energy + demand + fixed + minimum,
        lines=lines,
    )


def slot_index(tariff: Tariff, start: datetime, end: datetime, step: timedelta) -> pd.DatetimeIndex:
    """Slot start times from ``start`` (inclusive) to ``end`` (exclusive), tz-aware in the tariff zone."""
    ts = pd.Timestamp(start)
    ts = ts.tz_localize(tariff.timezone) if ts.tz is None else ts.tz_convert(tariff.timezone)
    te = pd.Timestamp(end)
    te = te.tz_localize(tariff.timezone) if te.tz is None else te.tz_convert(tariff.timezone)
    return pd.date_range(ts, te, freq=step, inclusive="left")


def price_series(tariff: Tariff, start: datetime, end: datetime, step: timedelta) -> pd.Series:
    """Marginal energy price per slot [$/kWh]: the first tier of each active energy charge, summed, plus the
    market price in force at the slot's start."""
    index = slot_index(tariff, start, end, step)
    cal = LocalCalendar.of(index, tariff)
    price = np.zeros(len(index))
    for charge in tariff.energy:
        price += np.where(cal.charge_mask(tariff, charge), charge.blocks[0].rate, 0.0)
    if tariff.price_series is not None:
        price += market_prices(tariff.price_series, index)
    return pd.Series(price, index=index, name="price_usd_per_kwh")


def demand_windows(tariff: Tariff, index: pd.DatetimeIndex) -> list[tuple[str, float, np.ndarray, np.ndarray]]:
    """Demand charges over slots ``index``: (name, first-tier rate [$/kW], slot mask, billing-month index)."""
    cal = LocalCalendar.of(index, tariff)
    return [(c.name, c.blocks[0].rate, cal.charge_mask(tariff, c), cal.billing_month) for c in tariff.demand]
