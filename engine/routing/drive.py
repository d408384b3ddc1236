"""A route driven with its charging stops: where the vehicle is, when, with how much energy (the check of every
solver's answer and the chart of the route planner)."""

from __future__ import annotations

import pandas as pd

from engine.routing.fixed_route import ChargeStop, FixedRoute


def drive(p: FixedRoute, stops: list[ChargeStop]) -> pd.DataFrame:
    """One row per event: ``hours`` since the start [h], ``energy`` [energy unit], ``node`` and ``kind`` (start,
    arrive at a route node, arrive at a station, charged, wait for a node's window to open, leave a route node).
    Each stop charges up to its ``depart`` (nothing when the vehicle already holds that)."""
    r, E, T = p.route, p.energy, p.time_h
    stations = {s.node: s for s in p.stations}
    q, hours = min(p.q_init, p.q_max), 0.0
    rows = [(0.0, q, r[0], "start")]
    for g in range(len(r) - 1):
        at = r[g]
        for stop in (s for s in stops if s.after == g):
            q -= E[at][stop.station]
            hours += T[at][stop.station]
            rows.append((hours, q, stop.station, "station"))
            st = stations[stop.station]
            up = max(q, stop.depart)
            hours += st.function.hours(up) - st.function.hours(q) + st.process_h
            q, at = up, stop.station
            rows.append((hours, q, stop.station, "charged"))
        q -= E[at][r[g + 1]]
        hours += T[at][r[g + 1]]
        rows.append((hours, q, r[g + 1], "arrive"))
        window = p.window(r[g + 1])
        if window is not None and hours < window[0]:
            hours = window[0]
            rows.append((hours, q, r[g + 1], "wait"))
        hours += p.process_h[r[g + 1]]
        if g + 2 < len(r):
            rows.append((hours, q, r[g + 1], "leave"))
    return pd.DataFrame(rows, columns=["hours", "energy", "node", "kind"])


def missed_windows(p: FixedRoute, stops: list[ChargeStop]) -> list[str]:
    """Each route node the route driven with ``stops`` reaches after its window closes, said in words."""
    events = drive(p, stops)
    out = []
    for row in events[events["kind"] == "arrive"].itertuples():
        window = p.window(int(row.node))
        if window is not None and row.hours > window[1] + 1e-9:
            out.append(f"reaches node {row.node} at {row.hours:.3f} h, after its window closes at {window[1]:.3f} h")
    return out


def replay(p: FixedRoute, stops: list[ChargeStop]) -> tuple[float, float]:
    """(duration [h], least energy on arriving anywhere) of the route driven with ``stops``: a plan holds when that
    least energy is at least ``q_min``."""
    events = drive(p, stops)
    arrivals = events[events["kind"].isin(["arrive", "station"])]
    return float(events["hours"].iloc[-1] + p.process_h[p.route[-1]]), float(arrivals["energy"].min())


def drive_to_levels(p: FixedRoute, plan: list[tuple[int, int, float]]) -> tuple[list[ChargeStop], float]:
    """The route driven with the real energies, charging at each (gap, station index) up to its level (nothing
    when the vehicle already holds it): the stops and the duration [h]."""
    r, E, T = p.route, p.energy, p.time_h
    by_gap: dict[int, list[tuple[int, float]]] = {}
    for g, i, target in plan:
        by_gap.setdefault(g, []).append((i, target))
    q, hours, stops = min(p.q_init, p.q_max), 0.0, []
    for g in range(len(r) - 1):
        at = r[g]
        for i, target in by_gap.get(g, []):
            st = p.stations[i]
            q -= E[at][st.node]
            hours += T[at][st.node]
            up = max(q, target)
            charge_h = st.function.hours(up) - st.function.hours(q)
            stops.append(ChargeStop(after=g, station=st.node, arrive=q, depart=up, hours=charge_h))
            hours += charge_h + st.process_h
            q, at = up, st.node
        q -= E[at][r[g + 1]]
        hours += T[at][r[g + 1]]
        window = p.window(r[g + 1])
        hours = max(hours, window[0]) if window is not None else hours
        hours += p.process_h[r[g + 1]]
    return stops, hours
