"""``/health`` and ``/metrics``: unauthenticated, cheap, never blocked by solving."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE
from prometheus_client import CONTENT_TYPE_LATEST

from engine import __version__


class SystemController(Controller):
    """Liveness and metrics."""

    tags = ["system"]

    @get("/health", operation_id="health", summary="Liveness and the solver's state")
    async def health(self, request: Request) -> dict[str, Any]:
        """Answers while plans are solving (solves run off the event loop), with the solver's real state:
        slots, solves running, started, crashed and killed."""
        return {"status": "ok", "engine_version": __version__, "solver": request.app.state.planner.state()}

    @get(
        "/health/ready",
        operation_id="ready",
        summary="Readiness: can a new plan start solving now",
        responses={503: ResponseSpec(data_container=dict, description="every solver slot busy, or shutting down")},
    )
    async def ready(self, request: Request) -> Response[dict[str, Any]]:
        """200 when a solver slot is free, 503 when every slot is busy or the service is shutting down."""
        planner = request.app.state.planner
        ok = planner.ready()
        body = {"status": "ready" if ok else "busy", "solver": planner.state()}
        return Response(body, status_code=HTTP_200_OK if ok else HTTP_503_SERVICE_UNAVAILABLE)

    @get("/metrics", operation_id="metrics", summary="Prometheus metrics", media_type=CONTENT_TYPE_LATEST)
    async def metrics(self, request: Request) -> Response[bytes]:
        """Request counts and latencies per route, and the solve-time histogram."""
        return Response(request.app.state.metrics.text(), media_type=CONTENT_TYPE_LATEST)
