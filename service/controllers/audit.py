"""``/v1/audit``: the tenant's append-only log of control actions."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter

from service.auth import Principal
from service.schemas import AuditPage
from service.security import provide_principal, requires


class AuditController(Controller):
    """Audit log (admin keys)."""

    path = "/v1/audit"
    tags = ["audit"]
    dependencies = {"principal": Provide(provide_principal)}

    @get("/", operation_id="listAudit", summary="Audit log", guards=[requires("admin")])
    async def list(
        self,
        request: Request,
        principal: NamedDependency[Principal],
        page: Annotated[int, QueryParameter(ge=1, le=1_000_000)] = 1,
        page_size: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
    ) -> AuditPage:
        """Every control action of the tenant (who, what, when), oldest first."""
        items, total = request.app.state.store.audit_log(
            principal.tenant, limit=page_size, offset=(page - 1) * page_size
        )
        return AuditPage(items=items, page=page, page_size=page_size, total=total)
