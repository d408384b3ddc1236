"""Alembic migrations of the store (SQLite and PostgreSQL), run when a :class:`service.store.Store` opens.

Revisions live in ``versions/``; ``0001`` brings any store to schema 4, the last one before Alembic (a new store
is created whole, an older one gets what it lacks: columns, indexes, triggers). Every later change to the tables is
a revision of its own: copy ``versions/baseline.py``, give it the next ``revision`` with ``down_revision`` the
one before, and write its ``upgrade`` with ``alembic.op``; the store runs it on open, and a test of it runs on
SQLite and on PostgreSQL (``tests/service/test_migrations.py``).
"""

from __future__ import annotations

from importlib.resources import files

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(files("service.migrations")))
    return cfg


def upgrade(engine: Engine) -> None:
    """Bring the store at ``engine`` to the newest revision, in one transaction."""
    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def head() -> str:
    """The newest revision."""
    return ScriptDirectory.from_config(_config()).get_current_head() or ""


def current(engine: Engine) -> str | None:
    """The revision the store at ``engine`` is at (None: never migrated)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
