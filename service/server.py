"""The process ``fleetcharge serve`` runs: the decision API with the dispatcher dashboard mounted at ``/dashboard``.

The dashboard is ``notebooks/dashboard.py`` in marimo's app mode. Its ASGI app routes the full path itself
(``/dashboard/...``), so requests under the prefix go to it unchanged and everything else, lifespan included,
goes to the Litestar API (Litestar's own mounts rewrite paths with a trailing slash, which marimo's assets do not
survive)."""

from __future__ import annotations

from typing import Any

import marimo

from service.app import create_app
from service.settings import Settings
from service.shipped_paths import DASHBOARD_NOTEBOOK
from service.store import Store

DASHBOARD_PATH = "/dashboard"

Scope = dict[str, Any]


class WithDashboard:
    """ASGI: ``prefix`` and below to ``dashboard``, the rest to ``api``."""

    def __init__(self, api: Any, dashboard: Any, prefix: str = DASHBOARD_PATH) -> None:
        self.api, self.dashboard, self.prefix = api, dashboard, prefix

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if scope["type"] in ("http", "websocket") and (path == self.prefix or path.startswith(self.prefix + "/")):
            await self.dashboard(scope, receive, send)
        else:
            await self.api(scope, receive, send)


def dashboard_app() -> Any:
    """marimo's app-mode server for the dashboard notebook, answering under ``/dashboard``."""
    return marimo.create_asgi_app(quiet=True).with_app(path=DASHBOARD_PATH, root=str(DASHBOARD_NOTEBOOK)).build()


def create_server(settings: Settings | None = None, store: Store | None = None) -> WithDashboard:
    """The decision API (``service.app.create_app``) with the dashboard mounted at ``/dashboard``."""
    return WithDashboard(create_app(settings, store), dashboard_app())
