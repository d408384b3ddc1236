"""The decision_horizons table (:mod:`service.decision_horizons`): when each decision was planned and the last
departure it plans for, backfilled from the stored problems.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from alembic import op

from service.decision_horizons import backfill, metadata

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    metadata.create_all(op.get_bind())
    backfill(op.get_bind())


def downgrade() -> None:
    metadata.drop_all(op.get_bind())
