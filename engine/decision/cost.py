"""What a plan costs: bill money from the tariff's bill, the objective's non-cash terms from the same rates the
objective uses (:mod:`engine.schedule.costs`), and lateness from delayed departures."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.domain import PlanningProblem
from engine.errors import InputError, Problem
from engine.policy.schema import Policy
from engine.results import CostSplit
from engine.schedule.costs import non_cash_terms, public_time_usd
from engine.schedule.extract import Solution, sessions_of
from engine.schedule.inputs import ScheduleInputs
from engine.tariffs import bill


def plan_cost(x: ScheduleInputs, sol: Solution, lateness: float = 0.0) -> tuple[CostSplit, dict[str, dict]]:
    """The CostSplit of a solved plan [$] and per-depot bill summaries for the trace.

    Bill money: energy and demand from :func:`engine.tariffs.bill` on each depot's grid import, demand only above
    the month-to-date peak (what this plan adds to the month's invoice), fees the daily fixed charges of the days
    the horizon touches (monthly fixed charges and minimums belong to the monthly invoice, whatever the plan).
    Non-cash: the objective's own terms at the plan's values; ``lateness`` [$] from delayed departures."""
    energy = demand = fees = 0.0
    bills = {}
    for d, di in sorted(x.depots.items()):
        load = pd.Series(np.maximum(sol.site_kw[d], 0.0), index=x.slot_starts)
        b = bill(load, di.tariff, step_minutes=x.dt_h * 60)
        mtd = {name: base for name, _r, _m, _mo, base in di.demand}
        above = sum(
            line.rate * max(0.0, line.quantity - mtd.get(line.name, 0.0)) for line in b.lines if line.kind == "demand"
        )
        daily = sum(line.amount_usd for line in b.lines if line.kind == "fixed" and line.unit == "day")
        energy += b.energy_usd
        demand += above
        fees += daily
        bills[d] = {
            "energy_usd": b.energy_usd,
            "demand_usd_full": b.demand_usd,
            "demand_usd_above_mtd": above,
            "peak_kw": float(load.max()),
        }
    currencies = {di.tariff.currency for di in x.depots.values()}
    if len(currencies) > 1:
        raise InputError(
            [Problem(f"depots are billed in different currencies ({', '.join(sorted(currencies))})", "tariff")]
        )
    terms = non_cash_terms(x, sol)
    per_minute = public_time_usd(x, sol)
    sessions = public_sessions(x, sol)
    objective = energy + x.weights.demand_weight * demand + per_minute + sum(terms.values())
    return (
        CostSplit(
            energy_usd=energy,
            demand_usd=demand,
            fees_usd=fees,
            public_usd=per_minute + sessions,
            bill_usd=energy + demand + fees + per_minute + sessions,
            wear_usd=terms["wear"],
            penalty_usd=terms["penalty"],
            change_usd=terms["change"],
            prefer_usd=terms["prefer"],
            timing_usd=terms["timing"],
            end_usd=terms["end"],
            lateness_usd=lateness,
            objective_usd=objective,
            currency=currencies.pop() if currencies else "USD",
        ),
        bills,
    )


def public_sessions(x: ScheduleInputs, sol: Solution) -> float:
    """Session fees at public stations [$]: each plug-in session of the plan on a pool there costs the station's
    ``public_fees.session_fee`` (a fixed cost per plug-in: billed, not weighed by the plan)."""
    fee = {d: di.tariff.public_fees.session_fee for d, di in x.depots.items() if di.tariff.public_fees}
    site = {p.id: p.depot_id for p in x.pools}
    return sum(fee.get(site[s.pool], 0.0) for s in sessions_of(sol, x))


def lateness_usd(problem: PlanningProblem, delays_min: dict[str, float], policy: Policy | None) -> float:
    """Cost of delayed departures [$]: minutes late times the policy's ``late_usd_per_min`` for the priority."""
    if policy is None or not delays_min:
        return 0.0
    rate = policy.objective.late_usd_per_min
    priority = {t.id: t.priority for t in problem.trips}
    return sum(minutes * rate.get(priority[tid], 0.0) for tid, minutes in delays_min.items())
