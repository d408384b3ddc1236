"""The central system's tables: chargers, charger_sessions, charger_status, charger_schedules
(:mod:`service.ocpp.tables`), the last two append-only.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

from service.ocpp.tables import APPEND_ONLY, metadata
from service.tables import postgres_triggers, sqlite_triggers

revision = "0002"
down_revision = "0001"
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
