"""``/v1/alerts``: alerts raised from decisions (``engine/alerts.py``), one per condition; acknowledge, resolve."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import ClientException, NotFoundException
from litestar.params import JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_409_CONFLICT
from pydantic import BaseModel, Field

from service.alerts.store import AlertConflict, AlertStore
from service.auth import Principal
from service.exports import Format, table_response
from service.security import provide_principal, requires

Status = Annotated[str | None, QueryParameter(pattern="^(open|acknowledged|resolved)$")]


class AlertChange(BaseModel):
    """An optional note kept on the alert."""

    note: str | None = Field(None, max_length=2000)


class AlertController(Controller):
    """The caller's tenant's alerts."""

    path = "/v1/alerts"
    tags = ["alerts"]
    dependencies = {"principal": Provide(provide_principal)}

    @get("/", operation_id="listAlerts", summary="Alerts, newest first", guards=[requires("read")], sync_to_thread=True)
    def list_all(
        self,
        request: Request,
        principal: NamedDependency[Principal],
        status: Status = None,
        depot: Annotated[str | None, QueryParameter(max_length=100)] = None,
        fmt: Annotated[Format, QueryParameter(name="format", description="json, csv or parquet")] = "json",
    ) -> Response:
        """Each alert: kind, priority (P1, P2), the vehicles and departures at risk, the reason, the action the
        policy took or proposes, how often the condition was raised and who acknowledged or resolved it."""
        rows = AlertStore(request.app.state.store.engine).list(principal.tenant, status, depot)
        return table_response(rows, fmt, "alerts")

    def _change(self, request: Request, principal: Principal, alert_id: int, to: str, data: AlertChange | None) -> dict:
        try:
            row = AlertStore(request.app.state.store.engine).change(
                principal.tenant, alert_id, to, principal.key_prefix, data.note if data else None
            )
        except LookupError as exc:
            raise NotFoundException(str(exc)) from None
        except AlertConflict as exc:
            raise ClientException(str(exc), status_code=HTTP_409_CONFLICT) from None
        verb = "acknowledge" if to == "acknowledged" else "resolve"
        request.app.state.store.audit(principal.tenant, principal.key_prefix, f"alert.{verb}", f"alert:{alert_id}", {})
        return row

    @post(
        "/{alert_id:int}/acknowledge",
        operation_id="acknowledgeAlert",
        summary="Acknowledge an open alert",
        guards=[requires("approve")],
        status_code=HTTP_200_OK,
        sync_to_thread=True,
    )
    def acknowledge(
        self,
        request: Request,
        principal: NamedDependency[Principal],
        alert_id: Annotated[int, PathParameter(ge=1, le=2**31 - 1)],
        data: JSONBody[AlertChange | None] = None,
    ) -> dict[str, Any]:
        """Someone is on it (409 unless the alert is open)."""
        return self._change(request, principal, alert_id, "acknowledged", data)

    @post(
        "/{alert_id:int}/resolve",
        operation_id="resolveAlert",
        summary="Resolve an alert",
        guards=[requires("approve")],
        status_code=HTTP_200_OK,
        sync_to_thread=True,
    )
    def resolve(
        self,
        request: Request,
        principal: NamedDependency[Principal],
        alert_id: Annotated[int, PathParameter(ge=1, le=2**31 - 1)],
        data: JSONBody[AlertChange | None] = None,
    ) -> dict[str, Any]:
        """Done (409 when already resolved); the same condition raised again opens it again."""
        return self._change(request, principal, alert_id, "resolved", data)
