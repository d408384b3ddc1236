"""Alembic migrations (issue 18.7), run when a store opens, on SQLite and on PostgreSQL when one answers: a new
store is at the newest revision, a store made before Alembic is brought to it, and opening again changes nothing."""

from __future__ import annotations

import sqlite3
import uuid

import pytest
from sqlalchemy import create_engine, inspect, text

from service.migrations import current, head
from service.store import Store
from service.tables import SCHEMA_VERSION
from tests.service.test_store import PG_URL, _pg_answers


def test_the_newest_revision_adds_the_decision_horizons_after_the_alerts() -> None:
    assert head() == "0005" and SCHEMA_VERSION == 4


def test_a_store_at_the_baseline_gets_the_charger_tables_and_their_log_is_append_only(tmp_path) -> None:
    db = tmp_path / "r1.db"
    Store(f"sqlite:///{db}").dispose()
    with sqlite3.connect(db) as conn:
        for table in ("chargers", "charger_sessions", "charger_status", "charger_schedules"):
            conn.execute(f"DROP TABLE {table}")
        conn.execute("UPDATE alembic_version SET version_num = '0001'")
    store = Store(f"sqlite:///{db}")
    assert current(store.engine) == head()
    assert {"chargers", "charger_sessions", "charger_status", "charger_schedules"} <= set(
        inspect(store.engine).get_table_names()
    )
    with store.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO charger_status (tenant, charger_id, connector_id, at, status, error_code) "
                "VALUES ('t', 'CP1', 1, '2026-01-01 00:00:00', 'Available', 'NoError')"
            )
        )
    with pytest.raises(Exception, match="append-only"), store.engine.begin() as conn:
        conn.execute(text("DELETE FROM charger_status"))


def test_a_new_sqlite_store_is_at_the_newest_revision_and_a_reopen_changes_nothing(tmp_path) -> None:
    db = tmp_path / "new.db"
    store = Store(f"sqlite:///{db}")
    assert current(store.engine) == head()
    store.create_key("acme", frozenset({"read"}))
    store.dispose()
    with sqlite3.connect(db) as conn:
        before = conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
    again = Store(f"sqlite:///{db}")
    assert len(again.list_keys("acme")) == 1 and current(again.engine) == head()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall() == before


def test_a_store_made_before_alembic_is_brought_to_the_newest_revision(tmp_path) -> None:
    """Schema 3 without Alembic: no decisions_by_inputs index, no alembic_version table."""
    db = tmp_path / "v3.db"
    Store(f"sqlite:///{db}").dispose()
    with sqlite3.connect(db) as conn:
        conn.execute("DROP INDEX decisions_by_inputs")
        conn.execute("UPDATE schema_version SET version = 3")
        conn.execute("DROP TABLE alembic_version")
    store = Store(f"sqlite:///{db}")
    assert current(store.engine) == head()
    indexes = {i["name"] for i in inspect(store.engine).get_indexes("decisions")}
    assert "decisions_by_inputs" in indexes
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT version FROM schema_version")).scalar_one() == SCHEMA_VERSION


def test_on_postgresql_a_store_is_migrated_in_its_own_schema() -> None:
    why = _pg_answers()
    if why:
        pytest.skip(why)
    schema = f"mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = PG_URL + ("&" if "?" in PG_URL else "?") + f"options=-csearch_path%3D{schema}"
    try:
        store = Store(url)
        assert current(store.engine) == head()
        assert "decisions_by_inputs" in {i["name"] for i in inspect(store.engine).get_indexes("decisions")}
        assert "charger_sessions" in inspect(store.engine).get_table_names()
        store.create_key("acme", frozenset({"read"}))
        store.dispose()
        again = Store(url)
        assert len(again.list_keys("acme")) == 1 and current(again.engine) == head()
        again.dispose()
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
