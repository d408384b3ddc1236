"""Vehicle-to-trip assignment at fleet scale: each vehicle's energy at its candidate departures, without slots.

The joint model (:mod:`engine.schedule.trip_cover`) is exact but its relaxation is a fractional fleet over every
slot: measured on the generated depot of ``bench/contention_depots.py``, 10 vans and 11 trips (85 binaries) take
9 s to optimality, the LP alone of 50 vans takes 8 s and of 100 vans 72 s. Above a size this model chooses
instead, and the charging plan follows with the choice pinned. Per vehicle v, charging at the rate
``R_v`` [kWh/h] its depot can expect to give it (:func:`engine.schedule.trip_cover.charge_rate_kwh_per_h`), at
the depot ``h_v(b)`` [h] before boundary b (its own availability and pinned trips counted), with candidate trips
k (departure d_k, back r_k, target T_k, use U_k) and binaries ``x[v,k]``:

    a[v,k] <= E_max(v)                                                      (bound)
    a[v,k] <= E0(v) + R_v h_v(d_k) - U(pinned before d_k)
              - sum_{j: r_j <= d_k} (U_j + R_v (h_v(r_j) - h_v(d_j))) x[v,j]  chain_energy:<vehicle>:<trip>
    a[v,k] <= E_max(v) - U_j x[v,j] + R_v (h_v(d_k) - h_v(r_j))   (j earlier, full before it)
                                                                            chain_full:<vehicle>:<trip>:<j>
    short[v,k] >= T_k x[v,k] - a[v,k] - B_v (1 - x[v,k])                    chain_short:<vehicle>:<trip>

``a`` may go below 0 (earlier trips that already lacked energy; ``-B_v`` with B_v the vehicle's uses in all), so
a shortfall early is also counted in a later trip's; ``B_v`` frees the row of a trip the vehicle does not take.

with ``trip_cover``, ``vehicle_busy`` and ``shift_together`` as in the joint model; objective
``sum s_k short[v,k] + sum o_vk x[v,k] + sum uncovered cost`` (``o_vk`` the pairing's cost off the depot: a
routed trip's stops). It knows each vehicle's charging time and battery, not the site's
limit slot by slot or the tariff: those shape the plan that follows.
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from engine.optim.linear import linear
from engine.schedule.inputs import ScheduleInputs
from engine.schedule.trip_cover import CoverSets, add_cover_rows, charge_rate_kwh_per_h


def chain_model(x: ScheduleInputs, sets: CoverSets) -> pyo.ConcreteModel:
    """The model of the module docstring over ``x``'s candidates."""
    rate = charge_rate_kwh_per_h(x)
    m = pyo.ConcreteModel(name=f"fleetcharge-assignment:{x.problem.id}")
    m.Y = pyo.Set(dimen=2, ordered=True, initialize=list(sets.cand))
    m.x = pyo.Var(m.Y, within=pyo.Binary)
    m.a = pyo.Var(m.Y)
    m.short = pyo.Var(m.Y, within=pyo.NonNegativeReals)
    m.U = pyo.Set(ordered=True, initialize=sorted(sets.takers))
    m.unserved = pyo.Var(m.U, bounds=(0.0, 1.0))
    add_cover_rows(m, sets, m.x, m.unserved)
    energy_rows, full_rows, deficit = {}, {}, {}
    for vi in x.vehicles:
        v = vi.vehicle.id
        if not vi.candidates:
            continue
        at = np.zeros(x.n_slots + 2)
        at[np.asarray(vi.charge_slots, dtype=int) + 1] = x.dt_h
        hours = np.cumsum(at)  # hours[b] = time at the depot before boundary b [h]
        r = rate[v]
        deficit[v] = sum(c.use_kwh for c in vi.candidates) + sum(d.use_kwh for d in vi.departures)
        for c in vi.candidates:
            k = c.trip.id
            m.a[v, k].setlb(-deficit[v])
            m.a[v, k].setub(vi.e_max_kwh)
            pinned = sum(d.use_kwh for d in vi.departures if d.slot < c.slot)
            earlier = [j for j in vi.candidates if j.return_slot <= c.slot]
            energy_rows[v, k] = (
                vi.e0_kwh + r * hours[c.slot] - pinned,
                [(j.use_kwh + r * (hours[j.return_slot] - hours[j.slot]), j.trip.id) for j in earlier],
            )
            for j in earlier:
                if j.use_kwh > r * (hours[c.slot] - hours[j.return_slot]):  # otherwise recharged to full by d_k
                    full_rows[v, k, j.trip.id] = vi.e_max_kwh + r * (hours[c.slot] - hours[j.return_slot])
    m.chain_energy = pyo.Constraint(
        list(energy_rows),
        rule=lambda _m, v, k: (
            m.a[v, k] + linear([]) + sum(w * m.x[v, j] for w, j in energy_rows[v, k][1]) <= energy_rows[v, k][0]
        ),
    )
    use = {key: c.use_kwh for key, c in sets.cand.items()}
    m.chain_full = pyo.Constraint(
        list(full_rows), rule=lambda _m, v, k, j: m.a[v, k] + use[v, j] * m.x[v, j] <= full_rows[v, k, j]
    )
    m.chain_short = pyo.Constraint(
        list(sets.cand),
        rule=lambda _m, v, k: (
            m.short[v, k] + m.a[v, k] >= sets.cand[v, k].target_kwh * m.x[v, k] - deficit[v] * (1 - m.x[v, k])
        ),
    )
    m.objective = pyo.Objective(
        expr=sum(c.penalty_usd_per_kwh * m.short[key] for key, c in sets.cand.items())
        + sum(c.pairing_usd * m.x[key] for key, c in sets.cand.items() if c.pairing_usd)
        + sum(sets.whole_usd(k) * m.unserved[k] for k in m.U),
        sense=pyo.minimize,
    )
    return m
