"""Simulated chargers behind the production connector interface (:class:`engine.control.connector.ChargerConnector`).

A charger here behaves as the OCPP central system sees a real one: it takes a schedule as a charging profile
(``tx`` bound to the running transaction, ``tx_default`` for sessions ahead; the same profile id replaces the
previous one), draws at most its profile's limit while a transaction runs and its rated power without one, stops a
transaction early when told to fault, refuses commands while faulted, and starts a transaction on a remote start
when a vehicle is plugged in.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from engine.control.connector import CommandResult, CompositeSchedule, ConnectorState, MeterReading
from engine.control.profiles import ChargerElectrics, ChargerSchedule, RateUnit
from engine.domain import Charger


class SimulatedCharger:
    """One charger with one connector; the world sets ``now`` before every call."""

    def __init__(self, charger: Charger, electrics: ChargerElectrics) -> None:
        self.charger = charger
        self.charger_id = charger.id
        self.electrics = electrics
        self.now: datetime | None = None
        self.faulted = False
        self.vehicle: str | None = None  # plugged in
        self.transaction: str | None = None  # running
        self.stop_reason: str | None = None  # why the last transaction ended
        self.profiles: dict[int, ChargerSchedule] = {}
        self.energy_wh = 0.0
        self.power_w = 0.0
        self.last_transaction: str | None = None
        self.on_begin: Callable[[SimulatedCharger], None] | None = None  # the world logs transactions
        self.on_end: Callable[[SimulatedCharger, str], None] | None = None
        self._transactions = 0

    # the connector interface -------------------------------------------------------------------------------------
    async def set_schedule(self, schedule: ChargerSchedule) -> CommandResult:
        """Install a profile (rejected while faulted, or a ``tx`` profile for a transaction not running)."""
        if self.faulted:
            return CommandResult(status="rejected", detail="faulted")
        if schedule.purpose == "tx" and schedule.transaction_id != self.transaction:
            return CommandResult(status="rejected", detail="no such transaction")
        self.profiles[schedule.profile_id] = schedule
        return CommandResult(status="accepted")

    async def clear_schedule(self, connector_id: int, profile_id: int) -> CommandResult:
        """Remove one of our profiles."""
        self.profiles.pop(profile_id, None)
        return CommandResult(status="accepted")

    async def composite_schedule(self, connector_id: int, duration_s: int, unit: RateUnit) -> CompositeSchedule | None:
        """Not simulated: the simulator reads power directly."""
        return None

    async def start_session(self, connector_id: int, id_tag: str) -> CommandResult:
        """Start a transaction for the plugged vehicle."""
        if self.faulted or self.vehicle is None or self.transaction is not None:
            return CommandResult(status="rejected", detail="faulted, empty or busy")
        self.begin()
        return CommandResult(status="accepted")

    async def stop_session(self, transaction_id: str) -> CommandResult:
        """Stop the running transaction."""
        if transaction_id != self.transaction:
            return CommandResult(status="rejected", detail="no such transaction")
        self.end("Remote")
        return CommandResult(status="accepted")

    def state(self, connector_id: int = 1) -> ConnectorState | None:
        """The connector's state."""
        if self.faulted:
            return "faulted"
        if self.transaction is not None:
            return "charging"
        return "occupied" if self.vehicle is not None else "available"

    def meter(self, connector_id: int = 1) -> MeterReading | None:
        """The energy register and power now."""
        if self.now is None:
            return None
        return MeterReading(time=self.now, energy_wh=self.energy_wh, power_w=self.power_w)

    # what the world does to it -----------------------------------------------------------------------------------
    def begin(self) -> str:
        """A transaction starts (plug-in, or a remote start)."""
        self._transactions += 1
        self.transaction, self.stop_reason = f"{self.charger_id}#{self._transactions}", None
        self.profiles = {k: p for k, p in self.profiles.items() if p.purpose != "tx"}  # a tx profile ends with its tx
        if self.on_begin is not None:
            self.on_begin(self)
        return self.transaction

    def end(self, reason: str) -> None:
        """The running transaction ends (``EVDisconnected``, ``Remote``, ``PowerLoss``, ``Other``...)."""
        if self.transaction is not None:
            if self.on_end is not None:
                self.on_end(self, reason)
            self.last_transaction, self.transaction, self.stop_reason = self.transaction, None, reason
            self.profiles = {k: p for k, p in self.profiles.items() if p.purpose != "tx"}

    def limit_kw(self, now: datetime) -> float:
        """The most it may draw now [kW]: 0 while faulted or without a transaction, else its ``tx`` profile, then
        its ``tx_default`` profile in force, else its rating."""
        if self.faulted or self.transaction is None:
            return 0.0
        for purpose in ("tx", "tx_default"):
            for p in self.profiles.values():
                if p.purpose != purpose or (purpose == "tx" and p.transaction_id != self.transaction):
                    continue
                limit = p.limit_at((now - p.start).total_seconds())
                if limit is not None:
                    return min(self.charger.max_kw, self.electrics.kw(limit))
        return self.charger.max_kw
