"""Which vehicle covers each unpinned trip, chosen inside the charging model (vehicle-to-trip assignment).

A trip whose ``vehicle_id`` is empty is *unpinned*. For each unpinned trip k and each candidate vehicle v (see
:func:`add_candidates`) a binary ``y[v,k]`` says v takes k; the trip leaves at boundary d_k, is back at r_k and
needs target T_k [kWh] (the same target a pinned trip of v would have) and uses U_k [kWh]:

    sum_v y[v,k] + unserved[k] = 1                                          trip_cover:<trip>
    sum_{j of v, d_j <= d_k < r_j + turn} y[v,j] <= 1                        vehicle_busy:<vehicle>:<trip>
    sum_g p[v,g,t] <= max_g P(v,g) * (1 - sum_{k out during t} y[v,k])   on_trip:<vehicle>:<slot>
    e[v,d_k] + cshort[v,k] >= T_k y[v,k]                                    trip_target:<vehicle>:<trip>
    cshort[v,k] <= T_k y[v,k]                                               trip_short:<vehicle>:<trip>
    clack[v,k] + cfree[v,k] <= cshort[v,k]                                  candidate_lack:<vehicle>:<trip>
    cfree[v,k] <= U_k (1 - y[v,j])  (j a later candidate of v)             free_lack:<vehicle>:<trip>:<j>
    lfree[v,k] <= U_k (1 - y[v,j])  (k a pinned departure, j as above)     free_lack:<vehicle>:<k>:<j>
    y[v,k] = y[v,j]   (k, j unpinned trips of one shift, j its first)       shift_together:<shift>:<vehicle>:<trip>

and in the energy balance (:mod:`engine.schedule.energy`) the interval holding d_k loses ``U_k y[v,k] -
clack[v,k] - cfree[v,k]``, the energy the trip itself lacks, as ``lack`` and ``lfree`` for pinned trips: paid
(``clack``, at the highest penalty, :attr:`ScheduleInputs.lack_usd_per_kwh`) when the vehicle leaves again, free
(``cfree``, only without a later pinned departure and while no later candidate is taken) when it does not, exactly
as the plan with the assignment pinned prices it. The objective adds ``s_k cshort[v,k]`` (the trip priority's
shortfall rate [$/kWh]), the paid lack, ``o_vk y[v,k]`` (what the pairing costs off the depot [$]: a routed
trip's charging stops for that vehicle's battery, :class:`CoverRules`) and ``2 s_k T_k unserved[k]``: a trip nobody takes costs twice its whole target short, so it is always covered when a
vehicle is free for it. Overlap (``vehicle_busy``) is written at each candidate's departure: the trips a vehicle
could be on at that moment form a clique of the interval graph, so one row per start covers every overlap.
Pinned trips stay as they are; a candidate must fit between them with the turnaround either side.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta

import pyomo.environ as pyo

from engine.domain import Trip
from engine.optim.linear import linear
from engine.schedule.inputs import Departure, ScheduleInputs, VehicleInputs, slot_ceil, slot_floor, trip_departure

UNSERVED_FACTOR = 2.0  # an uncovered trip costs this many times its whole target's shortfall [-]


@dataclass(frozen=True)
class CoverRules:
    """How candidates are chosen: least time at the depot between two trips of a vehicle, the most vehicles
    considered per trip (those holding the most energy now first), trips that must share a vehicle (shift id ->
    trip ids)."""

    turnaround: timedelta = timedelta(minutes=15)
    max_candidates: int = 24
    together: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # (trip id, vehicle id) -> the trip as that vehicle would drive it (a routed trip's energy for its battery),
    # and the pairs it cannot drive at all, with why (engine.decision.routes.route_pairings)
    energy_for: Mapping[tuple[str, str], Trip] = field(default_factory=dict)
    refused: Mapping[tuple[str, str], str] = field(default_factory=dict)
    pairing_usd: Mapping[tuple[str, str], float] = field(default_factory=dict)  # off-depot cost of a pairing [$]


@dataclass
class TripOptions:
    """One unpinned trip: its candidate vehicles and, for the others at its depot, why each is not one."""

    trip: Trip
    candidates: list[str]
    excluded: dict[str, list[str]]  # reason -> vehicle ids
    note: str = ""  # why the trip is not planned at all (departed, after the horizon)


def _busy(vi: VehicleInputs, trip: Trip, turn: timedelta) -> bool:
    """Whether ``trip`` collides with one of the vehicle's pinned trips, with ``turn`` between them."""
    return any(
        d.trip.departure - turn < trip.return_time and trip.departure < d.trip.return_time + turn for d in vi.departures
    )


def charge_rate_kwh_per_h(x: ScheduleInputs) -> dict[str, float]:
    """Vehicle -> the rate its battery can expect to gain at its home depot [kWh/h]: efficiency times its fastest
    charger there, times the depot's share ``min(1, (grid limit - mean building load) / sum of the vehicles'
    powers, plugs / vehicles)`` (a uniform estimate of what the site and the plugs leave each vehicle)."""
    out: dict[str, float] = {}
    for d, di in x.depots.items():
        here = [vi for vi in x.vehicles if vi.vehicle.depot_id == d]
        top = {vi.vehicle.id: max(vi.pool_kw.values(), default=0.0) for vi in here}
        total = sum(top.values())
        plugs = sum(len(p.chargers) for p in x.pools if p.depot_id == d)
        headroom = di.grid_limit_kw - float(di.building_kw.mean() - di.pv_kw.mean())
        share = min(1.0, max(0.0, headroom) / total if total else 1.0, plugs / len(here) if here else 1.0)
        out |= {vi.vehicle.id: vi.vehicle.charge_efficiency * top[vi.vehicle.id] * share for vi in here}
    return out


def reachable_kwh(vi: VehicleInputs, slot: int, rate: float, dt_h: float) -> float:
    """Energy the vehicle can hold at boundary ``slot`` charging at ``rate`` [kWh/h] whenever it is at the depot
    before it, with no other trip [kWh]."""
    return min(vi.e_max_kwh, vi.e0_kwh + rate * dt_h * sum(1 for t in vi.charge_slots if t < slot))


def add_candidates(x: ScheduleInputs, trips: Iterable[Trip], rules: CoverRules) -> list[TripOptions]:
    """Attach each unpinned trip to its candidate vehicles' ``candidates`` and return the options per trip.
    A vehicle is a candidate when it is based at the trip's depot, its class is allowed, it has no terminal
    layover among its pinned trips, it is at the depot for every slot of the trip (available by then, not on a
    pinned trip within the turnaround) and it is among the ``max_candidates`` first of: vehicles that can reach
    the trip's target (:func:`reachable_kwh` at :func:`charge_rate_kwh_per_h`) before those that cannot, then
    those candidates of the fewest trips so far (trips taken in departure order), then the least spare (or
    missing) energy: so a fleet of alike vehicles is spread over the trips and every trip keeps a partner.
    A trip that departed before now or leaves after the horizon gets no candidates and a note."""
    dt = x.problem.slot
    now, T = x.problem.now, x.n_slots
    x.turnaround, x.shift_trips = rules.turnaround, dict(rules.together)
    rate = charge_rate_kwh_per_h(x)
    picks: dict[str, int] = {}  # vehicle -> trips it is a candidate of so far
    out = []
    for trip in sorted(trips, key=lambda t: (t.departure, t.id)):
        d = slot_floor(now, trip.departure, dt)
        if d < 0 or d > T:
            when = "departed before now" if d < 0 else "leaves after the horizon: assigned by a later plan"
            out.append(TripOptions(trip, [], {}, when))
            continue
        r = max(d + 1, slot_ceil(now, trip.return_time, dt))
        excluded: dict[str, list[str]] = {}
        fit: list[VehicleInputs] = []
        for vi in x.vehicles:
            v = vi.vehicle
            if v.depot_id != trip.depot_id:
                continue
            at_depot = set(vi.charge_slots)
            if trip.vehicle_classes and v.vehicle_class not in trip.vehicle_classes:
                why = f"class {v.vehicle_class} not allowed"
            elif vi.blocked and any(dep.trip.to_site for dep in vi.departures):
                why = "keeps its pinned terminal layovers"
            elif (trip.id, v.id) in rules.refused:
                why = rules.refused[trip.id, v.id]
            elif _busy(vi, trip, rules.turnaround):
                why = "on a pinned trip (turnaround included)"
            elif not all(t in at_depot for t in range(d, min(r, T))) or (d == T and T - 1 not in at_depot):
                why = "not at the depot for the whole trip"
            else:
                fit.append(vi)
                continue
            excluded.setdefault(why, []).append(v.id)
        drives = {vi.vehicle.id: rules.energy_for.get((trip.id, vi.vehicle.id), trip) for vi in fit}
        need = {
            vi.vehicle.id: trip_departure(
                drives[vi.vehicle.id], d, r, vi.vehicle.battery_kwh, vi.e_max_kwh, x.weights
            ).target_kwh
            - reachable_kwh(vi, d, rate[vi.vehicle.id], x.dt_h)
            for vi in fit
        }
        fit.sort(
            key=lambda vi: (
                need[vi.vehicle.id] > 0,
                picks.get(vi.vehicle.id, 0),
                abs(need[vi.vehicle.id]),
                vi.vehicle.id,
            )
        )
        if len(fit) > rules.max_candidates:
            excluded[f"beyond the {rules.max_candidates} best fits by reachable energy"] = sorted(
                vi.vehicle.id for vi in fit[rules.max_candidates :]
            )
            fit = fit[: rules.max_candidates]
        for vi in fit:
            picks[vi.vehicle.id] = picks.get(vi.vehicle.id, 0) + 1
            own = trip_departure(drives[vi.vehicle.id], d, min(r, T), vi.vehicle.battery_kwh, vi.e_max_kwh, x.weights)
            extra = rules.pairing_usd.get((trip.id, vi.vehicle.id), 0.0)
            vi.candidates.append(replace(own, pairing_usd=extra) if extra else own)
        out.append(TripOptions(trip, sorted(vi.vehicle.id for vi in fit), excluded))
    return out


def add_cover_variables(m: pyo.ConcreteModel, x: ScheduleInputs) -> None:
    """Binaries ``y[v,k]``, shortfalls ``cshort[v,k] >= 0`` and ``unserved[k] in [0, 1]`` over the candidates."""
    pairs = [(vi.vehicle.id, c.trip.id) for vi in x.vehicles for c in vi.candidates]
    m.Y = pyo.Set(dimen=2, ordered=True, initialize=pairs)
    m.y = pyo.Var(m.Y, within=pyo.Binary)
    m.cshort = pyo.Var(m.Y, within=pyo.NonNegativeReals)
    m.clack = pyo.Var(m.Y, within=pyo.NonNegativeReals)
    m.cfree = pyo.Var(
        [(vi.vehicle.id, c.trip.id) for vi in x.vehicles for c in vi.candidates if not vi.departs_again(c.slot, False)],
        within=pyo.NonNegativeReals,
    )
    m.U = pyo.Set(ordered=True, initialize=sorted({k for _v, k in pairs}))
    m.unserved = pyo.Var(m.U, bounds=(0.0, 1.0))


def candidate_energy(m: pyo.ConcreteModel, vi: VehicleInputs, a: int, b: int):
    """What taking candidate trips leaving in ``[a, b)`` removes from vehicle ``vi``'s battery:
    ``sum_k U_k y[v,k] - clack[v,k]`` [kWh] (0 without candidates)."""
    v = vi.vehicle.id
    leaving = [c for c in vi.candidates if a <= c.slot < b]
    if not leaving:
        return 0.0
    free = dict(m.cfree.items())
    return sum(c.use_kwh * m.y[v, c.trip.id] - m.clack[v, c.trip.id] - free.get((v, c.trip.id), 0.0) for c in leaving)


@dataclass
class CoverSets:
    """Index sets shared by the assignment models: candidates, who may take each trip, the overlapping candidates
    of a vehicle at each candidate's departure, and the shift pairs that must share a vehicle."""

    cand: dict[tuple[str, str], Departure]  # (vehicle, trip) -> the trip as that vehicle's departure
    takers: dict[str, list[str]]  # trip -> candidate vehicles
    busy: dict[tuple[str, str], list[str]]  # (vehicle, trip) -> its candidates out at that trip's departure
    first_of: dict[tuple[str, str, str], str]  # (shift, vehicle, trip) -> the shift's first open trip

    def whole_usd(self, trip: str) -> float:
        """What trip ``trip`` uncovered costs [$]: twice its largest target at its priority's penalty."""
        vs = self.takers[trip]
        return (
            UNSERVED_FACTOR
            * max(self.cand[v, trip].target_kwh for v in vs)
            * self.cand[vs[0], trip].penalty_usd_per_kwh
        )


def cover_sets(x: ScheduleInputs) -> CoverSets:
    """The :class:`CoverSets` of ``x``'s candidates (turnaround and shifts from ``x``)."""
    cand = {(vi.vehicle.id, c.trip.id): c for vi in x.vehicles for c in vi.candidates}
    takers: dict[str, list[str]] = {}
    for v, k in cand:
        takers.setdefault(k, []).append(v)
    busy: dict[tuple[str, str], list[str]] = {}
    for vi in x.vehicles:
        for c in vi.candidates:
            out = [
                o.trip.id
                for o in vi.candidates
                if o.trip.departure <= c.trip.departure < o.trip.return_time + x.turnaround
            ]
            if len(out) > 1:
                busy[vi.vehicle.id, c.trip.id] = out
    first_of: dict[tuple[str, str, str], str] = {}
    for shift, trip_ids in sorted(x.shift_trips.items()):
        open_ids = [k for k in trip_ids if k in takers]
        for k in open_ids[1:]:
            for v in sorted(set(takers[open_ids[0]]) | set(takers[k])):
                first_of[shift, v, k] = open_ids[0]
    return CoverSets(cand, takers, busy, first_of)


def add_cover_rows(m: pyo.ConcreteModel, sets: CoverSets, y, unserved) -> None:
    """``trip_cover``, ``vehicle_busy`` and ``shift_together`` rows on binaries ``y[v,k]`` (module docstring)."""
    takers = sets.takers
    m.trip_cover = pyo.Constraint(
        sorted(takers), rule=lambda _m, k: linear([y[v, k] for v in takers[k]]) + unserved[k] == 1
    )
    m.vehicle_busy = pyo.Constraint(
        list(sets.busy), rule=lambda _m, v, k: linear([y[v, j] for j in sets.busy[v, k]]) <= 1
    )

    def pair(v: str, k: str):
        return y[v, k] if (v, k) in sets.cand else 0.0

    m.shift_together = pyo.Constraint(
        list(sets.first_of), rule=lambda _m, s, v, k: pair(v, k) == pair(v, sets.first_of[s, v, k])
    )


def add_trip_cover(m: pyo.ConcreteModel, x: ScheduleInputs) -> None:
    """The rows of the module docstring and the Expression ``cost_cover`` [$] (0 without candidates)."""
    info = {vi.vehicle.id: vi for vi in x.vehicles}
    sets = cover_sets(x)
    cand, takers = sets.cand, sets.takers
    add_cover_rows(m, sets, m.y, m.unserved)
    power: dict[tuple[str, int], list] = {}
    for (v, _g, t), p in m.p.items():
        power.setdefault((v, t), []).append(p)

    covering: dict[tuple[str, int], list[str]] = {}  # (vehicle, slot) -> candidate trips out during the slot
    for (v, k), c in cand.items():
        for t in range(c.slot, c.return_slot):
            if (v, t) in power:
                covering.setdefault((v, t), []).append(k)

    def on_trip(_m: pyo.ConcreteModel, v: str, t: int):
        ps = power[v, t]
        return linear(ps) <= max(p.ub for p in ps) * (1 - linear([m.y[v, k] for k in covering[v, t]]))

    m.on_trip = pyo.Constraint(sorted(covering), rule=on_trip)
    m.trip_target = pyo.Constraint(
        list(cand), rule=lambda _m, v, k: m.e[v, cand[v, k].slot] + m.cshort[v, k] >= cand[v, k].target_kwh * m.y[v, k]
    )
    m.trip_short = pyo.Constraint(list(cand), rule=lambda _m, v, k: m.cshort[v, k] <= cand[v, k].target_kwh * m.y[v, k])
    free = dict(m.cfree.items())
    m.candidate_lack = pyo.Constraint(
        list(cand),
        rule=lambda _m, v, k: m.clack[v, k] + free.get((v, k), 0.0) <= m.cshort[v, k],
    )
    rows = []  # (vehicle, trip or departure index, later candidate): the free lack ends once a later trip is taken
    for v, vi in info.items():
        for c in vi.candidates:
            if (v, c.trip.id) in free:
                rows += [(v, c.trip.id, j.trip.id) for j in vi.candidates if j.slot > c.slot]
        for k, d in enumerate(vi.departures):
            if (v, k) in m.KF:
                rows += [(v, k, j.trip.id) for j in vi.candidates if j.slot > d.slot]
    uses = {(v, k): c.use_kwh for (v, k), c in cand.items()}
    uses |= {(vi.vehicle.id, k): d.use_kwh for vi in x.vehicles for k, d in enumerate(vi.departures)}

    def free_lack(_m: pyo.ConcreteModel, v: str, k: str | int, j: str):
        var = m.lfree[v, k] if isinstance(k, int) else free[v, k]
        return var <= uses[v, k] * (1 - m.y[v, j])

    m.free_lack = pyo.Constraint(rows, rule=free_lack)
    paid = x.lack_usd_per_kwh
    m.cost_unserved = pyo.Expression(expr=linear([]) + sum(sets.whole_usd(k) * m.unserved[k] for k in sorted(takers)))
    m.cost_cover = pyo.Expression(
        expr=m.cost_unserved
        + sum(cand[v, k].penalty_usd_per_kwh * m.cshort[v, k] + paid * m.clack[v, k] for v, k in cand)
        + sum(cand[v, k].pairing_usd * m.y[v, k] for v, k in cand if cand[v, k].pairing_usd)
    )
