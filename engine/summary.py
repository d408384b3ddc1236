"""Readable text summaries of a problem and its tariff (what ``make run`` prints)."""

from __future__ import annotations

from collections import Counter
from zoneinfo import ZoneInfo

from engine.domain import PlanningProblem
from engine.tariffs import Tariff


def describe_tariff(tariff: Tariff) -> str:
    """Charges of a tariff, one line each."""
    lines = [f"Tariff: {tariff.name} ({tariff.utility or 'utility n/a'}, {tariff.timezone})"]
    for c in tariff.energy:
        lines.append(f"  energy  {c.name:<28} {c.blocks[0].rate:8.5f} $/kWh  {_when(tariff, c)}")
    for c in tariff.demand:
        lines.append(f"  demand  {c.name:<28} {c.blocks[0].rate:8.2f} $/kW   {_when(tariff, c)}")
    for f in tariff.fixed:
        lines.append(f"  fixed   {f.name:<28} {f.amount:8.2f} $/{f.per}")
    return "\n".join(lines)


def _when(tariff: Tariff, charge) -> str:
    parts = []
    for w in charge.when:
        months = tariff.months_of(w)
        m = "all year" if len(months) == 12 else f"months {','.join(map(str, months))}"
        days = "all days" if len(w.day_types) == 3 else "/".join(w.day_types)
        hours = ", ".join(f"{a:g}-{b:g}h" for a, b in w.hours)
        parts.append(f"{m}; {days}; {hours}")
    return " | ".join(parts)


def describe_problem(problem: PlanningProblem) -> str:
    """Fleet, chargers, site and trips of a problem in a few lines."""
    out = [
        f"Problem {problem.id}: {problem.now.isoformat()} + {problem.horizon_hours:g} h "
        f"in {problem.slot_minutes}-min slots"
    ]
    for depot in problem.depots:
        vehicles = [v for v in problem.vehicles if v.depot_id == depot.id]
        chargers = [c for c in problem.chargers if c.depot_id == depot.id]
        trips = sorted((t for t in problem.trips if t.depot_id == depot.id), key=lambda t: t.departure)
        classes = Counter(v.vehicle_class for v in vehicles)
        out.append(f"Depot {depot.id} ({depot.name or depot.timezone}): grid limit {depot.grid_limit_kw:g} kW")
        out.append(
            f"  vehicles: {len(vehicles)} ({', '.join(f'{n} {c}' for c, n in sorted(classes.items()))}), "
            f"{sum(v.battery_kwh for v in vehicles):,.0f} kWh of batteries, "
            f"{sum(1 for v in vehicles if v.max_dc_kw > 0)} DC-capable"
        )
        kinds = Counter((c.kind.value, c.max_kw) for c in chargers)
        out.append(
            "  chargers: "
            + ", ".join(f"{n} x {k} {kw:g} kW" for (k, kw), n in sorted(kinds.items()))
            + f" ({sum(c.max_kw for c in chargers):,.0f} kW nameplate)"
        )
        if depot.building_load_kw:
            b = depot.building_load_kw.values_kw
            out.append(f"  building load: {min(b):.0f}-{max(b):.0f} kW")
        if depot.pv_kw:
            out.append(f"  PV forecast: peak {max(depot.pv_kw.values_kw):.0f} kW")
        if trips:
            tz = depot.timezone
            first, last = trips[0].departure, trips[-1].departure
            need = sum(t.energy_kwh_p50 for t in trips)
            out.append(
                f"  trips: {len(trips)} departing {first.astimezone(ZoneInfo(tz)):%a %H:%M}-"
                f"{last.astimezone(ZoneInfo(tz)):%H:%M}, {need:,.0f} kWh P50 "
                f"({sum(t.energy_kwh_p90 for t in trips):,.0f} kWh P90)"
            )
        socs = [s.soc for s in problem.states if s.vehicle_id in {v.id for v in vehicles}]
        if socs:
            out.append(f"  SOC now: {min(socs):.0%}-{max(socs):.0%} (mean {sum(socs) / len(socs):.0%})")
    return "\n".join(out)


def strategy_comparison(decisions: list) -> str:
    """Table of cost and readiness per strategy, and the saving of the first against uncontrolled."""
    rows = [
        "Strategy       energy $  demand $  energy+demand $  peak kW  not ready  over limit",
        "-------------  --------  --------  ---------------  -------  ---------  ----------",
    ]
    by = {}
    for d in decisions:
        ed = d.cost.energy_usd + d.cost.demand_usd
        by[d.plan.strategy] = ed
        short = sum(1 for v in d.violations if v.target.startswith("departure_target"))
        over = any(v.target.startswith("site_limit") for v in d.violations)
        rows.append(
            f"{d.plan.strategy:<13}  {d.cost.energy_usd:8,.0f}  {d.cost.demand_usd:8,.0f}  {ed:15,.0f}  "
            f"{max(d.plan.site_load_kw):7.0f}  {short:9d}  {'yes' if over else 'no':>10}"
        )
    if "uncontrolled" in by and decisions:
        first = decisions[0].plan.strategy
        saving = 1 - by[first] / by["uncontrolled"] if by["uncontrolled"] else 0.0
        rows.append(f"{first} saves {saving:.0%} of energy + demand cost against uncontrolled charging.")
    return "\n".join(rows)


def describe_decision(decision) -> str:
    """A decision in plain sentences: the outcome, the bill, what is not money, the peak, every shortfall, then
    per vehicle its charging sessions and the SOC it leaves with on each trip (times as the plan gives them)."""
    c = decision.cost
    cur = c.currency

    def money(x: float) -> str:
        return f"{x:,.2f} {cur}"

    lines = [
        f"Decision {decision.decision_id}: {decision.plan.strategy} plan, {decision.status} ("
        + (
            "a rule-based strategy, no solver)."
            if decision.solver.status == "not_applicable"
            else f"the solver answered {decision.solver.status} in {decision.solver.seconds:.2f} s)."
        ),
        f"The bill is {money(c.bill_usd)}: energy {money(c.energy_usd)}, demand {money(c.demand_usd)}, fees "
        f"{money(c.fees_usd)}.",
        f"Weighed but not billed: battery wear {money(c.wear_usd)}, shortfall penalties {money(c.penalty_usd)}, "
        f"plan changes {money(c.change_usd)}, lateness {money(c.lateness_usd)}; the objective is "
        f"{money(c.objective_usd)}.",
        f"The site peaks at {max(decision.plan.site_load_kw):.1f} kW.",
    ]
    for v in decision.violations:
        lines.append(f"Not met: {v.target} is {v.shortfall_kwh:.1f} kWh short ({v.reason}).")
    for vp in decision.plan.vehicles:
        for s in vp.sessions:
            where = f"at charger {s.charger_id}" if s.charger_id else "at an unnamed charger"
            lines.append(
                f"{vp.vehicle_id} charges {s.energy_kwh:.1f} kWh {where} from {s.plug_in:%a %d %b %H:%M} to "
                f"{s.plug_out:%H:%M} ({s.plug_in:%Z})."
            )
        for trip_id, soc in vp.soc_at_departure.items():
            lines.append(f"{vp.vehicle_id} leaves on trip {trip_id} with {soc:.0%} charge.")
    return "\n".join(lines)
