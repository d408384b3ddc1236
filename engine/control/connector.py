"""The connector interface: what fleetcharge can ask of a charger and read from it, in the engine's terms.

The planner and the decision layer never see a vendor or protocol payload. The service's OCPP central system
implements :class:`ChargerConnector` once per protocol version (1.6J and 2.0.1); a simulator or another protocol
can implement it too.
"""

from __future__ import annotations

from typing import Literal, Protocol

from pydantic import AwareDatetime, Field

from engine.control.profiles import ChargerSchedule, RateUnit, SchedulePeriod
from engine.domain import NonNegative, _Model

CommandStatus = Literal["accepted", "rejected", "not_supported", "error"]
ConnectorState = Literal["available", "occupied", "charging", "suspended", "faulted", "unavailable", "reserved"]


class CommandResult(_Model):
    """A charger's answer to a command. ``accepted`` means the charger took the command, not that anything
    physical happened: a session is confirmed only by the charger's own transaction messages."""

    status: CommandStatus
    detail: str = ""


class CompositeSchedule(_Model):
    """What the charger says it will really do (all its profiles combined) from ``start``."""

    start: AwareDatetime
    duration_s: int = Field(ge=0)
    rate_unit: RateUnit
    periods: list[SchedulePeriod]


class MeterReading(_Model):
    """The charger's meter on a connector."""

    time: AwareDatetime
    energy_wh: NonNegative = Field(description="Energy register (Energy.Active.Import.Register) [Wh].")
    power_w: NonNegative | None = Field(None, description="Power at that time (Power.Active.Import) [W].")


class ChargerConnector(Protocol):
    """A live connection to one charger."""

    charger_id: str

    async def set_schedule(self, schedule: ChargerSchedule) -> CommandResult:
        """Install the schedule as a charging profile on its connector."""
        ...

    async def clear_schedule(self, connector_id: int, profile_id: int) -> CommandResult:
        """Remove one of our profiles."""
        ...

    async def composite_schedule(self, connector_id: int, duration_s: int, unit: RateUnit) -> CompositeSchedule | None:
        """What the charger will do over the next ``duration_s`` [s]; None when it cannot say."""
        ...

    async def start_session(self, connector_id: int, id_tag: str) -> CommandResult:
        """Ask the charger to start a transaction for ``id_tag`` (the vehicle's token)."""
        ...

    async def stop_session(self, transaction_id: str) -> CommandResult:
        """Ask the charger to stop a transaction."""
        ...

    def state(self, connector_id: int) -> ConnectorState | None:
        """The connector's last reported state, None before the first report."""
        ...

    def meter(self, connector_id: int) -> MeterReading | None:
        """The connector's last meter reading, None before the first."""
        ...
