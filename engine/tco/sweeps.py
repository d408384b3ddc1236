"""Sensitivity and uncertainty of a TCO: one-at-a-time sensitivity (the tornado) over every quantity with a
``range``, and Monte Carlo over every quantity with a ``distribution`` (or a range: triangular low, value,
high), giving P10/P50/P90.

Runs are independent, so they go to ``executor`` when one is given (a ``concurrent.futures`` process pool or a
``dask.distributed.Client``: anything with ``submit(fn, *args).result()``) in fixed chunks, and are put back in
order: the answer is the same on one process, a pool or a cluster. Monte Carlo draws every sample up front from
``numpy.random.default_rng(seed)``, parameters in dotted-path order, so the same seed gives the same samples.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np
import pandas as pd

from engine.tco.assumptions import TcoAssumptions
from engine.tco.load import quantities, quantity_index, with_values
from engine.tco.model import headline
from engine.tco.units import Normal, Quantity, Triangular, Uniform

METRICS = ("ev_npv_usd", "diesel_npv_usd", "ev_minus_diesel_usd", "ev_usd_per_km")
CHUNK = 200  # runs per task sent to a worker, one by one [-]
BATCH = 2000  # Monte Carlo draws per task, evaluated at once [-]
Progress = Callable[[int, int], None]


class Submitter(Protocol):
    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Any: ...


def run_batch(a: TcoAssumptions, variations: Sequence[dict[str, float]]) -> list[dict[str, float]]:
    """The headline figures of ``a`` under each set of values (a worker's task)."""
    index = quantity_index(a)
    return [headline(with_values(a, values, index)) for values in variations]


def _run_all(
    a: TcoAssumptions, variations: list[dict[str, float]], executor: Submitter | None, progress: Progress | None
) -> list[dict[str, float]]:
    chunks = [variations[i : i + CHUNK] for i in range(0, len(variations), CHUNK)]
    out: list[dict[str, float]] = []
    if executor is None:
        for chunk in chunks:
            out.extend(run_batch(a, chunk))
            if progress:
                progress(len(out), len(variations))
        return out
    futures = [executor.submit(run_batch, a, chunk) for chunk in chunks]
    for future in futures:  # in submission order: the same result whichever worker ran which chunk
        out.extend(future.result())
        if progress:
            progress(len(out), len(variations))
    return out


def ranged(a: TcoAssumptions) -> dict[str, Quantity]:
    """Quantities with a range, by dotted path."""
    return {p: qty for p, qty in quantities(a).items() if qty.range is not None}


def tornado(
    a: TcoAssumptions, metric: str = "ev_npv_usd", executor: Submitter | None = None, progress: Progress | None = None
) -> pd.DataFrame:
    """One row per ranged quantity: its base value, low and high, the metric with the quantity at low and at high
    (every other at its value) and the swing |high - low|, widest swing first (ties by path)."""
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {', '.join(METRICS)}, got {metric!r}")
    params = ranged(a)
    if "analysis.period" in params:  # it sets how many years there are: one run at a time
        variations = [{p: qty.range[i]} for p, qty in params.items() for i in (0, 1)]  # type: ignore[index]
        runs = pd.DataFrame(_run_all(a, variations, executor, progress))
    else:  # one batch: row 2k holds quantity k at its low, row 2k + 1 at its high, every other at its value
        draws = {p: np.full(2 * len(params), float(qty.value)) for p, qty in params.items()}  # type: ignore[arg-type]
        for k, (path, qty) in enumerate(params.items()):
            draws[path][2 * k : 2 * k + 2] = qty.range  # type: ignore[assignment]
        runs = _by_batches(a, draws, 2 * len(params), executor, progress) if params else pd.DataFrame()
    base = headline(a)[metric]
    rows = []
    for k, (path, qty) in enumerate(params.items()):
        low, high = float(runs[metric].iloc[2 * k]), float(runs[metric].iloc[2 * k + 1])
        rows.append(
            {
                "parameter": path,
                "unit": qty.unit,
                "value": qty.value,
                "low": qty.range[0],  # type: ignore[index]
                "high": qty.range[1],  # type: ignore[index]
                f"{metric}_at_low": low,
                f"{metric}_at_high": high,
                "swing": abs(high - low),
                "base": base,
                "source": qty.source,
            }
        )
    df = pd.DataFrame(rows)
    if df.empty:
        return df
    return df.sort_values(["swing", "parameter"], ascending=[False, True], ignore_index=True)


def distributions(a: TcoAssumptions) -> dict[str, Triangular | Uniform | Normal]:
    """What Monte Carlo draws each quantity from, by dotted path (sorted)."""
    out: dict[str, Triangular | Uniform | Normal] = {}
    for path, qty in sorted(quantities(a).items()):
        if qty.distribution is not None:
            out[path] = qty.distribution
        elif qty.range is not None:
            out[path] = Triangular(kind="triangular", low=qty.range[0], mode=float(qty.value), high=qty.range[1])  # type: ignore[arg-type]
    return out


def _draw(dist: Triangular | Uniform | Normal, n: int, rng: np.random.Generator) -> np.ndarray:
    if isinstance(dist, Triangular):
        return rng.triangular(dist.low, dist.mode, dist.high, n)
    if isinstance(dist, Uniform):
        return rng.uniform(dist.low, dist.high, n)
    out = rng.normal(dist.mean, dist.sd, n)
    low = -np.inf if dist.low is None else dist.low
    high = np.inf if dist.high is None else dist.high
    for _ in range(1000):  # redraw what falls outside [low, high]
        bad = (out < low) | (out > high)
        if not bad.any():
            return out
        out[bad] = rng.normal(dist.mean, dist.sd, int(bad.sum()))
    raise ValueError(f"normal({dist.mean}, {dist.sd}) almost never falls in [{low}, {high}]")


def draw_samples(a: TcoAssumptions, samples: int, seed: int) -> dict[str, np.ndarray]:
    """``samples`` draws of every uncertain quantity (:func:`distributions`), in dotted-path order from
    ``numpy.random.default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    return {path: _draw(d, samples, rng) for path, d in distributions(a).items()}


def run_draws(a: TcoAssumptions, draws: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The headline figures of every draw at once (a worker's task): the quantities hold one value per draw and
    the cash flows broadcast over them."""
    return headline(with_values(a, draws))  # type: ignore[return-value]


def _by_batches(
    a: TcoAssumptions, draws: dict[str, np.ndarray], samples: int, executor: Submitter | None, progress: Progress | None
) -> pd.DataFrame:
    spans = [(i, min(i + BATCH, samples)) for i in range(0, samples, BATCH)]
    tasks = [{p: v[i:j] for p, v in draws.items()} for i, j in spans]
    parts: list[pd.DataFrame] = []
    results = (run_draws(a, t) for t in tasks) if executor is None else None
    futures = [executor.submit(run_draws, a, t) for t in tasks] if executor is not None else []
    for k, (i, j) in enumerate(spans):
        out = next(results) if results is not None else futures[k].result()  # in order, whoever ran it
        parts.append(pd.DataFrame({m: np.broadcast_to(out[m], (j - i,)) for m in METRICS}))
        if progress:
            progress(j, samples)
    return pd.concat(parts, ignore_index=True)


def monte_carlo(
    a: TcoAssumptions,
    samples: int,
    seed: int = 0,
    executor: Submitter | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """``samples`` draws of every uncertain quantity at once; per metric P10, P50, P90 and the mean, the share
    of draws where the EV fleet is cheaper, and the distributions drawn from (the assumptions behind the
    numbers). Draws are evaluated in batches of ``BATCH`` at once (the cash flows broadcast over them), or one
    by one when the analysis period itself is drawn (it sets how many years there are)."""
    if samples < 1:
        raise ValueError("samples must be at least 1")
    draws = draw_samples(a, samples, seed)
    if "analysis.period" in draws:
        variations = [
            {p: float(np.floor(v[i])) if p == "analysis.period" else float(v[i]) for p, v in draws.items()}
            for i in range(samples)
        ]
        results = pd.DataFrame(_run_all(a, variations, executor, progress))
    else:
        results = _by_batches(a, draws, samples, executor, progress)
    summary = {
        m: {
            "p10": float(np.percentile(results[m], 10)),
            "p50": float(np.percentile(results[m], 50)),
            "p90": float(np.percentile(results[m], 90)),
            "mean": float(results[m].mean()),
        }
        for m in METRICS
    }
    return {
        "samples": samples,
        "seed": seed,
        "metrics": summary,
        "ev_cheaper_share": float((results["ev_minus_diesel_usd"] < 0).mean()),
        "assumptions": {p: d.model_dump() for p, d in distributions(a).items()},
        "runs": results,
    }
