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
    app = WithDashboard(_recorder("api", calls), lambda: _recorder("dashboard", calls))
    scope = {"type": scope_type, "path": path} if path else {"type": scope_type}
    asyncio.run(app(scope, None, None))
    assert calls == [(expected, scope_type, path)]  # the path reaches the app unchanged


def test_the_dashboard_is_built_once_on_its_first_request_only() -> None:
    calls: list[tuple[str, str, str]] = []
    built: list[int] = []

    def make() -> object:
        built.append(1)
        return _recorder("dashboard", calls)

    app = WithDashboard(_recorder("api", calls), make)

    async def run() -> None:
        await app({"type": "lifespan"}, None, None)
        await app({"type": "http", "path": "/v1/decisions"}, None, None)
        assert built == []  # the API alone never builds the dashboard
        await asyncio.gather(*(app({"type": "http", "path": f"/dashboard/{k}"}, None, None) for k in range(3)))
        await app({"type": "websocket", "path": "/dashboard/ws"}, None, None)

    asyncio.run(run())
    assert built == [1]
    assert sorted(c for c in calls if c[0] == "dashboard") == [
        ("dashboard", "http", "/dashboard/0"),
        ("dashboard", "http", "/dashboard/1"),
        ("dashboard", "http", "/dashboard/2"),
        ("dashboard", "websocket", "/dashboard/ws"),
    ]
