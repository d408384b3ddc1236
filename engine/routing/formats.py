"""Readers for the public benchmark formats: frvcpy JSON instances (e-VRO/frvcpy, Apache-2.0)."""

from __future__ import annotations

import json
from pathlib import Path

from engine.routing.fixed_route import ChargingFunction, FixedRoute, Station


def read_frvcpy(path: str | Path, route: list[int], q_init: float) -> FixedRoute:
    """An frvcpy instance (``max_q``, ``t_max``, ``css``, ``process_times``, ``breakpoints_by_type``,
    ``energy_matrix``, ``time_matrix``) and one route of it with the energy at its start."""
    d = json.loads(Path(path).read_text(encoding="utf-8"))
    kinds = {b["cs_type"]: ChargingFunction(time_h=b["time"], charge=b["charge"]) for b in d["breakpoints_by_type"]}
    process = d["process_times"]
    stations = [
        Station(node=cs["node_id"], function=kinds[cs["cs_type"]], process_h=process[cs["node_id"]]) for cs in d["css"]
    ]
    return FixedRoute(
        route=route,
        q_init=q_init,
        q_max=d["max_q"],
        t_max=d.get("t_max"),
        time_h=d["time_matrix"],
        energy=d["energy_matrix"],
        process_h=process,
        stations=stations,
    )
