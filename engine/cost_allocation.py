"""A depot's bill split among its vehicles, to the cent (the KPI "cost per vehicle", issue 20).

For each depot, the plan's grid import is billed under the depot's tariff (:func:`engine.tariffs.bill`), and:

- **energy**: vehicle ``v`` pays ``sum_t p[v,d,t] * dt * price[t]`` [$], its charging power at the depot [kW]
  times the slot [h] times the marginal energy price then (:func:`engine.tariffs.bill.price_series`);
- **demand**: each demand line (a charge in a billing month) is shared by the peak intervals that set it (the
  slots of its window where the demand load equals the line's peak): vehicle ``v`` pays
  ``amount * sum_peak p[v,d,t] / sum_peak load[t]``, its share of the load in those intervals;
- the **site** (building load, storage, fixed and minimum charges, tiered-energy differences) pays the rest, so
  the parties add up to the bill;
- amounts are rounded to the cent by largest remainder: per depot the rounded parties add up to the rounded bill
  exactly.

A vehicle's power belongs to the depot of the charger of the session covering the slot.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import timedelta

import numpy as np
import pandas as pd

from engine.domain import PlanningProblem
from engine.results import Plan
from engine.tariffs import Tariff
from engine.tariffs.bill import bill, demand_windows, price_series

SITE = "site"


def depot_power(plan: Plan, problem: PlanningProblem) -> dict[str, dict[str, np.ndarray]]:
    """Depot id -> vehicle id -> the vehicle's charging power there per slot [kW]."""
    depot_of = {c.id: c.depot_id for c in problem.chargers}
    n, slot = len(plan.slot_starts), timedelta(minutes=plan.slot_minutes)
    out: dict[str, dict[str, np.ndarray]] = defaultdict(dict)
    for vp in plan.vehicles:
        for s in vp.sessions:
            depot = depot_of.get(s.charger_id or "")
            if depot is None:
                continue
            series = out[depot].setdefault(vp.vehicle_id, np.zeros(n))
            for k, start in enumerate(plan.slot_starts):
                if s.plug_in <= start and start + slot <= s.plug_out:
                    series[k] = vp.power_kw[k]
    return out


def allocate(plan: Plan, problem: PlanningProblem, tariffs: dict[str, Tariff]) -> pd.DataFrame:
    """One row per depot and party (each vehicle, then ``site``): ``energy_usd``, ``demand_usd``, ``other_usd``
    (unrounded) and ``total_usd`` (to the cent; a depot's rows add up to its bill rounded to the cent)."""
    rows = []
    index = pd.DatetimeIndex(plan.slot_starts)
    dt_h = plan.slot_minutes / 60
    power = depot_power(plan, problem)
    for depot, load_kw in sorted(plan.depot_load_kw.items()):
        tariff = tariffs[depot]
        load = np.maximum(np.asarray(load_kw, dtype=float), 0.0)
        b = bill(pd.Series(load, index=index), tariff, step_minutes=plan.slot_minutes)
        step = timedelta(minutes=plan.slot_minutes)
        price = price_series(tariff, index[0], index[-1] + step, step).to_numpy()
        vehicles = power.get(depot, {})
        energy = {v: float(np.sum(p * dt_h * price)) for v, p in vehicles.items()}
        demand = {v: 0.0 for v in vehicles}
        lines = [line for line in b.lines if line.kind == "demand"]
        for name, _rate, mask, month in demand_windows(tariff, index):
            for line in (x for x in lines if x.name == name):
                in_line = mask & (np.asarray(month) == _month_index(month, line.period, index, tariff))
                if not in_line.any() or line.amount_usd == 0:
                    continue
                peak = in_line & np.isclose(load, load[in_line].max(), rtol=0, atol=1e-9)  # every tier: one peak
                total = load[peak].sum()
                for v, p in vehicles.items():
                    demand[v] += line.amount_usd * (p[peak].sum() / total if total > 0 else 0.0)
        parties = {v: energy[v] + demand[v] for v in sorted(vehicles)}
        parties[SITE] = b.total_usd - sum(parties.values())
        cents = _largest_remainder(parties, round(b.total_usd * 100))
        for party, amount in parties.items():
            rows.append(
                {
                    "depot": depot,
                    "party": party,
                    "energy_usd": energy.get(party, b.energy_usd - sum(energy.values()) if party == SITE else 0.0),
                    "demand_usd": demand.get(party, b.demand_usd - sum(demand.values()) if party == SITE else 0.0),
                    "other_usd": 0.0 if party != SITE else b.fixed_usd + b.minimum_usd,
                    "total_usd": cents[party] / 100,
                    "unrounded_usd": amount,
                }
            )
    return pd.DataFrame(rows)


def _month_index(months: np.ndarray, period: str, index: pd.DatetimeIndex, tariff: Tariff) -> int:
    """The billing-month index of the bill line's period (``YYYY-MM``) among the slots."""
    local = index.tz_convert(tariff.timezone)
    for k, t in enumerate(local):
        if t.strftime("%Y-%m") == period[:7]:
            return int(months[k])
    return -1


def _largest_remainder(amounts: dict[str, float], total_cents: int) -> dict[str, int]:
    """Whole cents per party adding up to ``total_cents``: each floored, the missing cents to the largest
    remainders (ties by party name, so the split is deterministic)."""
    floors = {k: math.floor(v * 100 + 1e-9) for k, v in amounts.items()}
    missing = total_cents - sum(floors.values())
    order = sorted(amounts, key=lambda k: (-(amounts[k] * 100 - floors[k]), k))
    step = 1 if missing >= 0 else -1
    for k in (order if step > 0 else list(reversed(order)))[: abs(missing)]:
        floors[k] += step
    return floors
