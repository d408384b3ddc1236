"""Webhook subscriptions in the store: add, list, rotate a secret, disable, and the deliveries' log."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlparse

from sqlalchemy import Engine, insert, select, update

from engine.timezones import as_utc
from service.webhooks.tables import webhook_deliveries, webhook_subscriptions

ROTATION_OVERLAP = timedelta(hours=24)  # both secrets sign for this long after a rotation


@dataclass(frozen=True)
class Subscription:
    id: int
    tenant: str
    url: str
    events: tuple[str, ...]
    secrets: tuple[str, ...]  # the current one first; the previous one during a rotation's overlap
    enabled: bool
    disabled_reason: str | None

    def wants(self, event_type: str) -> bool:
        return self.enabled and ("*" in self.events or event_type in self.events)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": self.url,
            "events": list(self.events),
            "enabled": self.enabled,
            "disabled_reason": self.disabled_reason,
        }


def new_secret() -> str:
    """``whsec_`` + base64 of 32 random bytes (Standard Webhooks: 24 to 64 bytes)."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def check_url(url: str) -> str:
    parts = urlparse(url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise ValueError(f"url: an http(s) URL is needed, got {url!r}")
    return url


class Subscriptions:
    """Reads and writes of subscriptions and deliveries (blocking: call off the loop)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, tenant: str, url: str, events: list[str]) -> tuple[Subscription, str]:
        """A new enabled subscription; it and its secret (shown once)."""
        secret = new_secret()
        with self.engine.begin() as conn:
            new_id = conn.execute(
                insert(webhook_subscriptions).values(
                    tenant=tenant,
                    url=check_url(url),
                    events=",".join(sorted(set(events or ["*"]))),
                    secret=secret,
                    enabled=True,
                    created=datetime.now(UTC),
                )
            ).inserted_primary_key[0]
        found = self.get(tenant, int(new_id))
        assert found is not None
        return found, secret

    def get(self, tenant: str, subscription_id: int, now: datetime | None = None) -> Subscription | None:
        c = webhook_subscriptions.c
        with self.engine.connect() as conn:
            row = conn.execute(select(webhook_subscriptions).where(c.tenant == tenant, c.id == subscription_id)).first()
        return None if row is None else _subscription(row, now or datetime.now(UTC))

    def of_tenant(self, tenant: str, now: datetime | None = None) -> list[Subscription]:
        c = webhook_subscriptions.c
        q = select(webhook_subscriptions).where(c.tenant == tenant).order_by(c.id)
        with self.engine.connect() as conn:
            return [_subscription(r, now or datetime.now(UTC)) for r in conn.execute(q)]

    def rotate(self, tenant: str, subscription_id: int) -> str:
        """A new secret; the old one keeps signing beside it for ``ROTATION_OVERLAP``."""
        old = self.get(tenant, subscription_id)
        if old is None:
            raise LookupError(f"no webhook subscription {subscription_id} for this tenant")
        secret = new_secret()
        c = webhook_subscriptions.c
        with self.engine.begin() as conn:
            conn.execute(
                update(webhook_subscriptions)
                .where(c.tenant == tenant, c.id == subscription_id)
                .values(
                    secret=secret,
                    previous_secret=old.secrets[0],
                    previous_until=datetime.now(UTC) + ROTATION_OVERLAP,
                )
            )
        return secret

    def disable(self, tenant: str, subscription_id: int, reason: str) -> None:
        c = webhook_subscriptions.c
        with self.engine.begin() as conn:
            conn.execute(
                update(webhook_subscriptions)
                .where(c.tenant == tenant, c.id == subscription_id)
                .values(enabled=False, disabled_reason=reason)
            )

    def delivered(self, tenant: str, subscription_id: int, message_id: str, attempt: int, status: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                insert(webhook_deliveries).values(
                    tenant=tenant,
                    subscription_id=subscription_id,
                    message_id=message_id,
                    attempt=attempt,
                    status=status,
                    at=datetime.now(UTC),
                )
            )

    def deliveries(self, tenant: str, message_id: str | None = None) -> list[dict[str, Any]]:
        c = webhook_deliveries.c
        q = select(webhook_deliveries).where(c.tenant == tenant)
        if message_id is not None:
            q = q.where(c.message_id == message_id)
        with self.engine.connect() as conn:
            return [
                {
                    "subscription_id": r.subscription_id,
                    "message_id": r.message_id,
                    "attempt": r.attempt,
                    "status": r.status,
                    "at": as_utc(r.at),
                }
                for r in conn.execute(q.order_by(c.id))
            ]


def _subscription(row: Any, now: datetime) -> Subscription:
    keys = [row.secret]
    if row.previous_secret and row.previous_until is not None and as_utc(row.previous_until) > now:
        keys.append(row.previous_secret)
    return Subscription(
        id=row.id,
        tenant=row.tenant,
        url=row.url,
        events=tuple(row.events.split(",")),
        secrets=tuple(keys),
        enabled=bool(row.enabled),
        disabled_reason=row.disabled_reason,
    )
