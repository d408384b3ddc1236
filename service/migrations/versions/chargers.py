"""The central system's tables: chargers, charger_sessions, charger_status, charger_schedules
(:mod:`service.ocpp.tables`), the last two append-only.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

from service.ocpp.tables import APPEND_ONLY, metadata
from service.tables import make_append_only

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    metadata.create_all(conn)
    make_append_only(conn, APPEND_ONLY)


def downgrade() -> None:
    metadata.drop_all(op.get_bind())
