"""The outcome of a simulation as tables and KPIs, one definition each.

Over the simulated period ``[t0, t0 + days)``, with departures ``D`` (each vehicle's trips), transactions ``S``
(what the chargers reported), the site's metered load per quarter hour ``L_q`` [kW] and the plans executed:

- ``departure_readiness``: ``|{d in D: ready}| / |D|`` [-]; ready = SOC at departure within 0.5 % of SOC of the
  target ``min(1, (P90 energy + 0.1 battery) / battery)`` (:mod:`engine.simulate.run`);
- ``missed_trips``: departures whose vehicle held less energy than the route really took, or was not back [-];
- ``charge_completion_rate``, ``charger_utilisation``, ``energy_delivered_kwh``: as :mod:`engine.kpis` defines
  them, from ``S``; ``energy_planned_kwh``: each executed plan's charging energy over the slots it was in force
  (from its execution to the next) [kWh]; ``energy_delivered_share``: delivered / planned [-];
- ``queue_time_min``: mean minutes from a vehicle's return to its first charging, over returns that charged [min];
- ``bill_usd``, ``energy_cost_usd``, ``demand_cost_usd``: the bill of ``L`` under the depot's tariff (price spikes
  as a market price on top) [$]; ``charging_cost_usd``: ``bill(L) - bill(L - charging)``, what charging added [$];
- ``cost_per_km_usd``: charging cost / km the routes drove [$/km];
- ``exception_recovery_min``: mean minutes from an exception (charger fault, session stopped early, outage; a price
  spike or surprise trip from when it is known) to the first plan executed after it [min] (None without a
  controller); ``exceptions``: how many;
- ``forecast_soc_error``: mean (actual - planned) SOC at departure, over departures an executed plan covered [-];
- ``peak_kw``, ``limit_kw``, ``peak_share_of_limit``: the highest quarter-hour import, the connection's limit and
  their ratio [kW, kW, -]; ``curtailed_kwh``: charging the site's load manager withheld at the limit [kWh];
- ``alerts``: alerts raised (:mod:`engine.alerts`, one per condition); ``unready_departures_alerted``: departures
  not ready that an alert named before they left;
- ``cost_per_vehicle_usd`` and ``cost_per_trip_usd``: the bill split by :mod:`engine.cost_allocation` over the
  metered charging (a vehicle's demand share from the peak intervals), a vehicle's cost shared among its trips by
  the energy each used; the vehicles and the site add up to the bill to the cent.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd

from engine.cost_allocation import SITE, allocate
from engine.kpis import SessionFacts, cost_per_trip, operations_kpis
from engine.results import ChargeSession, Plan, VehiclePlan
from engine.shadow import ActualDeparture, ActualSession
from engine.simulate.draws import DAY_MIN
from engine.simulate.observe import with_spikes
from engine.simulate.run import Simulation
from engine.tariffs import Tariff
from engine.tariffs.bill import bill, price_series

QUARTER = timedelta(minutes=15)


def departures(sim: Simulation) -> pd.DataFrame:
    """One row per departure."""
    return pd.DataFrame(sim.world.log.departures)


def transactions(sim: Simulation) -> pd.DataFrame:
    """One row per charger transaction."""
    return pd.DataFrame(sim.world.log.transactions)


def quarter_load(sim: Simulation) -> pd.DataFrame:
    """Per quarter hour: building, pv, charging, site import and limit [kW] (means of the ticks)."""
    raw = pd.DataFrame(
        sim.world.log.load, columns=["minute", "building_kw", "pv_kw", "charging_kw", "limit_kw", "curtailed_kw"]
    )
    raw["quarter"] = (raw["minute"] // 15).astype(int)
    q = raw.groupby("quarter").mean().drop(columns="minute")
    q["site_kw"] = q["building_kw"] - q["pv_kw"] + q["charging_kw"]
    q.index = pd.DatetimeIndex([sim.world.at(15.0 * k) for k in q.index]).tz_convert(sim.world.zone.key)
    return q


def billed_tariff(sim: Simulation, index: pd.DatetimeIndex) -> Tariff:
    """The depot's tariff with the spikes as a market price over the whole period."""
    if not sim.spikes:
        return sim.tariff
    return with_spikes(sim.tariff, sim.spikes, list(index), [sim.world.minute(t) for t in index])


def alerts(sim: Simulation) -> pd.DataFrame:
    """One row per alert (one per condition), as first raised."""
    rows = [] if sim.controller is None else [a.model_dump() for a in sim.controller.alerts.values()]
    return pd.DataFrame(rows)


def unready_alerted(sim: Simulation) -> tuple[int, int]:
    """(departures not ready, how many of them an alert named before they left)."""
    if sim.controller is None:
        missed = sum(not r["ready"] for r in sim.world.log.departures)
        return missed, 0
    warned = {(d.vehicle_id, d.trip_id): a.raised_at for a in sim.controller.alerts.values() for d in a.departures}
    unready = [r for r in sim.world.log.departures if not r["ready"]]
    alerted = [
        r
        for r in unready
        if (r["vehicle_id"], r["trip_id"]) in warned and warned[(r["vehicle_id"], r["trip_id"])] <= r["departure"]
    ]
    return len(unready), len(alerted)


def planned_kwh(sim: Simulation) -> float:
    """Charging energy of the executed plans, each over the slots it was in force [kWh]."""
    if sim.controller is None:
        return 0.0
    runs = sim.controller.executed
    total = 0.0
    end = sim.world.at(sim.days * DAY_MIN)
    for k, run in enumerate(runs):
        start = sim.world.at(run.minute)
        stop = sim.world.at(runs[k + 1].minute) if k + 1 < len(runs) else end
        plan = run.decision.plan
        dt = timedelta(minutes=plan.slot_minutes)
        for i, t in enumerate(plan.slot_starts):
            if start <= t and t + dt <= stop:
                total += sum(vp.power_kw[i] for vp in plan.vehicles) * dt.total_seconds() / 3600
    return total


def allocation(sim: Simulation, load: pd.DataFrame, tariff: Tariff) -> pd.DataFrame:
    """The bill split among vehicles and the site (:mod:`engine.cost_allocation`) over the metered charging."""
    world = sim.world
    n = len(load)
    power = np.zeros((len(world.cars), n))
    have = min(n, world.charged_kwh.shape[1])
    power[:, :have] = world.charged_kwh[:, :have] / 0.25
    starts = list(load.index.to_pydatetime())
    anchor = world.problem.chargers[0].id
    end = starts[-1] + QUARTER
    vehicles = [
        VehiclePlan(
            vehicle_id=car.vehicle.id,
            sessions=[ChargeSession(charger_id=anchor, plug_in=starts[0], plug_out=end, energy_kwh=0.0)],
            power_kw=power[car.index].tolist(),
        )
        for car in world.cars.values()
    ]
    depot = world.depot.id
    site = load["site_kw"].tolist()
    plan = Plan(
        strategy="actual",
        slot_starts=starts,
        slot_minutes=15,
        vehicles=vehicles,
        site_load_kw=site,
        depot_load_kw={depot: site},
        grid_limit_kw={depot: world.depot.grid_limit_kw},
    )
    return allocate(plan, world.problem, {depot: tariff})


def kpis(sim: Simulation) -> dict[str, object]:
    """The KPIs of the module doc."""
    world = sim.world
    dep = departures(sim)
    load = quarter_load(sim)
    tariff = billed_tariff(sim, load.index)
    full = bill(load["site_kw"].clip(lower=0.0), tariff, step_minutes=15)
    base = bill((load["site_kw"] - load["charging_kw"]).clip(lower=0.0), tariff, step_minutes=15)
    charging_cost = full.total_usd - base.total_usd
    facts = [
        SessionFacts(r["charger_id"], r["started"], r["stopped"], r["energy_kwh"], r["stop_reason"])
        for r in world.log.transactions
    ]
    start, end = world.at(0.0), world.at(sim.days * DAY_MIN)
    planned = planned_kwh(sim)
    ops = operations_kpis(facts, planned, len(world.chargers), start, end)
    km = float(dep.loc[dep["missed"].isna(), "distance_km"].sum()) if not dep.empty else 0.0
    waits = [
        (r["first_charge_at"] - r["arrived_at"]).total_seconds() / 60
        for r in world.log.departures
        if r["first_charge_at"] is not None and r["arrived_at"] is not None and r["first_charge_at"] >= r["arrived_at"]
    ]
    covered = dep.dropna(subset=["planned_soc"]) if not dep.empty else dep
    split = allocation(sim, load, tariff)
    per_vehicle = {r.party: r.total_usd for r in split.itertuples() if r.party != SITE}
    recovery = _recovery(sim)
    return {
        "days": sim.days,
        "departures": len(dep),
        "departure_readiness": float(dep["ready"].mean()) if not dep.empty else None,
        "missed_trips": int(dep["missed"].notna().sum()) if not dep.empty else 0,
        "charge_completion_rate": ops["charge_completion_rate"],
        "charger_utilisation": ops["charger_utilisation"],
        "energy_delivered_kwh": round(ops["energy_delivered_kwh"], 3),
        "energy_planned_kwh": round(planned, 3),
        "energy_delivered_share": ops["energy_delivered_share"],
        "queue_time_min": float(np.mean(waits)) if waits else None,
        "bill_usd": round(full.total_usd, 2),
        "energy_cost_usd": round(full.energy_usd, 2),
        "demand_cost_usd": round(full.demand_usd, 2),
        "charging_cost_usd": round(charging_cost, 2),
        "cost_per_km_usd": round(charging_cost / km, 4) if km > 0 else None,
        "exceptions": len(recovery),
        "exception_recovery_min": float(np.mean([r for r in recovery if r is not None]))
        if any(r is not None for r in recovery)
        else None,
        "forecast_soc_error": float((covered["soc"] - covered["planned_soc"]).mean()) if not covered.empty else None,
        "peak_kw": round(float(load["site_kw"].max()), 3),
        "limit_kw": world.depot.grid_limit_kw,
        "peak_share_of_limit": round(float(load["site_kw"].max()) / world.depot.grid_limit_kw, 4),
        "curtailed_kwh": round(float(load["curtailed_kw"].sum()) * 0.25, 3),
        "decisions": 0 if sim.controller is None else len(sim.controller.decisions),
        "alerts": 0 if sim.controller is None else len(sim.controller.alerts),
        "unready_departures_alerted": unready_alerted(sim)[1],
        "fallback_steps": 0
        if sim.controller is None
        else sum(len(r.decision.trace.fallbacks) for r in sim.controller.decisions),
        "cost_per_vehicle_usd": dict(sorted(per_vehicle.items())),
        "cost_per_trip_usd": _per_trip(dep, per_vehicle),
    }


def daily(sim: Simulation) -> pd.DataFrame:
    """The trend over days: per simulated day (from the first day's start) departures, readiness, missed trips,
    charging energy [kWh], its cost at the marginal price when drawn [$], the day's charging peak [kW], alerts
    raised, and forecast vs actual (mean planned and actual SOC at departure, mean minutes the actual ready time
    came before the departure)."""
    load = quarter_load(sim)
    tariff = billed_tariff(sim, load.index)
    step = timedelta(minutes=15)
    price = price_series(tariff, load.index[0], load.index[-1] + step, step).to_numpy()
    minutes = np.array([sim.world.minute(t) for t in load.index])
    day_of = (minutes // DAY_MIN).astype(int)
    dep = departures(sim)
    raised = [] if sim.controller is None else [sim.world.minute(a.raised_at) for a in sim.controller.alerts.values()]
    rows = []
    for day in range(sim.days):
        q = day_of == day
        kwh = load["charging_kw"].to_numpy()[q] * 0.25
        d = dep[dep["day"] == day] if not dep.empty else dep
        lead = [
            (r["departure"] - r["ready_at"]).total_seconds() / 60
            for r in d.to_dict("records")
            if r["ready_at"] is not None and not pd.isna(r["ready_at"])
        ]
        rows.append(
            {
                "day": day,
                "date": sim.world.at(day * DAY_MIN).astimezone(sim.world.zone).date().isoformat(),
                "departures": len(d),
                "readiness": float(d["ready"].mean()) if len(d) else None,
                "missed_trips": int(d["missed"].notna().sum()) if len(d) else 0,
                "charging_kwh": round(float(kwh.sum()), 3),
                "charging_energy_usd": round(float((kwh * price[q]).sum()), 2),
                "charging_peak_kw": round(float(load["charging_kw"].to_numpy()[q].max()), 3) if q.any() else 0.0,
                "alerts": sum(day * DAY_MIN <= m < (day + 1) * DAY_MIN for m in raised),
                "planned_soc_at_departure": float(d["planned_soc"].dropna().mean())
                if len(d) and d["planned_soc"].notna().any()
                else None,
                "actual_soc_at_departure": float(d["soc"].mean()) if len(d) else None,
                "ready_before_departure_min": float(np.mean(lead)) if lead else None,
            }
        )
    return pd.DataFrame(rows)


def dispatch_log(sim: Simulation) -> tuple[list[ActualSession], list[ActualDeparture]]:
    """What happened as a dispatch log (sessions from the chargers' transactions, departures with their SOC), for
    the shadow comparison (:mod:`engine.shadow`)."""
    end = sim.world.at(sim.days * DAY_MIN)
    sessions = [
        ActualSession(
            vehicle_id=r["vehicle_id"],
            charger_id=r["charger_id"],
            plug_in=r["started"],
            plug_out=r["stopped"] or end,
            energy_kwh=r["energy_kwh"],
        )
        for r in sim.world.log.transactions
        if r["vehicle_id"]
    ]
    deps = [
        ActualDeparture(vehicle_id=r["vehicle_id"], trip_id=r["trip_id"], departure=r["departure"], soc=r["soc"])
        for r in sim.world.log.departures
    ]
    return sessions, deps


def _recovery(sim: Simulation) -> list[float | None]:
    """Per exception, minutes until the first plan executed after it (None: none was)."""
    onsets = [e["minute"] for e in sim.world.log.exceptions]
    onsets += [max(0.0, s.known_min) for s in sim.spikes] + [a for a, _b, _s in sim.world.outages]
    onsets += [t.known_from for t in sim.trips if t.extra]
    runs = [] if sim.controller is None else [r.minute for r in sim.controller.executed]
    out: list[float | None] = []
    for onset in sorted(onsets):
        after = [m for m in runs if m >= onset]
        out.append(min(after) - onset if after else None)
    return out


def _per_trip(dep: pd.DataFrame, per_vehicle: dict[str, float]) -> dict[str, float]:
    """A vehicle's cost shared among its trips by the energy each used [$] (:func:`engine.kpis.cost_per_trip`)."""
    if dep.empty:
        return {}
    rows = zip(dep["trip_id"], dep["vehicle_id"].astype(str), dep["energy_needed_kwh"], strict=True)
    return cost_per_trip(per_vehicle, rows)
