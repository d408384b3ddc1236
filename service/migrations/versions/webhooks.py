"""The webhook tables: webhook_subscriptions and webhook_deliveries (:mod:`service.webhooks.tables`), the second
append-only.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

from service.tables import postgres_triggers, sqlite_triggers
from service.webhooks.tables import APPEND_ONLY, metadata

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    metadata.create_all(conn)
    dialect = conn.dialect.name
    for table in APPEND_ONLY:
        statements = sqlite_triggers(table) if dialect == "sqlite" else postgres_triggers(table)
        for statement in statements if dialect in ("sqlite", "postgresql") else []:
            conn.execute(text(statement))


def downgrade() -> None:
    metadata.drop_all(op.get_bind())
