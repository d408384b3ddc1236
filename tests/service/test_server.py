"""``fleetcharge serve``'s ASGI app: /dashboard and below to marimo, everything else (lifespan too) to the API."""

from __future__ import annotations

import asyncio

import pytest

from service.server import WithDashboard


def _recorder(name: str, calls: list[tuple[str, str, str]]):
    async def app(scope, receive, send) -> None:
        calls.append((name, scope["type"], scope.get("path", "")))

    return app


@pytest.mark.parametrize(
    ("scope_type", "path", "expected"),
    [
        ("http", "/dashboard", "dashboard"),
        ("http", "/dashboard/", "dashboard"),
        ("http", "/dashboard/assets/index.js", "dashboard"),
        ("websocket", "/dashboard/ws", "dashboard"),
        ("http", "/dashboards", "api"),
        ("http", "/v1/decisions/", "api"),
        ("http", "/", "api"),
        ("lifespan", "", "api"),
    ],
)
def test_routing_by_path_prefix(scope_type: str, path: str, expected: str) -> None:
    calls: list[tuple[str, str, str]] = []
    app = WithDashboard(_recorder("api", calls), _recorder("dashboard", calls))
    scope = {"type": scope_type, "path": path} if path else {"type": scope_type}
    asyncio.run(app(scope, None, None))
    assert calls == [(expected, scope_type, path)]  # the path reaches the app unchanged
