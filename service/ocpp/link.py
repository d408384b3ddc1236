"""What a connection's central-system end is in both protocol versions: the charger's last reported connector
states and meter readings, and one command sent with its answer read in the engine's words."""

from __future__ import annotations

from typing import Any, ClassVar

from ocpp.exceptions import OCPPError

from engine.control.connector import CommandResult, CommandStatus, ConnectorState, MeterReading
from service.ocpp.central import CentralSystem
from service.ocpp.registry import RegisteredCharger


class ChargerLink:
    """Mixed into each version's ChargePoint (which provides ``call``)."""

    answers: ClassVar[dict[str, CommandStatus]] = {}  # the version's status words -> ours
    states: dict[int, ConnectorState]
    meters: dict[int, MeterReading]
    call: Any  # the ChargePoint's: send a CALL, await its answer

    def __init__(
        self, charger: RegisteredCharger, connection: Any, central: CentralSystem, heartbeat_s: int, timeout_s: float
    ) -> None:
        super().__init__(charger.charger_id, connection, response_timeout=timeout_s)  # the ChargePoint's
        self.charger, self.central, self.heartbeat_s = charger, central, heartbeat_s
        self.charger_id = charger.charger_id
        self.states = {}
        self.meters = {}

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
