"""Schneider, Stenger & Goeke (2014) E-VRPTW instances (text format) and the evaluation of a route on them.

A route (``D0 ... D0``, stations ``S..`` where the vehicle recharges) is driven at speed ``v`` over Euclidean
distances (not rounded), using ``r`` energy per unit of distance, recharging at ``g`` time units per unit of
energy, serving each customer ``ServiceTime`` starting inside ``[ReadyTime, DueDate]`` (waiting allowed) with at
most ``C`` load, from a full battery. Recharging is partial: the recharge amounts are the least that keep every
window, an LP (:func:`_schedule`), because charging where the vehicle would wait anyway can spare a tight stop
later ("just enough to the next station" at every station is not always feasible when the route is).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import pyomo.environ as pyo

from engine.errors import InputError, Problem
from engine.optim.handover import HighsLP


@dataclass(frozen=True)
class Site:
    """A location of the instance."""

    id: str
    kind: str  # d | f | c
    x: float
    y: float
    demand: float
    ready: float
    due: float
    service: float


@dataclass(frozen=True)
class Instance:
    """An E-VRPTW instance: sites by id and the vehicle's parameters."""

    sites: dict[str, Site]
    battery: float  # Q
    capacity: float  # C
    consumption: float  # r, energy per distance
    recharge_time: float  # g, time per energy
    speed: float  # v

    def distance(self, a: str, b: str) -> float:
        sa, sb = self.sites[a], self.sites[b]
        return math.hypot(sa.x - sb.x, sa.y - sb.y)


@dataclass
class Evaluation:
    """A route as driven: its distance, charging and whether it holds, else why not."""

    distance: float = 0.0
    duration: float = 0.0
    charged: float = 0.0
    feasible: bool = True
    reasons: list[str] = field(default_factory=list)


def read_schneider(path: str | Path) -> Instance:
    """The text format of ``README_format.txt``: a table of sites, then ``Q``, ``C``, ``r``, ``g``, ``v`` lines."""
    p = Path(path)
    sites: dict[str, Site] = {}
    params: dict[str, float] = {}
    for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1):
        parts = line.split()
        if not parts or parts[0] == "StringID":
            continue
        if "/" in line:
            key = parts[0]
            try:
                params[key] = float(line.split("/")[1])
            except (IndexError, ValueError):
                raise InputError([Problem(f"cannot read the value of {key!r}", key, str(p), n)]) from None
            continue
        try:
            sid, kind, *nums = parts
            x, y, demand, ready, due, service = (float(v) for v in nums)
        except ValueError:
            raise InputError(
                [Problem("expected StringID Type x y demand ReadyTime DueDate ServiceTime", "", str(p), n)]
            ) from None
        sites[sid] = Site(sid, kind, x, y, demand, ready, due, service)
    missing = [k for k in ("Q", "C", "r", "g", "v") if k not in params]
    if missing:
        raise InputError([Problem(f"missing vehicle parameters {missing}", "", str(p))])
    return Instance(sites, params["Q"], params["C"], params["r"], params["g"], params["v"])


def evaluate(inst: Instance, route: list[str], tol: float = 1e-6) -> Evaluation:
    """Drive ``route`` with the least recharging that keeps every time window (module doc); every broken
    constraint is a reason naming the stop."""
    out = Evaluation()
    unknown = [s for s in route if s not in inst.sites]
    if unknown:
        out.feasible, out.reasons = False, [f"unknown sites {unknown}"]
        return out
    load = sum(inst.sites[s].demand for s in route)
    if load > inst.capacity + tol:
        out.reasons.append(f"load {load:g} over the capacity {inst.capacity:g}")
    legs = [inst.distance(route[k - 1], route[k]) for k in range(1, len(route))]
    out.distance = sum(legs)
    out.reasons += _energy_reasons(inst, route, legs, tol)
    if out.reasons:
        out.feasible = False
        return out
    m = _schedule(inst, route, legs)
    HighsLP(m).solve()
    late = [(k, pyo.value(m.late[k])) for k in m.late if pyo.value(m.late[k]) > tol]
    for k, hours in late:
        site = inst.sites[route[k]]
        out.reasons.append(f"{site.id}: arrives at least {hours:.3f} after its due date {site.due:g}")
    out.charged = float(sum(pyo.value(m.charge[k]) for k in m.charge))
    out.duration = float(pyo.value(m.start[len(route) - 1]))
    out.feasible = not out.reasons
    return out


def _energy_reasons(inst: Instance, route: list[str], legs: list[float], tol: float) -> list[str]:
    """Stretches between charging points that need more than a full battery."""
    reasons, need, since = [], 0.0, route[0]
    for k in range(1, len(route)):
        need += inst.consumption * legs[k - 1]
        if inst.sites[route[k]].kind in ("f", "d") or k == len(route) - 1:
            if need > inst.battery + tol:
                reasons.append(
                    f"{since} to {route[k]}: needs {need:.3f} energy, {need - inst.battery:.3f} more than a full battery"
                )
            need, since = 0.0, route[k]
    return reasons


def _schedule(inst: Instance, route: list[str], legs: list[float]) -> pyo.ConcreteModel:
    """The LP: arrival ``t``, service start ``start``, energy on arrival ``e`` and recharge ``charge`` per stop;
    ``late`` is how far a stop's start passes its due date (0 when the route is feasible).

        t_0 = 0, e_0 = Q;   t_k = start_{k-1} + service_{k-1} + g charge_{k-1} + d_k / v
        start_k >= t_k, start_k >= ready_k, start_k <= due_k + late_k
        e_k = e_{k-1} + charge_{k-1} - r d_k >= 0,  e_k + charge_k <= Q,  charge_k = 0 unless k is a station
        minimise 1e6 sum late + sum charge
    """
    n = len(route)
    sites = [inst.sites[s] for s in route]
    m = pyo.ConcreteModel(name="evrptw_route")
    m.t = pyo.Var(range(n), bounds=(0, None))
    m.start = pyo.Var(range(n), bounds=(0, None))
    m.e = pyo.Var(range(n), bounds=(0, inst.battery))
    m.charge = pyo.Var(range(n), bounds=lambda _m, k: (0, inst.battery if sites[k].kind == "f" else 0))
    m.late = pyo.Var(range(n), bounds=(0, None))
    m.t[0].fix(0.0)
    m.e[0].fix(inst.battery)
    m.drive = pyo.Constraint(
        range(1, n),
        rule=lambda m, k: (
            m.t[k]
            == m.start[k - 1] + sites[k - 1].service + inst.recharge_time * m.charge[k - 1] + legs[k - 1] / inst.speed
        ),
    )
    m.after_arrival = pyo.Constraint(range(n), rule=lambda m, k: m.start[k] >= m.t[k])
    m.after_ready = pyo.Constraint(range(n), rule=lambda m, k: m.start[k] >= sites[k].ready)
    m.before_due = pyo.Constraint(range(n), rule=lambda m, k: m.start[k] <= sites[k].due + m.late[k])
    m.energy = pyo.Constraint(
        range(1, n), rule=lambda m, k: m.e[k] == m.e[k - 1] + m.charge[k - 1] - inst.consumption * legs[k - 1]
    )
    m.battery = pyo.Constraint(range(n), rule=lambda m, k: m.e[k] + m.charge[k] <= inst.battery)
    m.objective = pyo.Objective(expr=1e6 * sum(m.late[k] for k in range(n)) + sum(m.charge[k] for k in range(n)))
    return m


def split_routes(configuration: str) -> list[list[str]]:
    """The best-known-solution format ``D0;...;D0;D0;...;D0`` as routes."""
    routes, current = [], []
    for sid in configuration.split(";"):
        current.append(sid)
        if sid.startswith("D") and len(current) > 1:
            routes.append(current)
            current = []
    return routes
