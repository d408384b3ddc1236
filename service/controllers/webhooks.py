"""``/v1/webhooks``: subscriptions to the service's events (scope ``admin``), their secrets and deliveries."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from pydantic import BaseModel, Field

from engine.errors import InputError, Problem
from service.auth import Principal
from service.security import provide_principal, requires
from service.webhooks.subscriptions import Subscriptions

EVENT_TYPES = ("charger.unavailable", "reconciliation.drift", "alert.raised")


class NewSubscription(BaseModel):
    """Where to POST events and which ones (``*``: all)."""

    url: str = Field(max_length=2000)
    events: list[str] = Field(default_factory=lambda: ["*"], max_length=20)


class SubscriptionInfo(BaseModel):
    id: int
    url: str
    events: list[str]
    enabled: bool
    disabled_reason: str | None
    secret: str | None = Field(None, description="Shown once, when created or rotated: verify signatures with it.")


class Delivery(BaseModel):
    subscription_id: int
    message_id: str
    attempt: int
    status: int
    at: str


class WebhookController(Controller):
    """The caller's tenant's webhook subscriptions."""

    path = "/v1/webhooks"
    tags = ["webhooks"]
    dependencies = {"principal": Provide(provide_principal)}

    @post(
        "/",
        operation_id="createWebhook",
        summary="Subscribe a URL to events",
        guards=[requires("admin")],
        status_code=HTTP_201_CREATED,
        sync_to_thread=True,
    )
    def create(
        self, request: Request, principal: NamedDependency[Principal], data: JSONBody[NewSubscription]
    ) -> SubscriptionInfo:
        """Events (``charger.unavailable``, ``reconciliation.drift``, ``alert.raised``) are POSTed signed (Standard Webhooks:
        ``webhook-id``, ``webhook-timestamp``, ``webhook-signature``) with the secret answered here, once."""
        unknown = sorted(set(data.events) - {*EVENT_TYPES, "*"})
        if unknown:
            raise InputError(
                [Problem(f"unknown event types {unknown}; choose from {', '.join(EVENT_TYPES)}", "events")]
            )
        try:
            sub, secret = Subscriptions(request.app.state.store.engine).add(principal.tenant, data.url, data.events)
        except ValueError as exc:
            raise InputError([Problem(str(exc).removeprefix("url: "), "url")]) from None
        request.app.state.store.audit(
            principal.tenant, principal.key_prefix, "webhook.create", f"webhook:{sub.id}", {"url": sub.url}
        )
        return SubscriptionInfo(**sub.as_json(), secret=secret)

    @get(
        "/",
        operation_id="listWebhooks",
        summary="Webhook subscriptions",
        guards=[requires("admin")],
        sync_to_thread=True,
    )
    def list_all(self, request: Request, principal: NamedDependency[Principal]) -> list[SubscriptionInfo]:
        """Every subscription of the tenant, enabled or not (never a secret)."""
        subs = Subscriptions(request.app.state.store.engine).of_tenant(principal.tenant)
        return [SubscriptionInfo(**s.as_json()) for s in subs]

    @post(
        "/{subscription_id:int}/rotate",
        operation_id="rotateWebhookSecret",
        summary="A new signing secret",
        guards=[requires("admin")],
        status_code=HTTP_200_OK,
        sync_to_thread=True,
    )
    def rotate(
        self,
        request: Request,
        principal: NamedDependency[Principal],
        subscription_id: Annotated[int, PathParameter(ge=1, le=2**31 - 1)],
    ) -> SubscriptionInfo:
        """A new secret, answered once; for 24 h both the old and the new one sign every message."""
        subs = Subscriptions(request.app.state.store.engine)
        try:
            secret = subs.rotate(principal.tenant, subscription_id)
        except LookupError as exc:
            raise NotFoundException(str(exc)) from None
        request.app.state.store.audit(
            principal.tenant, principal.key_prefix, "webhook.rotate", f"webhook:{subscription_id}", {}
        )
        sub = subs.get(principal.tenant, subscription_id)
        assert sub is not None
        return SubscriptionInfo(**sub.as_json(), secret=secret)

    @get(
        "/deliveries",
        operation_id="listWebhookDeliveries",
        summary="Delivery attempts",
        guards=[requires("admin")],
        sync_to_thread=True,
    )
    def deliveries(
        self,
        request: Request,
        principal: NamedDependency[Principal],
        message_id: Annotated[str | None, QueryParameter(max_length=80)] = None,
    ) -> list[Delivery]:
        """Every attempt (status 0: no answer), oldest first."""
        rows = Subscriptions(request.app.state.store.engine).deliveries(principal.tenant, message_id)
        return [Delivery(**{**r, "at": r["at"].isoformat()}) for r in rows]
