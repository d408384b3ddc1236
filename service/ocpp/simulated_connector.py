"""The state of a simulated charge point's connector (:mod:`service.ocpp.simulated`): the profiles it was sent,
the transaction running, its meter, and what it would really do from them (the composite schedule), with the
misbehaviour a fault test asks of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from service.ocpp.payloads import iso, parse_time


@dataclass
class Behaviour:
    """How a simulated charger misbehaves (nothing by default)."""

    reject_profiles: bool = False
    answer_delay_s: float = 0.0
    late_answers: int = 1_000_000


@dataclass
class Profile:
    """A profile as the charger keeps it (snake_case, version-neutral)."""

    profile_id: int
    stack_level: int
    purpose: str
    transaction_id: str | None
    start: datetime
    duration_s: int
    unit: str
    periods: list[tuple[int, float]]
    phases: int
    valid_from: datetime | None = None


@dataclass
class ConnectorModel:
    """The single connector's state: profiles, running transaction, meter [Wh]."""

    profiles: dict[int, Profile] = field(default_factory=dict)
    transaction_id: str | None = None
    meter_wh: float = 0.0
    vehicle_max_kw: float = 1e9
    voltage_v: float = 230.0
    max_kw: float = 22.0  # the charger's rating [kW]

    def prevailing(self, at: datetime) -> Profile | None:
        """TxProfile of the running transaction, else TxDefaultProfile; the highest stack level valid at ``at``."""
        for purpose in ("TxProfile", "TxDefaultProfile"):
            valid = [
                p
                for p in self.profiles.values()
                if p.purpose == purpose
                and (purpose != "TxProfile" or p.transaction_id == self.transaction_id)
                and (p.valid_from is None or p.valid_from <= at)
            ]
            if valid:
                return max(valid, key=lambda p: p.stack_level)
        return None

    def limit_kw(self, at: datetime) -> float:
        """The power in force at ``at`` [kW]: the prevailing profile's limit, the charger's rating without one,
        never more than the vehicle takes."""
        return min(self._profile_kw(at), self.vehicle_max_kw)

    def _profile_kw(self, at: datetime) -> float:
        p = self.prevailing(at)
        if p is None:
            return self.max_kw
        offset = (at - p.start).total_seconds()
        if offset < 0 or offset >= p.duration_s:
            return self.max_kw
        limit = [lim for start, lim in p.periods if start <= offset][-1]
        return limit / 1000.0 if p.unit == "W" else limit * self.voltage_v * p.phases / 1000.0

    def composite(self, at: datetime, duration_s: int, unit: str) -> list[tuple[int, float]]:
        """The limits in force from ``at`` for ``duration_s`` [s] in ``unit`` (A per phase on three phases, or
        W), as periods: cut wherever a profile becomes valid, starts, changes or ends."""
        cuts = {0}
        for p in self.profiles.values():
            moments = [p.start, p.start + timedelta(seconds=p.duration_s)]
            moments += [p.start + timedelta(seconds=s) for s, _lim in p.periods]
            moments += [] if p.valid_from is None else [p.valid_from]
            cuts |= {int((m - at).total_seconds()) for m in moments}
        out: list[tuple[int, float]] = []
        for c in sorted(x for x in cuts if 0 <= x < duration_s):
            kw = self._profile_kw(at + timedelta(seconds=c))
            limit = round(kw * 1000.0 if unit == "W" else kw * 1000.0 / (self.voltage_v * 3), 1)
            if not out or out[-1][1] != limit:
                out.append((c, limit))
        return out


def received_profile(p: dict[str, Any], s: dict[str, Any], purpose: str, profile_id: int) -> Profile:
    start = (
        parse_time(s["start_schedule"]) if s.get("start_schedule") else parse_time(p.get("valid_from") or iso(now()))
    )
    tx = p.get("transaction_id")
    return Profile(
        profile_id=profile_id,
        stack_level=p["stack_level"],
        purpose=purpose,
        transaction_id=None if tx is None else str(tx),
        start=start,
        duration_s=int(s.get("duration", 86_400)),
        unit=s["charging_rate_unit"],
        periods=[(int(x["start_period"]), float(x["limit"])) for x in s["charging_schedule_period"]],
        phases=int(s["charging_schedule_period"][0].get("number_phases", 3)),
        valid_from=parse_time(p["valid_from"]) if p.get("valid_from") else None,
    )


def now() -> datetime:
    """Charger time: whole seconds, as chargers report it."""
    return datetime.now(UTC).replace(microsecond=0)
