"""The service's tables (SQLAlchemy 2 Core) and their creation. Every row carries its tenant.

- ``api_keys``: hashed keys with tenant, scopes, label, expiry, revocation and last use.
- ``decisions``: append-only; the stored inputs (problem, policy, strategy) and the Decision JSON.
- ``reviews``: append-only approvals and overrides of decisions.
- ``audit``: append-only log of every control action.
- ``fleets``: named problems a tenant keeps (the demo depot is one).
- ``telemetry_events``: one row per accepted event, unique per (tenant, event_id): a duplicate is acknowledged and
  counted, never applied twice. Keeps the raw payload for replay and the store's ``received_time``. Append-only.
- ``telemetry_quarantine``: every event a check refused, with its reason, message and raw payload. Append-only.
- ``telemetry_releases``: each release of a quarantined event (corrected or re-checked) and its outcome.
- ``telemetry_latest``: per (tenant, vehicle, type) the winning event (latest event time, then event id), the
  incremental state, updated in the ingesting transaction.

Append-only is enforced by the database too: triggers refuse UPDATE and DELETE. ``schema_version`` records the
schema's version for future migrations.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)

SCHEMA_VERSION = 4  # 2: api_keys.label, expires, revoked, last_used; 3: index decisions_by_tenant_time; 4: index
# decisions_by_inputs
APPEND_ONLY = (
    "decisions",
    "reviews",
    "audit",
    "telemetry_events",
    "telemetry_quarantine",
    "telemetry_releases",
)

metadata = MetaData()

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("tenant", String(64), nullable=False, index=True),
    Column("prefix", String(16), nullable=False, unique=True),
    Column("key_hash", String(64), nullable=False),
    Column("scopes", String(64), nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    *(
        KEY_LIFE_COLUMNS := (  # schema version 2 (added to older stores by create_schema)
            Column("label", String(40), nullable=True),
            Column("expires", DateTime(timezone=True), nullable=True),
            Column("revoked", DateTime(timezone=True), nullable=True),
            Column("last_used", DateTime(timezone=True), nullable=True),
        )
    ),
)

decisions = Table(
    "decisions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("tenant", String(64), nullable=False, index=True),
    Column("decision_id", String(64), nullable=False),
    Column("created", DateTime(timezone=True), nullable=False, index=True),
    Column("status", String(32), nullable=False),
    Column("mode", String(16), nullable=False),
    Column("depots", String(512), nullable=False),  # "|d1|d2|"
    Column("strategy", String(32), nullable=False),
    Column("policy_name", String(128), nullable=False),
    Column("policy_version", String(64), nullable=False),
    Column("policy_hash", String(64), nullable=False),
    Column("problem_hash", String(64), nullable=False),
    Column("engine_version", String(32), nullable=False),
    Column("total_usd", String(32), nullable=False),
    Column("problem_json", Text, nullable=False),
    Column("policy_json", Text, nullable=False),
    Column("decision_json", Text, nullable=False),
    UniqueConstraint("tenant", "decision_id", name="one_decision_per_tenant_and_id"),
    # a listing walks this index newest first and stops at the page: without it the store sorts every decision of
    # the tenant, visiting each row's page (a row is tens of kB of JSON), 6.5 ms at 2,200 decisions vs 0.8 ms
    Index("decisions_by_tenant_time", "tenant", "created", "id"),
    # schema version 4: an identical plan request finds its stored decision before solving (service.decisions)
    Index("decisions_by_inputs", "tenant", "problem_hash", "policy_hash", "strategy"),
)

reviews = Table(
    "reviews",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("tenant", String(64), nullable=False, index=True),
    Column("decision_id", String(64), nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # approve | override
    Column("reason", Text, nullable=False),
    Column("changes_json", Text, nullable=False),
    Column("actor", String(16), nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
)

audit = Table(
    "audit",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("tenant", String(64), nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(16), nullable=False),
    Column("action", String(64), nullable=False),
    Column("resource", String(128), nullable=False),
    Column("detail_json", Text, nullable=False),
)

fleets = Table(
    "fleets",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("name", String(64), nullable=False),
    Column("problem_json", Text, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    UniqueConstraint("tenant", "name", name="one_fleet_per_tenant_and_name"),
)

schema_version = Table("schema_version", metadata, Column("version", Integer, primary_key=True))


telemetry_events = Table(
    "telemetry_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("event_id", String(200), nullable=False),
    Column("vehicle_id", String(100), nullable=False),
    Column("source", String(100), nullable=False),
    Column("event_time", DateTime(timezone=True), nullable=False),
    Column("type", String(20), nullable=False),
    Column("values_json", Text, nullable=False),
    Column("payload_version", String(40), nullable=False),
    Column("confidence", Float, nullable=True),
    Column("odometer_km", Float, nullable=True),  # copied out of values for the odometer check
    Column("received_time", DateTime(timezone=True), nullable=False),
    Column("raw_json", Text, nullable=False),
    UniqueConstraint("tenant", "event_id", name="one_event_per_tenant_and_id"),
    Index("telemetry_by_vehicle_type_time", "tenant", "vehicle_id", "type", "event_time", "event_id"),
)

telemetry_quarantine = Table(
    "telemetry_quarantine",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("tenant", String(64), nullable=False, index=True),
    Column("event_id", String(200), nullable=True),
    Column("vehicle_id", String(100), nullable=True),
    Column("reason", String(40), nullable=False),
    Column("message", Text, nullable=False),
    Column("received_time", DateTime(timezone=True), nullable=False),
    Column("raw_json", Text, nullable=False),
)

telemetry_releases = Table(
    "telemetry_releases",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("quarantine_id", Integer, nullable=False, index=True),
    Column("released_time", DateTime(timezone=True), nullable=False),
    Column("actor", String(16), nullable=False),
    Column("corrected", Integer, nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("event_id", String(200), nullable=True),
)

telemetry_latest = Table(
    "telemetry_latest",
    metadata,
    Column("tenant", String(64), primary_key=True),
    Column("vehicle_id", String(100), primary_key=True),
    Column("type", String(20), primary_key=True),
    Column("event_time", DateTime(timezone=True), nullable=False),
    Column("event_id", String(200), nullable=False),
    Column("event_json", Text, nullable=False),
)


def sqlite_triggers(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
        for op in ("UPDATE", "DELETE")
    ]


def postgres_triggers(table: str) -> list[str]:
    return [
        "CREATE OR REPLACE FUNCTION fleetcharge_append_only() RETURNS trigger AS $$ BEGIN "
        "RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END; $$ LANGUAGE plpgsql",
        f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION fleetcharge_append_only()",
    ]


def make_append_only(conn: Connection, tables: tuple[str, ...]) -> None:
    """Triggers that refuse UPDATE and DELETE on ``tables`` (SQLite and PostgreSQL; other databases get none)."""
    dialect = conn.dialect.name
    for table in tables:
        statements = sqlite_triggers(table) if dialect == "sqlite" else postgres_triggers(table)
        for statement in statements if dialect in ("sqlite", "postgresql") else []:
            conn.execute(text(statement))


def create_schema(conn: Connection) -> None:
    """Create missing tables, append-only triggers and the schema version row; bring an older store's tables to
    this version (columns added, the version row raised). Runs inside the caller's transaction: the baseline
    migration (``service/migrations``) calls it for stores made before Alembic kept their schema."""
    metadata.create_all(conn)
    for index in decisions.indexes:  # an older store's table has not got the indexes added since
        index.create(conn, checkfirst=True)
    present = {c["name"] for c in inspect(conn).get_columns("api_keys")}
    for column in KEY_LIFE_COLUMNS:
        if column.name not in present:  # a version-1 store
            kind = column.type.compile(dialect=conn.dialect)
            conn.execute(text(f"ALTER TABLE api_keys ADD COLUMN {column.name} {kind}"))
    make_append_only(conn, APPEND_ONLY)
    if conn.execute(select(func.count()).select_from(schema_version)).scalar_one() == 0:
        conn.execute(insert(schema_version).values(version=SCHEMA_VERSION))
    else:
        conn.execute(update(schema_version).values(version=SCHEMA_VERSION))
