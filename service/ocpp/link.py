"""What a connection's central-system end is in both protocol versions: the charger's last reported connector
states and meter readings, and one command sent with its answer read in the engine's words."""

from __future__ import annotations

from typing import Any, ClassVar

from ocpp.exceptions import OCPPError

from engine.control.connector import CommandResult, CommandStatus, ConnectorState, MeterReading


class ChargerLink:
    """Mixed into each version's ChargePoint (which provides ``call``)."""

    answers: ClassVar[dict[str, CommandStatus]] = {}  # the version's status words -> ours
    states: dict[int, ConnectorState]
    meters: dict[int, MeterReading]
    call: Any  # the ChargePoint's: send a CALL, await its answer

    def state(self, connector_id: int) -> ConnectorState | None:
        return self.states.get(connector_id)

    def meter(self, connector_id: int) -> MeterReading | None:
        return self.meters.get(connector_id)

    async def _command(self, payload: Any) -> CommandResult:
        """Send and read the answer's status; a CALLERROR is an ``error`` result, no answer raises TimeoutError."""
        try:
            answer = await self.call(payload, suppress=False)
        except OCPPError as exc:
            return CommandResult(status="error", detail=f"{type(exc).__name__}: {exc.description}")
        return CommandResult(status=self.answers.get(str(answer.status), "rejected"), detail=str(answer.status))
