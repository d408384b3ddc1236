"""``/health`` and ``/metrics``: unauthenticated, cheap, never blocked by solving."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get
from prometheus_client import CONTENT_TYPE_LATEST

from engine import __version__


class SystemController(Controller):
    """Liveness and metrics."""

    tags = ["system"]

    @get("/health", operation_id="health", summary="Liveness")
    async def health(self) -> dict[str, Any]:
        """Answers while plans are solving (solves run off the event loop)."""
        return {"status": "ok", "engine_version": __version__}

    @get("/metrics", operation_id="metrics", summary="Prometheus metrics", media_type=CONTENT_TYPE_LATEST)
    async def metrics(self, request: Request) -> Response[bytes]:
        """Request counts and latencies per route, and the solve-time histogram."""
        return Response(request.app.state.metrics.text(), media_type=CONTENT_TYPE_LATEST)
