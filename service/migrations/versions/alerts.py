"""The alerts table (:mod:`service.alerts.tables`): one row per tenant and condition.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

from service.alerts.tables import metadata

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    metadata.create_all(op.get_bind())


def downgrade() -> None:
    metadata.drop_all(op.get_bind())
