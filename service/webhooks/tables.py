"""The webhook tables (revision ``0003``, :mod:`service.migrations`).

- ``webhook_subscriptions``: per tenant a URL, the event types it wants (``*`` all), its signing secret
  (``whsec_`` + base64 of 32 random bytes; kept as is, since signing needs it) and the previous secret with the
  time it stops being used too (during a rotation both sign), enabled or disabled with the reason.
- ``webhook_deliveries``: append-only, every attempt: message id, HTTP status (0: no answer), when.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, Index, Integer, MetaData, String, Table, Text

metadata = MetaData()
APPEND_ONLY = ("webhook_deliveries",)

webhook_subscriptions = Table(
    "webhook_subscriptions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("tenant", String(64), nullable=False, index=True),
    Column("url", Text, nullable=False),
    Column("events", String(512), nullable=False),
    Column("secret", String(128), nullable=False),
    Column("previous_secret", String(128), nullable=True),
    Column("previous_until", DateTime(timezone=True), nullable=True),
    Column("enabled", Boolean, nullable=False),
    Column("disabled_reason", Text, nullable=True),
    Column("created", DateTime(timezone=True), nullable=False),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("subscription_id", Integer, nullable=False),
    Column("message_id", String(80), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("status", Integer, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Index("webhook_deliveries_by_message", "tenant", "message_id"),
)
