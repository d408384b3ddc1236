"""Prometheus metrics of one app (own registry, so several apps in one process do not clash)."""

from __future__ import annotations

from time import perf_counter

from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
SOLVE_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300)


class Metrics:
    """Request counts and latencies by route template, and the solve-time histogram."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "fleetcharge_http_requests", "HTTP requests", ["method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "fleetcharge_http_request_seconds",
            "HTTP request latency [s]",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.solve = Histogram(
            "fleetcharge_solve_seconds",
            "Engine time per decision [s]",
            ["strategy"],
            buckets=SOLVE_BUCKETS,
            registry=self.registry,
        )

    def text(self) -> bytes:
        """The Prometheus text exposition."""
        return generate_latest(self.registry)


def route_of(scope: Scope) -> str:
    """The matched route template (never the raw path, so ids do not explode the label set)."""
    handler = scope.get("route_handler")
    template = scope.get("path_template")
    if template:
        return str(template)
    if handler is not None and getattr(handler, "paths", None):
        return sorted(handler.paths)[0]
    return "unmatched"


def metrics_middleware(app: ASGIApp) -> ASGIApp:
    """Count and time every HTTP request."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        start, status = perf_counter(), 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await app(scope, receive, send_wrapper)
        finally:
            metrics: Metrics = scope["app"].state.metrics
            route = route_of(scope)
            metrics.requests.labels(scope["method"], route, str(status)).inc()
            metrics.latency.labels(scope["method"], route).observe(perf_counter() - start)

    return middleware
