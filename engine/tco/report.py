"""One TCO answer for the command line, the API and the notebook: the TCO tables as JSON with every assumption
next to them, and on request the tornado and the Monte Carlo percentiles."""

from __future__ import annotations

import hashlib
from typing import Any

from engine.tco.assumptions import TcoAssumptions
from engine.tco.load import quantities
from engine.tco.model import tco
from engine.tco.sweeps import METRICS, Progress, Submitter, monte_carlo, tornado

MAX_SAMPLES = 1_000_000  # most Monte Carlo draws in one request [-]


def default_metric(a: TcoAssumptions) -> str:
    """EV minus diesel when some class has a diesel baseline, else the EV fleet's NPV."""
    return "ev_minus_diesel_usd" if any(c.diesel is not None for c in a.vehicle_classes) else "ev_npv_usd"


def assumptions_table(a: TcoAssumptions) -> list[dict[str, Any]]:
    """Every number the TCO used: dotted path, value (in the model's unit), unit, source, range, distribution."""
    out = []
    for path, q in quantities(a).items():
        row: dict[str, Any] = {"parameter": path, "value": q.value, "unit": q.unit, "source": q.source}
        if q.range is not None:
            row["range"] = list(q.range)
        if q.distribution is not None:
            row["distribution"] = q.distribution.model_dump()
        out.append(row)
    return out


def tco_report(
    a: TcoAssumptions,
    scenario: str | None = None,
    sensitivity: bool = False,
    samples: int = 0,
    seed: int = 0,
    metric: str | None = None,
    executor: Submitter | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """The TCO of ``a`` as JSON (:meth:`engine.tco.model.TcoResult.to_json`) plus ``assumptions``; with
    ``sensitivity`` a ``tornado`` on ``metric``; with ``samples`` > 0 a ``monte_carlo`` block."""
    if samples < 0 or samples > MAX_SAMPLES:
        raise ValueError(f"monte carlo samples must be between 0 and {MAX_SAMPLES:,}, got {samples}")
    metric = metric or default_metric(a)
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {', '.join(METRICS)}, got {metric!r}")
    out = tco(a, scenario).to_json()
    out["version"], out["owner"] = a.version, a.owner
    out["assumptions_hash"] = hashlib.sha256(a.model_dump_json().encode()).hexdigest()  # the numbers answered for
    out["assumptions"] = assumptions_table(a)
    if sensitivity:
        table = tornado(a, metric, executor, progress)
        out["tornado"] = {"metric": metric, "rows": table.to_dict(orient="records")}
    if samples:
        mc = monte_carlo(a, samples, seed, executor, progress)
        mc.pop("runs")
        out["monte_carlo"] = mc
    return out
