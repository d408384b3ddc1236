"""ACN-Data sessions (Caltech, March 2019) as fleetcharge planning problems, for the experiment 2.1 benchmark.

Each session becomes a vehicle whose battery is its requested energy (starting empty, lossless, 6.6 kW), with
one "trip" leaving at its departure: its target is the requested energy, and the ACN objective's 1,000 $/kWh
for delivered energy is our shortfall penalty. Every session has its own charger (as at Caltech, where each
session holds one EVSE); the transformer cap is the depot's grid limit. Tariff: SCE TOU-EV-4 ($15.51/kW demand).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from engine.domain import Charger, Depot, PlanningProblem, Trip, Vehicle, VehicleState
from engine.schedule import ObjectiveWeights

ROOT = Path(__file__).resolve().parents[1]
TZ = ZoneInfo("America/Los_Angeles")
START = datetime(2019, 3, 1, tzinfo=TZ)
PERIOD = timedelta(minutes=5)
MAX_KW = 6.6
DELIVERY_VALUE = 1000.0  # $/kWh, the ACN cost-minimising objective's weight on energy delivered


def at(period: int) -> datetime:
    """Start of 5-minute period ``period`` (absolute time from START, as ACN counts periods)."""
    return (START.astimezone(UTC) + PERIOD * period).astimezone(TZ)


def sessions() -> pd.DataFrame:
    """The 954 sessions: arrival and departure period (5-min steps from START), requested kWh."""
    df = pd.read_csv(ROOT / "data/acn/caltech_2019-03_sessions_5min.csv")
    return df.sort_values(["arrival_period", "session_id"]).reset_index(drop=True)


def weights(demand_weight: float = 1.0) -> ObjectiveWeights:
    """ACN's cost-minimising objective in our terms."""
    return ObjectiveWeights(
        shortfall_usd_per_kwh={p: DELIVERY_VALUE for p in range(1, 6)},
        demand_weight=demand_weight,
        wear_usd_per_kwh=0.0,
        dc_wear_extra_usd_per_kwh=0.0,
        target_reserve=0.0,
        use_p90=True,
    )


def problem(
    rows: pd.DataFrame,
    cap_kw: float,
    now_period: int,
    end_period: int,
    delivered: dict[str, float],
    mtd_peak_kw: float = 0.0,
) -> PlanningProblem:
    """Sessions ``rows`` from ``now_period`` to ``end_period``; ``delivered`` kWh so far per session id."""
    now = at(now_period)
    end = at(end_period)
    vehicles, chargers, trips, states = [], [], [], []
    for i, r in enumerate(rows.itertuples(index=False)):
        sid = f"s{i:04d}" if not delivered else r.session_id
        req = float(r.requested_energy_kWh)
        got = delivered.get(r.session_id, 0.0)
        vehicles.append(
            Vehicle(
                id=sid,
                vehicle_class="ev",
                depot_id="caltech",
                battery_kwh=req,
                max_ac_kw=MAX_KW,
                connectors=["J1772"],
                charge_efficiency=1.0,
            )
        )
        chargers.append(Charger(id=f"evse-{i:04d}", depot_id="caltech", kind="AC", max_kw=MAX_KW, connectors=["J1772"]))
        arrive = at(int(r.arrival_period))
        depart = at(int(r.departure_period))
        trips.append(
            Trip(
                id=f"leave-{sid}",
                depot_id="caltech",
                vehicle_id=sid,
                departure=depart,
                return_time=end + timedelta(days=1),
                distance_km=0,
                energy_kwh_p50=req,
                energy_kwh_p90=req,
            )
        )
        states.append(
            VehicleState(
                vehicle_id=sid,
                soc=min(1.0, got / req),
                last_seen=now,
                at_depot=arrive <= now,
                depot_id="caltech",
                available_from=max(arrive, now),
            )
        )
    depot = Depot(
        id="caltech",
        timezone="America/Los_Angeles",
        grid_limit_kw=cap_kw,
        month_to_date_peak_kw={"facility demand 0": mtd_peak_kw},
    )
    return PlanningProblem(
        id=f"acn-{cap_kw:g}kW",
        now=now,
        horizon_hours=(end.astimezone(UTC) - now.astimezone(UTC)).total_seconds() / 3600,
        slot_minutes=5,
        tariff="sce_tou_ev_4",
        depots=[depot],
        vehicles=vehicles,
        chargers=chargers,
        trips=trips,
        states=states,
    )
