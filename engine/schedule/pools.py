"""Charger pools: the usable chargers of a depot grouped so that every vehicle there sees the chargers of one pool
alike (same kind, plugs and power per vehicle). The scheduling model decides power per pool; physical chargers are
assigned afterwards (:mod:`engine.schedule.assign`)."""

from __future__ import annotations

from dataclasses import dataclass

from engine.domain import Charger, ChargerStatus, PlanningProblem, Vehicle

USABLE = (ChargerStatus.AVAILABLE, ChargerStatus.OCCUPIED, ChargerStatus.RESERVED)


@dataclass(frozen=True)
class Pool:
    """Identical usable chargers at one depot."""

    id: str  # e.g. "lax-1/AC-19.2kW"
    depot_id: str
    kind: str
    max_kw: float
    chargers: tuple[str, ...]
    connectors: frozenset[str]
    min_kw: float = 0.0  # lowest power its chargers deliver while charging [kW] (0: any)
    availability: float = 1.0  # share of its power plans count on (the site's availability) [-]


def unavailable_chargers(problem: PlanningProblem) -> list[str]:
    """Ids of the problem's chargers out of service (faulted or offline): the plan cannot use them."""
    return [c.id for c in problem.chargers if c.status not in USABLE]


def _effective_kw(v: Vehicle, kind: str, rated_kw: float, connectors: frozenset[str]) -> float:
    """Grid-side power a vehicle can draw from a charger [kW]: 0 if it cannot plug in."""
    if not connectors & {c.value for c in v.connectors}:
        return 0.0
    return min(rated_kw, v.max_dc_kw if kind == "DC" else v.max_ac_kw)


def charger_pools(problem: PlanningProblem, named: frozenset[str] = frozenset()) -> list[Pool]:
    """Usable chargers grouped into pools, in deterministic order. A pool holds the chargers of one depot and
    kind that every vehicle of the depot sees alike: it can plug into all of them or none, at the same power
    (an 11 kW van draws 11 kW from an 11 kW and from a 19.2 kW charger, so for a fleet of such vans the two
    ratings are one pool). Chargers that differ for any vehicle stay in separate pools. Fewer, larger pools
    keep the model's occupancy rows from offering the solver interchangeable copies of the same choice
    (measured: 1,000 vans on 500 chargers of two AC ratings, LP 6.5 s as two pools, 0.9 s as one).
    Chargers identical to one a policy rule names (``named``: charger ids) keep their own pool of identical
    chargers, so a rule on a charger means that charger's kind and rating, as before the merge. A charger a
    dispatcher's pin names (``problem.pins``) is a pool of its own, so the plan assigns that very charger."""
    availability = {d.id: d.availability for d in problem.depots}
    at_depot: dict[str, list[Vehicle]] = {}
    for v in sorted(problem.vehicles, key=lambda v: v.id):
        at_depot.setdefault(v.depot_id, []).append(v)
    named_kinds: dict[tuple[str, str], set[tuple]] = {}
    for c in problem.chargers:
        if c.id in named:
            key = (c.max_kw, tuple(sorted(x.value for x in c.connectors)))
            named_kinds.setdefault((c.depot_id, c.kind.value), set()).add(key)
    pinned = {pin.charger_id for pin in problem.pins if pin.charger_id is not None}
    groups: dict[tuple, list[Charger]] = {}
    signatures: dict[tuple, tuple] = {}  # (depot, kind, rating, connectors) -> what each vehicle draws from it
    for c in sorted(problem.chargers, key=lambda c: c.id):
        if c.status in USABLE:
            conns = frozenset(x.value for x in c.connectors)
            exact = (c.max_kw, tuple(sorted(conns)))
            if c.id in pinned:  # a dispatcher's pin names this very charger: a pool of its own
                seen: tuple = ("pinned", c.id)
            elif exact in named_kinds.get((c.depot_id, c.kind.value), set()):
                seen = ("named", exact)
            else:
                key = (c.depot_id, c.kind.value, *exact)
                if key not in signatures:  # chargers alike in these four are seen alike: compute once
                    signatures[key] = tuple(
                        _effective_kw(v, c.kind.value, c.max_kw, conns) for v in at_depot.get(c.depot_id, [])
                    )
                seen = signatures[key]
            groups.setdefault((c.depot_id, c.kind.value, c.min_kw, seen), []).append(c)
    pools = []
    for (depot, kind, low, seen), members in groups.items():
        kws = sorted({c.max_kw for c in members})
        conns = frozenset().union(*(frozenset(x.value for x in c.connectors) for c in members))
        pools.append((depot, kind, kws, conns, members, low, seen[:1] == ("pinned",)))
    pools.sort(key=lambda p: (p[0], p[1], p[2], sorted(p[3]), p[4][0].id))
    out = []
    for depot, kind, kws, conns, members, low, alone in pools:
        rating = "+".join(f"{kw:g}" for kw in kws)
        pid = f"{depot}/{kind}-{rating}kW" + ("" if len(pools) < 2 else f"-{'+'.join(sorted(conns))}")
        pid += f"-min{low:g}kW" if low > 0 else ""
        pid += f"-{members[0].id}" if alone else ""
        ranked = tuple(c.id for c in sorted(members, key=lambda c: (-c.reliability, c.id)))  # most reliable first
        out.append(Pool(pid, depot, kind, kws[0], ranked, conns, low, availability[depot]))
    return out
