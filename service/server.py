"""The process ``fleetcharge serve`` runs: the decision API with the dispatcher dashboard mounted at ``/dashboard``.

The dashboard is ``notebooks/dashboard.py`` in marimo's app mode. Its ASGI app routes the full path itself
(``/dashboard/...``), so requests under the prefix go to it unchanged and everything else, lifespan included,
goes to the Litestar API (Litestar's own mounts rewrite paths with a trailing slash, which marimo's assets do not
survive).

The dashboard's app is built on the first request under ``/dashboard`` (in a thread, once), not at start: marimo's
import and app build were about a seventh of a server start's CPU (py-spy), paid by every start whether anyone
opened the dashboard or not."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from service.app import create_app
from service.settings import Settings
from service.shipped_paths import DASHBOARD_NOTEBOOK
from service.store import Store

DASHBOARD_PATH = "/dashboard"

Scope = dict[str, Any]


class WithDashboard:
    """ASGI: ``prefix`` and below to the dashboard ``make_dashboard()`` builds on the first such request, the rest
    to ``api``."""

    def __init__(self, api: Any, make_dashboard: Callable[[], Any], prefix: str = DASHBOARD_PATH) -> None:
        self.api, self.make_dashboard, self.prefix = api, make_dashboard, prefix
        self._dashboard: Any = None
        self._building = asyncio.Lock()

    async def dashboard(self) -> Any:
        """The dashboard's app, built once off the event loop (the API answers meanwhile)."""
        if self._dashboard is None:
            async with self._building:
                if self._dashboard is None:
                    self._dashboard = await asyncio.to_thread(self.make_dashboard)
        return self._dashboard

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if scope["type"] in ("http", "websocket") and (path == self.prefix or path.startswith(self.prefix + "/")):
            await (await self.dashboard())(scope, receive, send)
        else:
            await self.api(scope, receive, send)


def dashboard_app() -> Any:
    """marimo's app-mode server for the dashboard notebook, answering under ``/dashboard``."""
    import marimo

    return marimo.create_asgi_app(quiet=True).with_app(path=DASHBOARD_PATH, root=str(DASHBOARD_NOTEBOOK)).build()


def create_server(settings: Settings | None = None, store: Store | None = None) -> WithDashboard:
    """The decision API (``service.app.create_app``) with the dashboard mounted at ``/dashboard``."""
    return WithDashboard(create_app(settings, store), dashboard_app)
