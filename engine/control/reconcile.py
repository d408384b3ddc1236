"""Reconciliation: what chargers and vehicles say happened against what the plan asked, as a list of drifts.

Inputs, all in the engine's terms: the sessions we asked for (:class:`PlannedSession`, from the schedules sent),
the sessions the chargers reported with their meter (:class:`MeteredSession`) and the vehicles' SOC changes from
telematics (:class:`SocChange`). A metered session matches the planned one of the same charger and vehicle whose
window it overlaps most. Checks, each against a tolerance ``max(absolute, share x expected)``:

- ``status``: a planned session whose plug-in is more than ``late_min`` past with no session reported (missing
  start); a session still open more than ``late_min`` after its planned plug-out (missing stop); a session no
  plan asked for (unplanned).
- ``energy``: a closed session's metered energy [kWh] against the plan's for that session.
- ``telematics``: the metered energy times the vehicle's charge efficiency against the battery energy its SOC
  change shows (a meter or a vehicle reporting wrong).
- ``cost``: the metered energy priced by the tariff at the times it was drawn against the plan's cost for the
  session [$] (energy drawn at other hours than planned, or a price the plan did not expect).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Literal

from pydantic import AwareDatetime, Field

from engine.domain import NonNegative, _Model

Check = Literal["status", "energy", "telematics", "cost"]


class Tolerances(_Model):
    """How far actual may be from expected before it is a drift."""

    energy_kwh: NonNegative = Field(0.5, description="Absolute energy tolerance [kWh].")
    energy_share: NonNegative = Field(0.05, description="Energy tolerance as a share of the expected [-].")
    cost_usd: NonNegative = Field(0.25, description="Absolute cost tolerance [$].")
    cost_share: NonNegative = Field(0.05, description="Cost tolerance as a share of the expected [-].")
    late_min: NonNegative = Field(15.0, description="A start or stop later than this is missing [min].")

    def energy(self, expected: float) -> float:
        return max(self.energy_kwh, self.energy_share * abs(expected))

    def cost(self, expected: float) -> float:
        return max(self.cost_usd, self.cost_share * abs(expected))


class PlannedSession(_Model):
    """A session the plan asked a charger for."""

    charger_id: str
    vehicle_id: str
    plug_in: AwareDatetime
    plug_out: AwareDatetime
    energy_kwh: NonNegative = Field(description="Grid energy the plan expects [kWh].")
    cost_usd: float = Field(description="What the plan expects it to cost at the tariff's energy prices [$].")


class MeterPoint(_Model):
    """A reading of a charger's energy register."""

    time: AwareDatetime
    register_kwh: NonNegative


class MeteredSession(_Model):
    """A session as the charger reported it."""

    charger_id: str
    vehicle_id: str | None
    transaction_id: str
    started: AwareDatetime
    stopped: AwareDatetime | None
    energy_kwh: NonNegative
    meter: list[MeterPoint] = Field(default_factory=list, description="Readings in time order, start included.")


class SocChange(_Model):
    """A vehicle's battery energy change over a session, from telematics."""

    vehicle_id: str
    battery_kwh: NonNegative = Field(description="Energy the SOC change shows [kWh] (battery side).")
    efficiency: float = Field(gt=0, le=1, description="The vehicle's grid-to-battery efficiency [0-1].")


class Drift(_Model):
    """One difference above its tolerance."""

    check: Check
    charger_id: str
    vehicle_id: str | None
    transaction_id: str | None = None
    expected: float | None = None
    actual: float | None = None
    difference: float | None = None
    unit: str = ""
    message: str


def metered_cost(meter: list[MeterPoint], price_at: Callable[[datetime], float]) -> float:
    """The energy between consecutive readings priced at the price in force at the earlier one [$]."""
    return sum(max(b.register_kwh - a.register_kwh, 0.0) * price_at(a.time) for a, b in pairwise(meter))


def _overlap(p: PlannedSession, m: MeteredSession, now: datetime) -> float:
    end = m.stopped or now
    return (min(p.plug_out, end) - max(p.plug_in, m.started)).total_seconds()


def reconcile(
    planned: list[PlannedSession],
    metered: list[MeteredSession],
    soc: dict[str, SocChange],
    price_at: Callable[[datetime], float] | None,
    now: datetime,
    tol: Tolerances | None = None,
) -> list[Drift]:
    """Every drift (module doc), by charger and time. ``soc``: transaction id -> the vehicle's SOC change over
    it; ``price_at``: the energy price in force at a time [$/kWh] (None: no cost check)."""
    tol = tol or Tolerances()
    late = timedelta(minutes=tol.late_min)
    out: list[Drift] = []
    matched: set[int] = set()
    for m in sorted(metered, key=lambda m: (m.charger_id, m.started)):
        candidates = [
            (i, p)
            for i, p in enumerate(planned)
            if p.charger_id == m.charger_id and p.vehicle_id == m.vehicle_id and _overlap(p, m, now) > 0
        ]
        if not candidates:
            out.append(
                Drift(
                    check="status",
                    charger_id=m.charger_id,
                    vehicle_id=m.vehicle_id,
                    transaction_id=m.transaction_id,
                    message=f"unplanned session: {m.vehicle_id} on {m.charger_id} from {m.started:%H:%M}",
                )
            )
            continue
        i, p = max(candidates, key=lambda c: _overlap(c[1], m, now))
        matched.add(i)
        out += _session_drifts(p, m, soc.get(m.transaction_id), price_at, now, late, tol)
    for i, p in enumerate(planned):
        if i not in matched and p.plug_in + late < now and p.energy_kwh > tol.energy_kwh:
            out.append(
                Drift(
                    check="status",
                    charger_id=p.charger_id,
                    vehicle_id=p.vehicle_id,
                    expected=p.energy_kwh,
                    actual=0.0,
                    difference=-p.energy_kwh,
                    unit="kWh",
                    message=f"missing start: {p.vehicle_id} planned on {p.charger_id} from {p.plug_in:%H:%M}",
                )
            )
    return sorted(out, key=lambda d: (d.charger_id, d.vehicle_id or "", d.check))


def _session_drifts(
    p: PlannedSession,
    m: MeteredSession,
    soc: SocChange | None,
    price_at: Callable[[datetime], float] | None,
    now: datetime,
    late: timedelta,
    tol: Tolerances,
) -> list[Drift]:
    ids = {"charger_id": m.charger_id, "vehicle_id": m.vehicle_id, "transaction_id": m.transaction_id}
    if m.stopped is None:
        if now > p.plug_out + late:
            return [Drift(check="status", **ids, message=f"missing stop: planned plug-out {p.plug_out:%H:%M}")]
        return []
    out = []
    diff = m.energy_kwh - p.energy_kwh
    if abs(diff) > tol.energy(p.energy_kwh):
        out.append(
            Drift(
                check="energy",
                **ids,
                expected=p.energy_kwh,
                actual=m.energy_kwh,
                difference=diff,
                unit="kWh",
                message=f"metered {m.energy_kwh:.2f} kWh, planned {p.energy_kwh:.2f} kWh",
            )
        )
    if soc is not None:
        stored = m.energy_kwh * soc.efficiency
        gap = soc.battery_kwh - stored
        if abs(gap) > tol.energy(stored):
            out.append(
                Drift(
                    check="telematics",
                    **ids,
                    expected=stored,
                    actual=soc.battery_kwh,
                    difference=gap,
                    unit="kWh",
                    message=f"SOC change shows {soc.battery_kwh:.2f} kWh in the battery, the meter "
                    f"{m.energy_kwh:.2f} kWh x {soc.efficiency:g} = {stored:.2f} kWh",
                )
            )
    if price_at is not None and len(m.meter) >= 2:
        cost = metered_cost(m.meter, price_at)
        gap = cost - p.cost_usd
        if abs(gap) > tol.cost(p.cost_usd):
            out.append(
                Drift(
                    check="cost",
                    **ids,
                    expected=p.cost_usd,
                    actual=cost,
                    difference=gap,
                    unit="$",
                    message=f"cost ${cost:.2f} at the tariff's prices when drawn, planned ${p.cost_usd:.2f}",
                )
            )
    return out
