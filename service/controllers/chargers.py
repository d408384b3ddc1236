"""``/v1/chargers`` and a decision's execution: the tenant's charge points, their sessions, and sending a decision's
schedules to them (``POST /v1/decisions/{id}/dispatch``) with the commands' outcomes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter
from litestar.status_codes import HTTP_202_ACCEPTED
from pydantic import BaseModel

from service.auth import Principal
from service.exports import Format, table_response
from service.ocpp.control import remote
from service.ocpp.dispatch import commands_of, dispatch, executable
from service.ocpp.reconciliation import reconcile_tenant
from service.ocpp.session_slots import session_slots
from service.security import provide_principal, requires

DAY = timedelta(days=1)


class ChargerInfo(BaseModel):
    """A registered charge point, whether it is connected now and its running transaction."""

    charger_id: str
    depot_id: str | None
    rate_unit: str
    phases: int
    voltage_v: float
    max_stack_level: int
    reliability: float
    protocol: str | None
    last_seen: str | None
    connected: bool
    transaction_id: str | None


class SessionInfo(BaseModel):
    """A transaction as the charger reported it."""

    charger_id: str
    connector_id: int
    transaction_id: str
    vehicle_id: str | None
    started: str
    stopped: str | None
    stop_reason: str | None
    energy_kwh: float


class SessionSlots(BaseModel):
    """A session slot by slot: planned power and energy from the schedules sent, actual from the charger's meter."""

    session: SessionInfo
    slots: list[dict]


class CommandInfo(BaseModel):
    """A command sent for a decision: what it asks, and (in listings) its state and result."""

    command_id: str
    charger_id: str | None = None
    vehicle_id: str | None = None
    purpose: str | None = None
    start: str | None = None
    state: str | None = None
    result: dict | None = None
    updated: str | None = None


class ReconciliationReport(BaseModel):
    """Drifts between plan, charger meters and telematics over a period (``service.ocpp.reconciliation``)."""

    since: str
    until: str
    sessions: int
    drifts: list[dict]


class RemoteStart(BaseModel):
    """Which vehicle's token starts the transaction."""

    vehicle_id: str


class RemoteResult(BaseModel):
    """The command sent; its result if the charger answered in time (``accepted`` is not yet a session)."""

    command_id: str
    result: dict | None


class DispatchResult(BaseModel):
    """The commands a dispatch sent."""

    decision_id: str
    commands: list[CommandInfo]


class ChargerController(Controller):
    """The caller's tenant's chargers."""

    path = "/v1"
    tags = ["chargers"]
    dependencies = {"principal": Provide(provide_principal)}

    @get(
        "/chargers",
        operation_id="listChargers",
        summary="Charge points",
        guards=[requires("read")],
        sync_to_thread=True,
    )
    def list_chargers(self, request: Request, principal: NamedDependency[Principal]) -> list[ChargerInfo]:
        """Every registered charge point of the tenant, connected or not."""
        central = request.app.state.central
        running = central.sessions.running(principal.tenant)
        out = []
        for c in central.registry.list(principal.tenant):
            j = c.as_json()
            j.pop("tenant")
            j.pop("created")
            j.pop("key_rotated")
            session = running.get(c.charger_id)
            out.append(
                ChargerInfo(
                    **j,
                    connected=central.link(c.charger_id) is not None,
                    transaction_id=None if session is None else session.transaction_id,
                )
            )
        return out

    @get(
        "/chargers/{charger_id:str}/sessions",
        operation_id="listChargerSessions",
        summary="A charge point's sessions",
        guards=[requires("read")],
        sync_to_thread=True,
    )
    def sessions(
        self,
        request: Request,
        principal: NamedDependency[Principal],
        charger_id: FromPath[str],
        fmt: Annotated[Format, QueryParameter(name="format", description="json, csv or parquet")] = "json",
    ) -> Response[list[SessionInfo]]:
        """The transactions the charger reported, oldest first (``format=csv|parquet``: as a file)."""
        central = request.app.state.central
        found = central.registry.get(charger_id)
        if found is None or found.tenant != principal.tenant:
            raise NotFoundException(f"no charger {charger_id!r} for this tenant")
        rows = [s for s in central.sessions.of_tenant(principal.tenant) if s.charger_id == charger_id]
        return table_response([SessionInfo(**s.as_json()).model_dump(mode="json") for s in rows], fmt, "sessions")

    @get(
        "/chargers/{charger_id:str}/sessions/{transaction_id:str}",
        operation_id="getChargerSession",
        summary="A session slot by slot: planned vs actual",
        guards=[requires("read")],
        sync_to_thread=True,
    )
    def session_slots(
        self,
        request: Request,
        principal: NamedDependency[Principal],
        charger_id: FromPath[str],
        transaction_id: FromPath[str],
    ) -> SessionSlots:
        """Per 15-minute slot of the session: the planned power [kW] and energy [kWh] of the schedules we sent, the
        energy the charger's meter shows and the difference."""
        app = request.app
        found = session_slots(app.state.store, app.state.telemetry, principal.tenant, charger_id, transaction_id)
        if found is None:
            raise NotFoundException(f"no session {transaction_id!r} on charger {charger_id!r} for this tenant")
        session, slots = found
        return SessionSlots(session=SessionInfo(**session.as_json()), slots=slots)

    @get(
        "/reconciliation",
        operation_id="getReconciliation",
        summary="Drift between plan, charger meters and telematics",
        guards=[requires("read")],
        sync_to_thread=True,
    )
    def reconciliation(
        self,
        request: Request,
        principal: NamedDependency[Principal],
        since: Annotated[
            datetime | None, QueryParameter(description="From when (ISO time with offset) [default: 24 h ago]")
        ] = None,
    ) -> ReconciliationReport:
        """Every session and schedule since ``since`` checked: status (missing start or stop, unplanned),
        energy (meter vs plan), telematics (meter vs SOC change) and cost (metered energy at the tariff's prices
        vs the plan's); each drift above its tolerance with expected, actual and difference."""
        now = datetime.now(UTC)
        if since is not None and since.tzinfo is None:
            raise ValidationException("since: give the time with its offset, e.g. 2026-12-07T00:00:00+00:00")
        app = request.app
        report = reconcile_tenant(app.state.store, app.state.telemetry, principal.tenant, since or now - DAY, now)
        return ReconciliationReport(**report.as_json())

    @post(
        "/chargers/{charger_id:str}/start",
        operation_id="startCharger",
        summary="Remote start for a vehicle",
        guards=[requires("approve")],
        status_code=HTTP_202_ACCEPTED,
    )
    async def start(
        self,
        request: Request,
        principal: NamedDependency[Principal],
        charger_id: FromPath[str],
        data: JSONBody[RemoteStart],
        idempotency_key: Annotated[str | None, HeaderParameter(name="Idempotency-Key", max_length=64)] = None,
    ) -> RemoteResult:
        """Ask the charger to start a transaction for the vehicle (a durable command; 409 in a shadow-mode depot).
        The same ``Idempotency-Key`` is the same command."""
        return await _remote(request, principal, charger_id, "start", data.vehicle_id, idempotency_key)

    @post(
        "/chargers/{charger_id:str}/stop",
        operation_id="stopCharger",
        summary="Remote stop of the running transaction",
        guards=[requires("approve")],
        status_code=HTTP_202_ACCEPTED,
    )
    async def stop(
        self,
        request: Request,
        principal: NamedDependency[Principal],
        charger_id: FromPath[str],
        idempotency_key: Annotated[str | None, HeaderParameter(name="Idempotency-Key", max_length=64)] = None,
    ) -> RemoteResult:
        """Ask the charger to stop its running transaction (409 if none runs or in a shadow-mode depot)."""
        return await _remote(request, principal, charger_id, "stop", None, idempotency_key)

    @post(
        "/decisions/{decision_id:str}/dispatch",
        operation_id="dispatchDecision",
        summary="Send a decision's schedules to its chargers",
        guards=[requires("approve")],
        status_code=HTTP_202_ACCEPTED,
    )
    async def dispatch(
        self, request: Request, principal: NamedDependency[Principal], decision_id: FromPath[str]
    ) -> DispatchResult:
        """Send the plan's schedules to the registered chargers as durable commands (an automated decision, or an
        assisted one once approved; never a shadow one: 409). Sending again finds the same commands."""
        app = request.app
        stored = executable(app.state.store, principal.tenant, decision_id)
        sent = await dispatch(app.state.commands, app.state.store, principal.tenant, principal.key_prefix, stored)
        return DispatchResult(decision_id=decision_id, commands=[CommandInfo(**d.as_json()) for d in sent])

    @get(
        "/decisions/{decision_id:str}/commands",
        operation_id="listDecisionCommands",
        summary="A decision's charger commands and their outcomes",
        guards=[requires("read")],
    )
    async def commands(
        self, request: Request, principal: NamedDependency[Principal], decision_id: FromPath[str]
    ) -> list[CommandInfo]:
        """Each command sent for the decision: running, or done with its outcome (module doc of
        ``service.ocpp.commands``)."""
        app = request.app
        if app.state.commands is None:
            return []
        rows = await commands_of(principal.tenant, decision_id)
        return [CommandInfo(**r) for r in rows]


async def _remote(
    request: Request,
    principal: Principal,
    charger_id: str,
    action: Literal["start", "stop"],
    vehicle_id: str | None,
    idempotency_key: str | None,
) -> RemoteResult:
    state = request.app.state
    out = await remote(
        state.commands,
        state.central,
        state.store,
        principal.tenant,
        principal.key_prefix,
        charger_id,
        action,
        vehicle_id,
        idempotency_key,
    )
    return RemoteResult(**out)
