"""Delivering events to webhook subscribers: each (subscription, message) a DBOS workflow in the job store.

A message is one event: its id (``webhook-id``, ``msg_`` + 24 hex digits of a hash of tenant, event type and the
event's own key) makes a repeated publish of the same condition the same message, and it is the subscriber's
idempotency key across retries. The body (``{"type", "timestamp", "data"}``) is fixed when first published and
sent byte for byte on every attempt; each attempt has its own ``webhook-timestamp`` and a ``webhook-signature``
of ``<id>.<timestamp>.<body>`` by every secret in force (two during a rotation's overlap), as the Standard
Webhooks convention says (signed with its reference library, ``standardwebhooks``).

An attempt: 2xx delivered; 410 Gone disables the subscription and ends; anything else (another status, no
answer within ``timeout_s``) is tried again after ``min(backoff_s * 2**attempt, 1 h)``, durably, until
``deadline_s`` after the publish. Every attempt is logged in ``webhook_deliveries``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from dbos import DBOS, SetWorkflowID
from standardwebhooks.webhooks import Webhook

from service.webhooks.subscriptions import Subscriptions

LOG = logging.getLogger("fleetcharge.webhooks")
MAX_BACKOFF_S = 3600.0


def message_id(tenant: str, event_type: str, key: str) -> str:
    return "msg_" + hashlib.sha256(f"{tenant}\x1f{event_type}\x1f{key}".encode()).hexdigest()[:24]


def signature_header(secrets: tuple[str, ...], msg_id: str, at: datetime, body: str) -> str:
    """``webhook-signature``: a ``v1,<base64>`` per secret, space-separated."""
    return " ".join(Webhook(secret).sign(msg_id, at, body) for secret in secrets)


class WebhookSender:
    """Publishes events to the tenant's subscribers (module doc)."""

    def __init__(
        self,
        subscriptions: Subscriptions,
        timeout_s: float = 10.0,
        deadline_s: float = 86_400.0,
        backoff_s: float = 1.0,
    ) -> None:
        self.subscriptions, self.timeout_s, self.deadline_s, self.backoff_s = (
            subscriptions,
            timeout_s,
            deadline_s,
            backoff_s,
        )

    def start(self) -> None:
        """Before the job runner launches DBOS: deliveries it recovers find this sender."""
        global _sender
        _sender = self

    def stop(self) -> None:
        global _sender
        if _sender is self:
            _sender = None

    async def publish(self, tenant: str, event_type: str, key: str, data: dict[str, Any]) -> list[str]:
        """Send the event to every subscription that wants it; the workflow ids (one per subscription)."""
        msg_id = message_id(tenant, event_type, key)
        now = datetime.now(UTC)
        body = json.dumps({"type": event_type, "timestamp": now.isoformat(), "data": data}, sort_keys=True, default=str)
        deadline = (now + timedelta(seconds=self.deadline_s)).isoformat()
        started = []
        for sub in await asyncio.to_thread(self.subscriptions.of_tenant, tenant):
            if not sub.wants(event_type):
                continue
            workflow_id = f"webhook/{sub.id}/{msg_id}"
            with SetWorkflowID(workflow_id):
                await DBOS.start_workflow_async(_deliver, tenant, sub.id, msg_id, body, deadline)
            started.append(workflow_id)
        return started

    async def attempt(self, tenant: str, subscription_id: int, msg_id: str, body: str, attempt: int) -> str:
        """One POST: ``delivered``, ``gone`` (410: the subscription is disabled), ``disabled`` or ``retry``."""
        sub = await asyncio.to_thread(self.subscriptions.get, tenant, subscription_id)
        if sub is None or not sub.enabled:
            return "disabled"
        at = datetime.now(UTC)
        headers = {
            "content-type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": signature_header(sub.secrets, msg_id, at, body),
        }
        try:
            async with httpx.AsyncClient(timeout=self.timeout_s) as client:
                status = (await client.post(sub.url, content=body.encode(), headers=headers)).status_code
        except httpx.HTTPError as exc:
            LOG.warning("webhook %s to %s: %s", msg_id, sub.url, exc)
            status = 0
        await asyncio.to_thread(self.subscriptions.delivered, tenant, subscription_id, msg_id, attempt + 1, status)
        if 200 <= status < 300:
            return "delivered"
        if status == 410:
            reason = f"the subscriber answered 410 Gone to {msg_id}"
            await asyncio.to_thread(self.subscriptions.disable, tenant, subscription_id, reason)
            return "gone"
        return "retry"


_sender: WebhookSender | None = None


@DBOS.step(name="fleetcharge.webhook.attempt")
async def _attempt(tenant: str, subscription_id: int, msg_id: str, body: str, deadline: str, attempt: int) -> str:
    if datetime.now(UTC) >= datetime.fromisoformat(deadline):
        return "expired"
    if _sender is None:
        return "retry"
    return await _sender.attempt(tenant, subscription_id, msg_id, body, attempt)


@DBOS.workflow(name="fleetcharge.webhook")
async def _deliver(tenant: str, subscription_id: int, msg_id: str, body: str, deadline: str) -> str:
    """Attempts with durable sleeps in between until delivered, gone, disabled or expired; that outcome."""
    attempt = 0
    while True:
        outcome = await _attempt(tenant, subscription_id, msg_id, body, deadline, attempt)
        if outcome != "retry":
            return outcome
        backoff = _sender.backoff_s if _sender is not None else 1.0
        await DBOS.sleep_async(min(backoff * 2**attempt, MAX_BACKOFF_S))
        attempt += 1
