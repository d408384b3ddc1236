"""``create_app()``: the Litestar decision API. See README ("Decision API") for the endpoints."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from litestar import Litestar
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

from engine import __version__
from service.controllers.alerts import AlertController
from service.controllers.audit import AuditController
from service.controllers.bills import BillController
from service.controllers.chargers import ChargerController
from service.controllers.decisions import DecisionController
from service.controllers.jobs import JobController
from service.controllers.keys import KeyController
from service.controllers.kpis import KpiController
from service.controllers.policies import PolicyController
from service.controllers.routes import RouteController
from service.controllers.shadow import ShadowController
from service.controllers.system import SystemController
from service.controllers.tco import TcoController
from service.controllers.telemetry import TelemetryController, VehicleController, plan_triggered
from service.controllers.webhooks import WebhookController
from service.docs import docs_assets, swagger_ui
from service.errors import HANDLERS
from service.jobs import JobRunner
from service.logs import request_id_middleware
from service.metrics import Metrics, metrics_middleware
from service.ocpp.central import CentralSystem
from service.ocpp.commands import CommandRunner
from service.ocpp.endpoint import ocpp16, ocpp201
from service.ocpp.events import ChargerEvents
from service.ocpp.reconciliation import reconcile_periodically
from service.ocpp.registry import ChargerRegistry
from service.ocpp.sessions import ChargerSessions
from service.openapi_facts import document
from service.planner import Planner
from service.rate_limit import RateLimiter, RateLimits
from service.request_checks import check_request
from service.settings import Settings
from service.store import Store
from service.telemetry_store import TelemetryStore
from service.triggers import TriggerWatch
from service.webhooks.delivery import WebhookSender
from service.webhooks.subscriptions import Subscriptions


def create_app(settings: Settings | None = None, store: Store | None = None) -> Litestar:
    """The decision API. ``settings`` default to the environment; ``store`` to one on ``settings.db_url``."""
    settings = settings or Settings.from_env()
    store = store or Store(settings.db_url)
    planner = Planner(settings.solver_workers, settings.time_limit_s, settings.dask_scheduler)
    metrics = Metrics()
    url = settings.job_store
    jobs = None if url is None else JobRunner(url, planner, store, settings.solver_workers, metrics)
    webhooks = (
        None
        if jobs is None
        else WebhookSender(
            Subscriptions(store.engine), settings.webhook_timeout_s, backoff_s=settings.webhook_backoff_s
        )
    )
    telemetry = TelemetryStore(store)
    central = CentralSystem(
        ChargerRegistry(store.engine), ChargerSessions(store.engine), telemetry, settings.ocpp_offline_grace_s
    )
    commands = (
        None if jobs is None else CommandRunner(central, settings.ocpp_call_timeout_s, settings.ocpp_command_deadline_s)
    )

    async def replan(tenant: str, replans: list) -> None:
        await plan_triggered(app, tenant, replans)

    background: list[asyncio.Task] = []

    async def startup() -> None:
        planner.open()
        if settings.reconcile_every_s > 0:
            every, window = settings.reconcile_every_s, timedelta(hours=24)
            task = reconcile_periodically(store, telemetry, every, window, webhooks)
            background.append(asyncio.create_task(task))
        if commands is not None:  # before DBOS launches: the commands it recovers find their runner
            commands.start()
        if webhooks is not None:  # likewise the deliveries
            webhooks.start()
        if jobs is not None:  # after the planner: jobs left by the last process start solving at once
            await jobs.start()

    def shutdown() -> None:
        events.close()  # chargers dropping off as the service stops are no events
        for task in background:
            task.cancel()
        if jobs is not None:  # first: a job solving now stays running in the job store, for the next start
            jobs.stop()
        if commands is not None:
            commands.stop()
        if webhooks is not None:
            webhooks.stop()
        planner.close()

    openapi = OpenAPIConfig(
        title="fleetcharge decision API",
        version=__version__,
        description="Plans EV fleet charging under a policy; every decision is stored with its full trace.",
        path="/schema",
        render_plugins=[swagger_ui()],  # its files served by the app: the docs load offline
        components=Components(
            security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer", description="API key")}
        ),
        security=[{"bearer": []}],
    )
    app = Litestar(
        route_handlers=[
            DecisionController,
            JobController,
            PolicyController,
            BillController,
            ChargerController,
            WebhookController,
            KpiController,
            AlertController,
            ShadowController,
            RouteController,
            TcoController,
            AuditController,
            KeyController,
            SystemController,
            TelemetryController,
            VehicleController,
            docs_assets(),
            ocpp16,
            ocpp201,
        ],
        openapi_config=openapi,
        exception_handlers=HANDLERS,
        middleware=[request_id_middleware, metrics_middleware],  # the request's id first: every log line has it
        before_request=check_request,
        request_max_body_size=settings.max_body_bytes,
        on_startup=[startup],
        on_shutdown=[shutdown],
        debug=False,
    )
    document(app)  # status codes, security and strict bodies as the server really behaves
    app.state.settings = settings
    app.state.store = store
    app.state.telemetry = telemetry
    app.state.triggers = TriggerWatch(store, app.state.telemetry)
    events = ChargerEvents(store, central.registry, central.sessions, app.state.triggers, replan, webhooks)
    central.events = events
    app.state.central = central
    app.state.commands = commands
    app.state.webhooks = webhooks
    app.state.planner = planner
    app.state.metrics = metrics
    app.state.jobs = jobs
    app.state.rate_limits = RateLimits(
        per_key=RateLimiter(settings.requests_per_key_s, settings.burst_per_key),
        failed=RateLimiter(settings.failed_auth_per_client_s, settings.failed_auth_burst),
    )
    return app
