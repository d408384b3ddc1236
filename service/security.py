"""Authentication (``Authorization: Bearer KEY``) and scope guards."""

from __future__ import annotations

from collections.abc import Callable

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException, TooManyRequestsException
from litestar.handlers.base import BaseRouteHandler

from service.auth import Principal
from service.rate_limit import RateLimiter, retry_after


def authenticate(connection: ASGIConnection) -> Principal:
    """The caller's principal; 401 without a valid key. The key itself is never logged or stored."""
    cached = connection.scope.get("state", {}).get("principal")
    if cached is not None:
        return cached
    header = connection.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise NotAuthorizedException("send an API key as 'Authorization: Bearer KEY'")
    limits = connection.app.state.rate_limits
    principal = connection.app.state.store.principal(key.strip())
    if principal is None:
        client = connection.client.host if connection.client else "unknown"
        _limit(limits.failed, f"client:{client}", "too many requests with unknown, revoked or expired keys")
        raise NotAuthorizedException("unknown, revoked or expired API key")
    _limit(limits.per_key, f"key:{principal.key_prefix}", f"key {principal.key_prefix} is over its request rate")
    connection.scope.setdefault("state", {})["principal"] = principal
    return principal


def _limit(limiter: RateLimiter, key: str, what: str) -> None:
    """429 with ``Retry-After`` when ``key``'s bucket is empty."""
    wait = limiter.take(key)
    if wait is not None:
        raise TooManyRequestsException(
            f"{what}; retry after {retry_after(wait)} s", headers={"Retry-After": retry_after(wait)}
        )


def requires(scope: str) -> Callable[[ASGIConnection, BaseRouteHandler], None]:
    """A guard admitting keys with ``scope`` (or admin)."""

    def guard(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
        principal = authenticate(connection)
        if not principal.allows(scope):
            raise PermissionDeniedException(f"this key lacks the {scope!r} scope")

    guard.__name__ = f"requires_{scope}"
    return guard


async def provide_principal(request: ASGIConnection) -> Principal:
    """Dependency: the authenticated caller (guards have already checked it)."""
    return authenticate(request)
