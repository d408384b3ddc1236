"""The webhook tables: webhook_subscriptions and webhook_deliveries (:mod:`service.webhooks.tables`), the second
append-only.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

from service.tables import make_append_only
from service.webhooks.tables import APPEND_ONLY, metadata

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    metadata.create_all(conn)
    make_append_only(conn, APPEND_ONLY)


def downgrade() -> None:
    metadata.drop_all(op.get_bind())
