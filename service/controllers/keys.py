"""``/v1/keys``: the tenant's API keys (admin): list them, revoke one, rotate one (a new key, the old revoked)."""

from __future__ import annotations

from datetime import datetime

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.status_codes import HTTP_200_OK

from service.auth import Principal, prefix_of
from service.schemas import KeyInfo, RotatedKey
from service.security import provide_principal, requires


class KeyController(Controller):
    """API keys of the caller's tenant (admin keys only). Every revoke and rotate is in the audit log."""

    path = "/v1/keys"
    tags = ["keys"]
    dependencies = {"principal": Provide(provide_principal)}

    @get("/", operation_id="listKeys", summary="The tenant's API keys", guards=[requires("admin")])
    async def list(self, request: Request, principal: NamedDependency[Principal]) -> list[KeyInfo]:
        """Every key of the tenant, oldest first: prefix, scopes, label, created, expires, revoked, last used and
        state (active, expired, revoked). Never the key or its hash."""
        return [KeyInfo(**k) for k in request.app.state.store.list_keys(principal.tenant)]

    @post(
        "/{prefix:str}/revoke",
        operation_id="revokeKey",
        summary="Revoke a key",
        guards=[requires("admin")],
        status_code=HTTP_200_OK,
    )
    async def revoke(self, request: Request, principal: NamedDependency[Principal], prefix: FromPath[str]) -> KeyInfo:
        """The key stops working at once (404 if the tenant has no such active key)."""
        store = request.app.state.store
        if not store.revoke_key(prefix, principal.tenant):
            raise NotFoundException(f"no active key {prefix!r}")
        store.audit(principal.tenant, principal.key_prefix, "key.revoke", f"api_key:{prefix}")
        return KeyInfo(**store.key_info(prefix, principal.tenant))

    @post(
        "/{prefix:str}/rotate",
        operation_id="rotateKey",
        summary="Replace a key",
        guards=[requires("admin")],
        status_code=HTTP_200_OK,
    )
    async def rotate(
        self,
        request: Request,
        principal: NamedDependency[Principal],
        prefix: FromPath[str],
        expires: FromQuery[datetime | None] = None,
    ) -> RotatedKey:
        """A new key with the same scopes and label (shown once, here), the old one revoked; ``expires``
        (optional query, with offset) sets the new key's expiry."""
        store = request.app.state.store
        key = store.rotate_key(prefix, principal.tenant, expires)
        if key is None:
            raise NotFoundException(f"no active key {prefix!r}")
        new = prefix_of(key)
        store.audit(principal.tenant, principal.key_prefix, "key.rotate", f"api_key:{prefix}", {"new": new})
        return RotatedKey(key=key, **store.key_info(new, principal.tenant))
