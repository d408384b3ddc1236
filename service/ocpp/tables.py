"""The central system's tables (revision ``0002``, :mod:`service.migrations`), apart from the decision store's
baseline metadata so that the baseline never creates them.

- ``chargers``: the charge points allowed to connect. ``charger_id`` is the OCPP identity (unique across tenants:
  the URL carries nothing else), its tenant and depot, the salted SHA-256 of its AuthorizationKey (keys are 20
  random bytes or given as at least 32 hex digits, so a fast hash is enough), what it declares about schedules
  (rate unit, phases, voltage, highest stack level), its reliability score and when it was last seen.
- ``charger_sessions``: one row per transaction, opened by the charger's own start message (never by an
  "Accepted" answer) and closed by its stop message; meter start and stop [Wh] as the charger reported them.
- ``charger_status``: append-only status transitions per connector (connector 0: the whole charge point).
- ``charger_schedules``: append-only, every schedule we asked a charger to follow (the plan's intent per slot),
  with the decision it came from and the charger's answer.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Float, Index, Integer, MetaData, String, Table, Text, UniqueConstraint

metadata = MetaData()
APPEND_ONLY = ("charger_status", "charger_schedules")

chargers = Table(
    "chargers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("charger_id", String(48), nullable=False, unique=True),
    Column("tenant", String(64), nullable=False, index=True),
    Column("depot_id", String(100), nullable=True),
    Column("key_salt", String(32), nullable=False),
    Column("key_hash", String(64), nullable=False),
    Column("rate_unit", String(1), nullable=False),
    Column("phases", Integer, nullable=False),
    Column("voltage_v", Float, nullable=False),
    Column("max_stack_level", Integer, nullable=False),
    Column("reliability", Float, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("key_rotated", DateTime(timezone=True), nullable=False),
    Column("last_seen", DateTime(timezone=True), nullable=True),
    Column("protocol", String(8), nullable=True),
)

charger_sessions = Table(
    "charger_sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("charger_id", String(48), nullable=False),
    Column("connector_id", Integer, nullable=False),
    Column("transaction_id", String(36), nullable=False),
    Column("id_tag", String(36), nullable=False),
    Column("vehicle_id", String(100), nullable=True),
    Column("started", DateTime(timezone=True), nullable=False),
    Column("meter_start_wh", Float, nullable=False),
    Column("stopped", DateTime(timezone=True), nullable=True),
    Column("meter_stop_wh", Float, nullable=True),
    Column("stop_reason", String(32), nullable=True),
    Column("last_meter_wh", Float, nullable=True),
    Column("last_meter_time", DateTime(timezone=True), nullable=True),
    UniqueConstraint("charger_id", "transaction_id", name="one_session_per_charger_transaction"),
    Index("charger_sessions_by_tenant_time", "tenant", "started"),
)

charger_status = Table(
    "charger_status",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("charger_id", String(48), nullable=False),
    Column("connector_id", Integer, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("status", String(20), nullable=False),
    Column("error_code", String(40), nullable=False),
    Index("charger_status_by_charger", "tenant", "charger_id", "at"),
)

charger_schedules = Table(
    "charger_schedules",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("charger_id", String(48), nullable=False),
    Column("decision_id", String(64), nullable=False),
    Column("command_id", String(80), nullable=False, unique=True),
    Column("sent", DateTime(timezone=True), nullable=False),
    Column("answer", String(16), nullable=False),
    Column("schedule_json", Text, nullable=False),
    Index("charger_schedules_by_charger", "tenant", "charger_id", "sent"),
)
