"""Schema 4, the last before Alembic: a new store is created whole; a store made by an earlier fleetcharge gets
what it lacks (api_keys' key-life columns, the decisions indexes, the append-only triggers, the version row).

Revision ID: 0001
Revises: none
"""

from __future__ import annotations

from alembic import op

from service.tables import create_schema

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_schema(op.get_bind())


def downgrade() -> None:
    raise RuntimeError("schema 4 is the baseline: there is nothing before it to go back to")
