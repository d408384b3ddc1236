"""Benchmark: bill one year of 15-minute load (35,040 intervals) under each shipped tariff. Target < 50 ms.

Run: ``python bench/bill_year.py`` (``make bench``). Prints the median of repeated runs per tariff.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd

from engine.tariffs import bill, load_tariff

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    """Time bill() on a year of synthetic depot load (seeded)."""
    rng = np.random.default_rng(7)
    index = pd.date_range("2025-01-01", periods=365 * 96, freq="15min", tz="America/Los_Angeles")
    load = pd.Series(200 + 150 * rng.random(len(index)), index=index)
    print(f"{'tariff':<16} {'median ms':>10} {'min ms':>8}  lines  total $")
    for name in ("sce_tou_8_d", "sdge_al_tou", "sce_tou_ev_4", "pge_a10", "pnm_4b", "pge_eeco"):
        tariff = load_tariff(ROOT / f"tariffs/{name}.yaml")
        bill(load, tariff)  # warm-up
        times = []
        for _ in range(15):
            t0 = time.perf_counter()
            b = bill(load, tariff)
            times.append((time.perf_counter() - t0) * 1000)
        print(f"{name:<16} {statistics.median(times):10.1f} {min(times):8.1f}  {len(b.lines):5d}  {b.total_usd:,.0f}")


if __name__ == "__main__":
    main()
