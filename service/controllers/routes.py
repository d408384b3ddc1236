"""``POST /v1/routes/options``: where a route stops to charge, as options (``engine/routing/options.py``)."""

from __future__ import annotations

from litestar import Controller, Request, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK
from pydantic import BaseModel, Field

from engine.policy.schema import Policy
from engine.routing.fixed_route import FixedRoute
from engine.routing.options import RouteOptions, route_options
from service.auth import Principal
from service.decisions import requested_policy
from service.security import provide_principal, requires


class RouteRequest(BaseModel):
    """A route with its vehicle, network and stations, and the policy whose ``routing`` section scores it."""

    route: FixedRoute
    policy: str | Policy | None = Field(None, description="A shipped policy's name or a policy document.")


class RouteController(Controller):
    """Route options for the caller's tenant."""

    path = "/v1/routes"
    tags = ["routes"]
    dependencies = {"principal": Provide(provide_principal)}

    @post(
        "/options",
        operation_id="routeOptions",
        summary="Charging stops for a route: fastest, cheapest, lowest risk, balanced",
        guards=[requires("plan")],
        status_code=HTTP_200_OK,
        sync_to_thread=True,
    )
    def options(
        self, request: Request, principal: NamedDependency[Principal], data: JSONBody[RouteRequest]
    ) -> RouteOptions:
        """Each option exact for its objective, with duration, energy charged, its cost, the probability a stop
        fails, its stops and why it differs; an undoable route gets the reason and the least energy to leave
        with."""
        routing = None
        if data.policy is not None:
            policy, _name = requested_policy(request.app.state.settings.policies_dir, data.policy)
            routing = policy.routing
        return route_options(data.route, routing)
