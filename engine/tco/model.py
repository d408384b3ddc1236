"""Total cost of ownership of a fleet: cash flows by year and component, NPV, levelised cost per km and per
mile, EV against the diesel baseline and the payback year.

With the cash flows x_k of :mod:`engine.tco.cash_flows` (k = 0 .. N-1) and discount rate r:

- NPV = sum_k x_k / (1 + r)^k [USD]; ``undiscounted`` = sum_k x_k;
- levelised cost per km = NPV / sum_k D_k / (1 + r)^k (the discounted distance) [USD/km], per mile x 1.609344;
- payback year: the first calendar year whose cumulative discounted EV cost is at most the diesel baseline's
  (none when the EV never catches up).

Fleet figures are the per-vehicle figures times the class's ``count``; a depot's shared charger costs are split
equally among its vehicles, so classes add up to their depot.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from engine.tco.assumptions import TcoAssumptions
from engine.tco.cash_flows import Flows, _v, _yearly, diesel_flows, discount_factors, ev_flows
from engine.tco.units import KM_PER_MI

POWERTRAINS = ("ev", "diesel")


@dataclass(frozen=True)
class TcoResult:
    """The TCO as tables. ``cash_flows``: one row per depot, class, powertrain, year and component with
    ``per_vehicle_usd``, ``fleet_usd`` and ``discounted_fleet_usd``. ``summary``: one row per depot, class and
    powertrain with ``npv_per_vehicle_usd``, ``npv_fleet_usd``, ``undiscounted_fleet_usd``,
    ``usd_per_km``, ``usd_per_mile``. ``comparison``: per depot and class, EV minus diesel and the payback year."""

    name: str
    scenario: str | None
    cash_flows: pd.DataFrame
    summary: pd.DataFrame
    comparison: pd.DataFrame

    def breakdown(self) -> pd.DataFrame:
        """NPV by component [USD, fleet]: one row per depot, class and powertrain, one column per component."""
        table = self.cash_flows.pivot_table(
            index=["depot", "vehicle_class", "powertrain"],
            columns="component",
            values="discounted_fleet_usd",
            aggfunc="sum",
            fill_value=0.0,
        )
        return table.reset_index()

    def by_year(self) -> pd.DataFrame:
        """Fleet cash flow per calendar year and powertrain [USD], undiscounted and discounted."""
        return (
            self.cash_flows.groupby(["powertrain", "year"], as_index=False)[["fleet_usd", "discounted_fleet_usd"]]
            .sum()
            .sort_values(["powertrain", "year"], ignore_index=True)
        )

    def total(self, powertrain: str = "ev") -> float:
        """Fleet NPV of one powertrain [USD]."""
        rows = self.summary[self.summary["powertrain"] == powertrain]
        return float(rows["npv_fleet_usd"].sum())

    def to_json(self) -> dict[str, object]:
        """JSON: totals, summary and comparison rows, NPV breakdown, and cash flow by year."""
        return {
            "name": self.name,
            "scenario": self.scenario,
            "currency": "USD",
            "totals": {p: round(self.total(p), 2) for p in POWERTRAINS if (self.summary["powertrain"] == p).any()},
            "summary": _records(self.summary),
            "comparison": _records(self.comparison),
            "breakdown": _records(self.breakdown()),
            "cash_flow_by_year": _records(self.by_year()),
        }


def _records(df: pd.DataFrame) -> list[dict[str, object]]:
    out = []
    for row in df.to_dict(orient="records"):
        out.append({k: _number(k, v) for k, v in row.items()})
    return out


def _number(key: str, value: object) -> object:
    """Money to the cent, rates per km and mile to 4 decimals, NaN (no distance) as None."""
    if not isinstance(value, float):
        return value
    if np.isnan(value):
        return None
    return round(value, 4 if key.startswith("usd_per") else 2)


def tco(a: TcoAssumptions, scenario: str | None = None) -> TcoResult:
    """The TCO of every class of ``a`` (module doc)."""
    disc = discount_factors(a)
    years = a.analysis.start_year + np.arange(len(disc))
    rows, summary, comparison = [], [], []
    for c in a.vehicle_classes:
        count = _v(c.count)
        km = float((_yearly(c.annual_distance, len(disc)) * disc).sum())
        per_powertrain: dict[str, np.ndarray] = {}
        for powertrain, flows in (
            ("ev", ev_flows(a, c)),
            ("diesel", diesel_flows(a, c, c.diesel) if c.diesel else None),
        ):
            if flows is None:
                continue
            yearly = _rows(rows, c.depot, c.id, powertrain, flows, count, disc, years)
            per_powertrain[powertrain] = yearly * disc
            npv = float((yearly * disc).sum())
            summary.append(
                {
                    "depot": c.depot,
                    "vehicle_class": c.id,
                    "powertrain": powertrain,
                    "vehicles": int(count),
                    "npv_per_vehicle_usd": npv,
                    "npv_fleet_usd": npv * count,
                    "undiscounted_fleet_usd": float(yearly.sum()) * count,
                    "usd_per_km": npv / km if km > 0 else float("nan"),
                    "usd_per_mile": npv / km * KM_PER_MI if km > 0 else float("nan"),
                }
            )
        if "diesel" in per_powertrain:
            cumulative = np.cumsum(per_powertrain["ev"] - per_powertrain["diesel"])
            caught_up = np.nonzero(cumulative <= 1e-9)[0]
            comparison.append(
                {
                    "depot": c.depot,
                    "vehicle_class": c.id,
                    "ev_minus_diesel_per_vehicle_usd": float(cumulative[-1]),
                    "ev_minus_diesel_fleet_usd": float(cumulative[-1]) * count,
                    "payback_year": int(years[caught_up[0]]) if len(caught_up) else None,
                }
            )
    columns = ["depot", "vehicle_class", "ev_minus_diesel_per_vehicle_usd", "ev_minus_diesel_fleet_usd", "payback_year"]
    return TcoResult(
        a.name,
        scenario,
        pd.DataFrame(rows),
        pd.DataFrame(summary),
        pd.DataFrame(comparison, columns=columns).astype({"payback_year": "object"}),
    )


def _rows(
    rows: list[dict], depot: str, cls: str, powertrain: str, flows: Flows, count: float, disc: np.ndarray, years
) -> np.ndarray:
    """Append one row per year and component; return the yearly total per vehicle [USD]."""
    total = np.zeros(len(disc))
    for component, amounts in flows.items():
        total += amounts
        for k, amount in enumerate(amounts):
            rows.append(
                {
                    "depot": depot,
                    "vehicle_class": cls,
                    "powertrain": powertrain,
                    "year": int(years[k]),
                    "age": k,
                    "component": component,
                    "per_vehicle_usd": float(amount),
                    "fleet_usd": float(amount) * count,
                    "discount_factor": float(disc[k]),
                    "discounted_fleet_usd": float(amount) * count * float(disc[k]),
                }
            )
    return total


def headline(a: TcoAssumptions) -> dict[str, Any]:
    """The fleet's headline figures without the tables (for sweeps): ``ev_npv_usd``, ``diesel_npv_usd`` (classes
    with a baseline), ``ev_minus_diesel_usd`` over those classes, ``ev_usd_per_km`` (fleet EV NPV over the
    fleet's discounted km). Floats, or one value per draw when ``a`` holds a Monte Carlo batch (columns)."""
    disc = discount_factors(a)

    def npv(flows: Flows) -> Any:
        return (sum(flows.values()) * disc).sum(axis=-1)

    ev = diesel = ev_compared = km = 0.0
    for c in a.vehicle_classes:
        count = np.ravel(_v(c.count)) if isinstance(c.count.value, np.ndarray) else _v(c.count)
        ev_npv = npv(ev_flows(a, c)) * count
        ev = ev + ev_npv
        km = km + (_yearly(c.annual_distance, len(disc)) * disc).sum(axis=-1) * count
        if c.diesel is not None:
            diesel = diesel + npv(diesel_flows(a, c, c.diesel)) * count
            ev_compared = ev_compared + ev_npv
    out = {
        "ev_npv_usd": ev,
        "diesel_npv_usd": diesel,
        "ev_minus_diesel_usd": ev_compared - diesel,
        "ev_usd_per_km": ev / np.where(km > 0, km, np.nan),
    }
    return {k: float(v) if np.ndim(v) == 0 else np.broadcast_to(v, np.shape(ev)).astype(float) for k, v in out.items()}
