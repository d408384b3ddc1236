"""From a Plan to what each charger must do: per charger and session a power schedule in the charger's own unit.

A session of the plan (vehicle ``v`` on charger ``c`` from ``plug_in`` to ``plug_out``) becomes one schedule:

- periods from the plan's per-slot grid-side power ``p[v,t]`` [kW] for the slots of the session, in the unit the
  charger declares: ``W`` (total power over all phases) ``limit = 1000 p`` or ``A`` (current per phase)
  ``limit = 1000 p / (V * phases)`` with its nominal voltage ``V`` [V] and phases in use. Limits are rounded
  *down* to one decimal (OCPP's resolution): a charger never draws more than the plan, so the site limit the plan
  respects holds on the wire too. Consecutive slots with equal limits are one period.
- purpose ``tx`` (OCPP TxProfile) for a charger's next session when a transaction runs on it now (the charger told
  us its id): it binds to that transaction and ends with it, starts at the slot holding ``now`` and holds 0 until
  the planned plug-in (a vehicle plugged in early waits for its window; without this profile it would draw at
  full power). Purpose ``tx_default`` (TxDefaultProfile) for a session ahead, valid from plug-in to plug-out so
  it is in force when the vehicle arrives and starts its transaction.
- stack level: the highest the charger accepts (``ChargerElectrics.max_stack_level``). Our profile then prevails
  over a default the charger keeps at a lower level; profile ids are fixed per connector and purpose, so each new
  plan replaces our previous profile instead of stacking another one.

Only sessions that have not ended by ``now`` get a schedule; a running session's schedule starts at the slot
holding ``now`` (the past is not re-sent). All of this is pure: the service's OCPP layer turns a
:class:`ChargerSchedule` into a version's payload.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Literal

from pydantic import AwareDatetime, Field

from engine.domain import Charger, ChargerKind, NonNegative, Positive, _Model
from engine.results import Plan

RateUnit = Literal["A", "W"]
Purpose = Literal["tx", "tx_default"]
PROFILE_ID_BASE = {"tx_default": 46_000, "tx": 46_500}  # + connector id: fixed per connector and purpose


class ChargerElectrics(_Model):
    """What a charger declares about how it takes a schedule."""

    rate_unit: RateUnit = Field(description="Unit of its schedule limits: 'A' per phase or 'W' total.")
    phases: Literal[1, 3] = Field(3, description="Phases in use (for 'A') [-].")
    voltage_v: Positive = Field(230.0, description="Nominal phase voltage (for 'A') [V].")
    max_stack_level: int = Field(1, ge=0, le=1000, description="Highest stack level it accepts [-].")

    @staticmethod
    def default_for(charger: Charger) -> ChargerElectrics:
        """AC chargers take current per phase on three phases at 230 V; DC chargers take power."""
        return ChargerElectrics(rate_unit="A" if charger.kind == ChargerKind.AC else "W")

    def limit(self, kw: float) -> float:
        """The limit for ``kw`` [kW] in this charger's unit, rounded down to 0.1 [A or W]."""
        value = kw * 1000.0 if self.rate_unit == "W" else kw * 1000.0 / (self.voltage_v * self.phases)
        return math.floor(value * 10.0 + 1e-6) / 10.0  # 1e-6: 11.0 kW is 11000.0 W, not 10999.9

    def kw(self, limit: float) -> float:
        """The power of a limit in this charger's unit [kW]."""
        return limit / 1000.0 if self.rate_unit == "W" else limit * self.voltage_v * self.phases / 1000.0


class SchedulePeriod(_Model):
    """From ``start_s`` after the schedule's start until the next period: at most ``limit``."""

    start_s: int = Field(ge=0, description="Offset from the schedule's start [s].")
    limit: NonNegative = Field(description="Limit in the schedule's unit [A per phase or W].")


class ChargerSchedule(_Model):
    """What one charger's connector must follow for one session of the plan."""

    charger_id: str
    connector_id: int = Field(1, ge=1)
    vehicle_id: str
    purpose: Purpose
    profile_id: int
    stack_level: int = Field(ge=0)
    start: AwareDatetime = Field(description="When the first period starts.")
    duration_s: int = Field(gt=0, description="Length of the schedule [s]; the session's plug-out ends it.")
    rate_unit: RateUnit
    phases: Literal[1, 3]
    periods: list[SchedulePeriod] = Field(min_length=1)
    transaction_id: str | None = Field(None, description="The running transaction (purpose 'tx' only).")

    def limit_at(self, offset_s: float) -> float | None:
        """The limit ``offset_s`` [s] after the start, None outside the schedule."""
        if offset_s < 0 or offset_s >= self.duration_s:
            return None
        current = self.periods[0].limit
        for p in self.periods:
            if p.start_s > offset_s:
                break
            current = p.limit
        return current


def merged_periods(limits: list[float], slot_s: int) -> list[SchedulePeriod]:
    """One period per run of equal consecutive limits (slots of ``slot_s`` [s])."""
    periods: list[SchedulePeriod] = []
    for k, limit in enumerate(limits):
        if not periods or periods[-1].limit != limit:
            periods.append(SchedulePeriod(start_s=k * slot_s, limit=limit))
    return periods


def charger_schedules(
    plan: Plan,
    electrics: dict[str, ChargerElectrics],
    now: datetime,
    transactions: dict[str, str] | None = None,
) -> list[ChargerSchedule]:
    """The schedules the plan asks of its chargers (module doc), ordered by charger and start.

    ``electrics``: charger id -> what it declares (a charger missing here gets no schedule: it is not under our
    control). ``transactions``: charger id -> the id of the transaction running on it now (its session gets a
    ``tx`` schedule bound to it)."""
    transactions = transactions or {}
    slot = timedelta(minutes=plan.slot_minutes)
    slot_s = plan.slot_minutes * 60
    starts = plan.slot_starts
    ahead = sorted(
        (session.plug_in, session.charger_id, vp.vehicle_id, session, vp.power_kw)
        for vp in plan.vehicles
        for session in vp.sessions
        if session.charger_id is not None and session.charger_id in electrics and session.plug_out > now
    )
    out: list[ChargerSchedule] = []
    bound: set[str] = set()  # chargers whose running transaction has its schedule
    for _in, charger, vehicle, session, power_kw in ahead:
        e = electrics[charger]
        running = charger in transactions and charger not in bound  # the charger's next session
        first = _slot_index(starts, slot, now if running else max(session.plug_in, now))
        last = _slot_index(starts, slot, session.plug_out - timedelta(microseconds=1))
        if first is None or last is None or last < first:
            continue
        # a running transaction waits at 0 until the planned plug-in (it is plugged in early)
        limits = [e.limit(power_kw[k]) if starts[k] + slot > session.plug_in else 0.0 for k in range(first, last + 1)]
        purpose: Purpose = "tx" if running else "tx_default"
        bound |= {charger} if running else set()
        start = starts[first]
        duration = math.ceil((session.plug_out - start).total_seconds())
        out.append(
            ChargerSchedule(
                charger_id=charger,
                vehicle_id=vehicle,
                purpose=purpose,
                profile_id=PROFILE_ID_BASE[purpose] + 1,
                stack_level=e.max_stack_level,
                start=start,
                duration_s=max(duration, 1),
                rate_unit=e.rate_unit,
                phases=e.phases,
                periods=merged_periods(limits, slot_s),
                transaction_id=transactions[charger] if running else None,
            )
        )
    return sorted(out, key=lambda s: (s.charger_id, s.start))


def next_schedules(schedules: list[ChargerSchedule]) -> dict[str, ChargerSchedule]:
    """Per charger the schedule to send now: its earliest (a charger holds one of our profiles per purpose; the
    next session's profile is sent when the current one's transaction ends)."""
    out: dict[str, ChargerSchedule] = {}
    for s in schedules:
        out.setdefault(s.charger_id, s)
    return out


def _slot_index(starts: list[datetime], slot: timedelta, when: datetime) -> int | None:
    """The index of the slot holding ``when``, None outside the horizon."""
    if not starts or when < starts[0] or when >= starts[-1] + slot:
        return None
    return min(int((when - starts[0]) // slot), len(starts) - 1)
