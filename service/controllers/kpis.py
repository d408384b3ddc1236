"""``/v1/kpis``: a depot's operations KPIs over a period (definitions in ``engine/kpis.py``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter

from service.auth import Principal
from service.exports import Format, table_response
from service.kpis import depot_kpis
from service.periods import period
from service.security import provide_principal, requires


class KpiController(Controller):
    """Operations KPIs of the caller's tenant."""

    path = "/v1/kpis"
    tags = ["kpis"]
    dependencies = {"principal": Provide(provide_principal)}

    @get(
        "/",
        operation_id="getKpis",
        summary="A depot's KPIs over a period",
        guards=[requires("read")],
        sync_to_thread=True,
    )
    def kpis(
        self,
        request: Request,
        principal: NamedDependency[Principal],
        depot: Annotated[str, QueryParameter(min_length=1, max_length=100)],
        start: Annotated[
            datetime | None, QueryParameter(name="from", description="ISO time with offset [default: 24 h ago]")
        ] = None,
        end: Annotated[
            datetime | None, QueryParameter(name="to", description="ISO time with offset [default: now]")
        ] = None,
        fmt: Annotated[Format, QueryParameter(name="format", description="json, csv or parquet (one row)")] = "json",
    ) -> Response[dict[str, Any]]:
        """Energy delivered against planned, charge completion rate, charger utilisation and cost per vehicle
        (each defined with its formula in ``engine/kpis.py``)."""
        start, end = period(start, end, timedelta(days=1))
        kpis = depot_kpis(request.app.state.store, principal.tenant, depot, start, end)
        return Response(kpis) if fmt == "json" else table_response([kpis], fmt, "kpis")
