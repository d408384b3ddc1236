"""Assign physical chargers to plug sessions after the solve (interval colouring per pool).

Sessions are sorted by (start, vehicle id); each takes the first charger of its pool that is free at its start,
in the pool's order: the most reliable first (``Charger.reliability``, which the service keeps from each charger's
history), then by id. With pool capacity respected by integral sessions this is optimal (interval graphs are perfect); a
session that finds no free charger is returned as a conflict so the caller can re-solve without it.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.schedule.pools import Pool


@dataclass(frozen=True)
class Session:
    """A vehicle plugged into pool ``pool`` from slot ``start`` to ``end`` (exclusive)."""

    vehicle_id: str
    pool: str
    start: int
    end: int


def assign_chargers(sessions: list[Session], pools: list[Pool]) -> tuple[dict[Session, str], list[Session]]:
    """Map each session to a charger id; also return the sessions that found none free."""
    chargers = {p.id: p.chargers for p in pools}
    free_at: dict[str, int] = {c: 0 for p in pools for c in p.chargers}
    assigned: dict[Session, str] = {}
    conflicts: list[Session] = []
    for s in sorted(sessions, key=lambda s: (s.start, s.vehicle_id, s.pool)):
        choice = next((c for c in chargers[s.pool] if free_at[c] <= s.start), None)
        if choice is None:
            conflicts.append(s)
            continue
        free_at[choice] = s.end
        assigned[s] = choice
    return assigned, conflicts
