"""``/v1/shadow-report``: a depot's shadow plans against what really happened (``engine/shadow.py``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter

from service.auth import Principal
from service.exports import Format, table_response
from service.periods import period
from service.security import provide_principal, requires
from service.shadow import depot_shadow_report


class ShadowController(Controller):
    """Shadow-mode comparison for the caller's tenant."""

    path = "/v1/shadow-report"
    tags = ["kpis"]
    dependencies = {"principal": Provide(provide_principal)}

    @get(
        "/",
        operation_id="shadowReport",
        summary="Shadow plans vs actual outcome",
        guards=[requires("read")],
        sync_to_thread=True,
    )
    def report(
        self,
        request: Request,
        principal: NamedDependency[Principal],
        depot: Annotated[str, QueryParameter(min_length=1, max_length=100)],
        start: Annotated[
            datetime | None, QueryParameter(name="from", description="ISO time with offset [default: 7 days ago]")
        ] = None,
        end: Annotated[
            datetime | None, QueryParameter(name="to", description="ISO time with offset [default: now]")
        ] = None,
        fmt: Annotated[
            Format, QueryParameter(name="format", description="json (summary and rows), csv or parquet (rows)")
        ] = "json",
    ) -> Response:
        """Per day and vehicle: energy and its cost, departures ready, for the shadow plans and for what the
        chargers and telematics reported; the summary adds readiness, energy, cost and peak up."""
        start, end = period(start, end, timedelta(days=7))
        table, summary = depot_shadow_report(request.app.state.store, principal.tenant, depot, start, end)
        rows = table.to_dict("records")
        if fmt != "json":
            return table_response(rows, fmt, "shadow-report")
        return Response({"summary": summary, "rows": rows})
