"""Every money term of a plan, defined once. The objective (:mod:`engine.schedule.objective`) multiplies these
rates with the model's variables; the reported cost (:mod:`engine.decision.cost`) multiplies the same rates with
the solved plan's values, so the two cannot drift apart.

With p[v,g,t] the power of vehicle v from pool g in slot t [kW], dt the slot length [h]:

    energy  = sum_{d,t} energy[d][t] * imp[d,t]             energy[d][t] = price[d,t] * dt       [$/kW]
    demand  = sum_{d,c,m} demand[d,c] * (peak[d,c,m] - MTD)  demand[d,c] = w_D * rate_c            [$/kW]
    wear    = sum_{v,g,t} wear[g] * p[v,g,t]                 wear[g] = (w_kWh + w_DC [g is DC]) * dt
    public  = sum_{v,g,t} public[v,g] * p[v,g,t]             public[v,g] = fee_min * 60 dt / P_full(v,g): a
              public station's per-minute fee, as minutes at the vehicle's full power there   [$/kW]
    penalty = sum_k short[k] * s_k + lack[k] * l             short[k] by trip priority [$/kWh]; l the highest s
              + over * sum over[d,t]                          (energy.py); over = w_over * dt
    change  = change * sum |p[v,t] - p_prev[v,t]|            change = w_change * dt               [$/kW]
    prefer  = prefer * sum_{(v,g) off preference} p[v,g,t]   prefer = w_pref * dt                 [$/kW]
    timing  = sum_{v,g,t} timing[v,t] * p[v,g,t]             timing[v,t] = (w_early + 1e-4) dt t/T
                                                                 + w_urgent dt (t - a)/(b - a) in dwell [a, b)
    end     = end * sum_v e[v, b1]                           end = -v_end                         [$/kWh]

Energy, demand and public are bill money (the bill of :mod:`engine.tariffs` prices energy and demand the same
way; a public station's session fees are billed per session by :mod:`engine.decision.cost`, not weighed here);
the others are the objective's non-cash terms (wear, penalties, plan changes and steering).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.schedule.extract import Solution
from engine.schedule.inputs import ScheduleInputs

TIE_BREAK = 1e-4  # [$/kWh] at the horizon end: above solver tolerances, negligible in money

NON_CASH_TERMS = ("wear", "penalty", "change", "prefer", "timing", "end")


@dataclass(frozen=True)
class CostRates:
    """The coefficient of every objective term (see the module docstring for units)."""

    energy: dict[str, np.ndarray]  # depot -> [$ per kW imported for one slot], per slot
    demand: dict[tuple[str, int], float]  # (depot, demand charge index) -> [$ per kW of new peak]
    wear: dict[str, float]  # pool -> [$ per kW drawn for one slot]
    public: dict[tuple[str, str], float]  # (vehicle, pool at a public station) -> [$ per kW drawn for one slot]
    short: dict[tuple[str, int], float]  # (vehicle, departure index) -> [$ per kWh short]
    lack: dict[tuple[str, int], float]  # (vehicle, departure index) -> [$ per kWh the trip itself lacks]
    over: float  # [$ per kW above the grid limit for one slot]
    change: float  # [$ per kW moved against the previous plan for one slot]
    prefer: float  # [$ per kW drawn off preference for one slot]
    early: np.ndarray  # per slot [$ per kW drawn for one slot]: later costs a little more
    urgent: dict[str, np.ndarray]  # vehicle -> per slot [$ per kW]: later in the dwell costs more (when weighted)
    end: float  # [$ per kWh left at the horizon end] (negative: stored energy has value)

    def timing(self, vehicle: str) -> np.ndarray:
        """Per slot [$ per kW drawn by ``vehicle`` for one slot]: the early and urgent steers together."""
        extra = self.urgent.get(vehicle)
        return self.early if extra is None else self.early + extra


def cost_rates(x: ScheduleInputs) -> CostRates:
    """The rates of ``x``'s objective."""
    w, dt = x.weights, x.dt_h
    T = max(1, x.n_slots)
    urgent: dict[str, np.ndarray] = {}
    if w.prefer_urgent_usd_per_kwh > 0:
        for vi in x.vehicles:
            where = np.zeros(x.n_slots)  # position of each slot in its dwell [0, 1)
            for a, b in vi.dwells():
                where[a:b] = (np.arange(a, b) - a) / max(1, b - a)
            urgent[vi.vehicle.id] = w.prefer_urgent_usd_per_kwh * dt * where
    return CostRates(
        energy={d: di.price.astype(float) * dt for d, di in x.depots.items()},
        demand={(d, c): w.demand_weight * di.demand[c][1] for d, di in x.depots.items() for c in range(len(di.demand))},
        wear={
            p.id: (w.wear_usd_per_kwh + (w.dc_wear_extra_usd_per_kwh if p.id in x.dc_pools else 0.0)) * dt
            for p in x.pools
        },
        short={(vi.vehicle.id, k): d.penalty_usd_per_kwh for vi in x.vehicles for k, d in enumerate(vi.departures)},
        lack={
            (vi.vehicle.id, k): x.lack_usd_per_kwh
            for vi in x.vehicles
            for k, d in enumerate(vi.departures)
            if vi.departs_again(d.slot)
        },
        public=public_rates(x),
        over=w.over_limit_usd_per_kwh * dt,
        change=w.plan_change_usd_per_kwh * dt,
        prefer=w.off_preference_usd_per_kwh * dt,
        early=(w.prefer_early_usd_per_kwh + TIE_BREAK) * dt * np.arange(x.n_slots) / T,
        urgent=urgent,
        end=-w.end_value_usd_per_kwh,
    )


def public_rates(x: ScheduleInputs) -> dict[tuple[str, str], float]:
    """(vehicle, pool) -> a public station's per-minute fee per kW drawn for one slot [$/kW]: ``fee * 60 dt``
    for the slot at full power ``P_full`` (the vehicle's power there before availability), over ``P_full``."""
    fee = {d: di.tariff.public_fees.per_minute for d, di in x.depots.items() if di.tariff.public_fees}
    pools = {p.id: p for p in x.pools}
    return {
        (vi.vehicle.id, g): fee[pools[g].depot_id] * 60 * x.dt_h / (kw / pools[g].availability)
        for vi in x.vehicles
        for g, kw in vi.pool_kw.items()
        if fee.get(pools[g].depot_id) and kw > 0
    }


def public_time_usd(x: ScheduleInputs, sol: Solution, rates: CostRates | None = None) -> float:
    """The per-minute fees of a solved plan at public stations [$], from the objective's rates."""
    r = rates or cost_rates(x)
    return sum(rate * float(sol.power[v][g].sum()) for (v, g), rate in r.public.items() if g in sol.power[v])


def non_cash_terms(x: ScheduleInputs, sol: Solution, rates: CostRates | None = None) -> dict[str, float]:
    """The objective's non-cash terms of a solved plan [$], from the same rates as the objective."""
    r = rates or cost_rates(x)
    wear = prefer = timing = change = end = 0.0
    for vi in x.vehicles:
        v = vi.vehicle.id
        drawn = np.zeros(x.n_slots)
        for g, kw in sol.power[v].items():
            wear += r.wear[g] * float(kw.sum())
            if g in vi.off_preference:
                prefer += r.prefer * float(kw.sum())
            drawn += kw
        timing += float(r.timing(v) @ drawn)
        q = x.previous.get(v) if x.previous else None
        if q is not None:
            covered = ~np.isnan(q)
            change += r.change * float(np.abs(drawn[covered] - q[covered]).sum())
        end += r.end * float(sol.energy[v][vi.span[1]])
    penalty = sum(r.short[k] * s for k, s in sol.short.items())
    penalty += sum(r.lack[k] * a for k, a in sol.lack.items())
    penalty += r.over * sum(float(o.sum()) for o in sol.over_kw.values())
    return {"wear": wear, "penalty": penalty, "change": change, "prefer": prefer, "timing": timing, "end": end}
