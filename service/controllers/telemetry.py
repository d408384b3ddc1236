"""``/v1/telemetry``, ``/v1/quarantine``, ``/v1/vehicles/{id}/state``: telematics in, derived state out."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Annotated, Any

import anyio
from litestar import Controller, Litestar, Request, Response, get, post
from litestar.background_tasks import BackgroundTask
from litestar.di import NamedDependency, Provide
from litestar.exceptions import ClientException, NotFoundException
from litestar.params import FromPath, FromQuery, JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_409_CONFLICT

from engine.telemetry.state import StateView
from service.auth import Principal
from service.exports import Format, table_response
from service.ocpp.dispatch import execute_if_due
from service.periods import require_offsets
from service.schemas import IngestRequest, IngestResult, QuarantinePage, ReleaseRequest
from service.security import provide_principal, requires
from service.telemetry_store import Outcome, TelemetryStore
from service.triggers import Replan, TriggerWatch

log = logging.getLogger(__name__)


async def plan_triggered(app: Litestar, tenant: str, replans: list[Replan]) -> None:
    """Plan and store the triggered decisions on the solver pool (after the ingest answered), and execute each
    that is due (automated mode)."""
    for r in replans:
        try:
            decision = await app.state.planner.decide(r.problem, r.policy, r.based_on.strategy, datetime.now(UTC))
            raised: list[dict] = []
            stored = await anyio.to_thread.run_sync(app.state.triggers.record, tenant, r, decision, raised)
            if app.state.webhooks is not None:
                for alert in raised:
                    await app.state.webhooks.publish(
                        tenant, "alert.raised", f"{alert['key']}#{alert['times_raised']}", alert
                    )
            await execute_if_due(app.state.commands, app.state.store, tenant, "trigger", stored.decision_id)
        except Exception as exc:  # a failed re-plan must not vanish: audit it
            log.exception("triggered re-plan failed for %s", r.trigger.key)
            app.state.store.audit(tenant, "trigger", "telemetry.trigger_failed", r.trigger.key, {"error": str(exc)})


def ingest_result(outcomes: list[Outcome]) -> IngestResult:
    """Counts per status and one result per payload, in request order."""
    count = {s: sum(o.status == s for o in outcomes) for s in ("accepted", "duplicate", "quarantined")}
    return IngestResult(**count, results=[o.as_json() for o in outcomes])


class TelemetryController(Controller):
    """Telemetry ingest and the quarantine."""

    tags = ["telemetry"]
    dependencies = {"principal": Provide(provide_principal)}

    @post(
        "/v1/telemetry",
        operation_id="ingestTelemetry",
        summary="Ingest a batch of telemetry events",
        guards=[requires("ingest")],
        status_code=HTTP_200_OK,
        sync_to_thread=True,
    )
    def ingest(
        self, request: Request, principal: NamedDependency[Principal], data: JSONBody[IngestRequest]
    ) -> Response[IngestResult]:
        """Up to 10,000 events (our normalised schema, Acme webhook payloads or Fleetbook CSV rows as objects).
        The batch is stored in one transaction before the answer: every event is accepted, a duplicate of one
        already stored (same ``event_id``, never applied twice) or quarantined with its reason. Telemetry that
        makes the depot's latest decision wrong (SOC below target near departure, a charger fault, a late
        arrival) re-plans it after the answer (see ``service.triggers``)."""
        watch: TriggerWatch = request.app.state.triggers
        outcomes, replans = watch.ingest(principal.tenant, data.events)
        result = ingest_result(outcomes)
        request.app.state.store.audit(
            principal.tenant,
            principal.key_prefix,
            "telemetry.ingest",
            "telemetry",
            {"accepted": result.accepted, "duplicate": result.duplicate, "quarantined": result.quarantined},
        )
        background = BackgroundTask(plan_triggered, request.app, principal.tenant, replans) if replans else None
        return Response(result, status_code=HTTP_200_OK, background=background)

    @get(
        "/v1/quarantine",
        operation_id="listQuarantine",
        summary="Quarantined events",
        guards=[requires("read")],
        sync_to_thread=True,
    )
    def quarantine(
        self,
        request: Request,
        principal: NamedDependency[Principal],
        page: Annotated[int, QueryParameter(ge=1, le=1_000_000)] = 1,
        page_size: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
    ) -> QuarantinePage:
        """Newest first: reason, message, the raw payload and whether it was released."""
        items, total = request.app.state.telemetry.quarantined(
            principal.tenant, limit=page_size, offset=(page - 1) * page_size
        )
        return QuarantinePage(items=items, page=page, page_size=page_size, total=total)

    @post(
        "/v1/quarantine/{quarantine_id:int}/release",
        operation_id="releaseQuarantined",
        summary="Release a quarantined event after correction",
        guards=[requires("ingest")],
        status_code=HTTP_200_OK,
        sync_to_thread=True,
    )
    def release(
        self,
        request: Request,
        principal: NamedDependency[Principal],
        quarantine_id: Annotated[int, PathParameter(ge=1, le=2**62)],
        data: JSONBody[ReleaseRequest | None] = None,
    ) -> IngestResult:
        """Run the corrected payload (``event``), or the original one re-checked (e.g. after the vehicle joined
        a fleet), through the pipeline; answers like an ingest of one event. Released once only (409 after)."""
        ts: TelemetryStore = request.app.state.telemetry
        entry = ts.quarantine_entry(principal.tenant, quarantine_id)
        if entry is None:
            raise NotFoundException(f"no quarantined event {quarantine_id}")
        if entry["released"]:
            raise ClientException(
                f"quarantined event {quarantine_id} was already released", status_code=HTTP_409_CONFLICT
            )
        corrected = data.event if data is not None else None
        outcome = ts.release(principal.tenant, entry, principal.key_prefix, corrected)
        request.app.state.store.audit(
            principal.tenant,
            principal.key_prefix,
            "telemetry.release",
            f"quarantine:{quarantine_id}",
            {"corrected": corrected is not None, "outcome": outcome.status, "reason": outcome.reason},
        )
        return ingest_result([outcome])


class VehicleController(Controller):
    """Derived vehicle state."""

    path = "/v1/vehicles"
    tags = ["telemetry"]
    dependencies = {"principal": Provide(provide_principal)}

    @get(
        "/{vehicle_id:str}/state",
        operation_id="vehicleState",
        summary="Derived state",
        guards=[requires("read")],
        sync_to_thread=True,
    )
    def state(
        self,
        request: Request,
        principal: NamedDependency[Principal],
        vehicle_id: FromPath[str],
        rebuild: FromQuery[bool] = False,
        stale_after_min: Annotated[float, QueryParameter(gt=0, le=7 * 24 * 60)] = 60.0,
    ) -> StateView:
        """SOC (reported, or estimated from distance driven since with lowered confidence) with confidence and
        age, location, at depot, plugged, odometer, last seen. ``rebuild=true`` derives it from the event log
        instead of the incrementally kept state (the two are equal)."""
        ts: TelemetryStore = request.app.state.telemetry
        views = ts.views(principal.tenant, [vehicle_id], datetime.now(UTC), stale_after_min, rebuild)
        if vehicle_id in views:
            return views[vehicle_id]
        if ts.fleet_vehicle(principal.tenant, vehicle_id) is None:
            raise NotFoundException(f"no vehicle {vehicle_id!r} in this tenant's fleets or telemetry")
        return StateView(vehicle_id=vehicle_id, stale=True)

    @get(
        "/{vehicle_id:str}/events",
        operation_id="vehicleEvents",
        summary="Event log",
        guards=[requires("read")],
        sync_to_thread=True,
    )
    def events(
        self,
        request: Request,
        principal: NamedDependency[Principal],
        vehicle_id: FromPath[str],
        limit: Annotated[int, QueryParameter(ge=1, le=100_000)] = 1000,
        start: Annotated[
            datetime | None, QueryParameter(name="from", description="event time from (ISO, offset)")
        ] = None,
        end: Annotated[
            datetime | None, QueryParameter(name="to", description="event time before (ISO, offset)")
        ] = None,
        fmt: Annotated[Format, QueryParameter(name="format", description="json, csv or parquet")] = "json",
    ) -> Response[list[dict[str, Any]]]:
        """Accepted events in event-time order (late arrivals in their place), each with its received time; with
        ``from`` / ``to`` those of a period, with ``format=csv|parquet`` as a file (the vehicle's history export)."""
        require_offsets(start, end)
        rows = request.app.state.telemetry.events_of(principal.tenant, vehicle_id, limit, start, end)
        return table_response(rows, fmt, f"telemetry-{vehicle_id}")
