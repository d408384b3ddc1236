"""The alerts table (revision ``0004``, :mod:`service.migrations`): one row per tenant and condition key.

A condition raised again while its alert is open or acknowledged counts (``times_raised``, ``last_raised``) and
keeps its row; raised again after it was resolved, the same row opens again. Who acknowledged or resolved it, and
when, stays on the row; every change is in the audit log too.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, Float, Integer, MetaData, String, Table, Text, UniqueConstraint

metadata = MetaData()

alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("key", String(300), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("priority", String(4), nullable=False),
    Column("depot_id", String(200), nullable=False),
    Column("status", String(16), nullable=False),  # open | acknowledged | resolved
    Column("first_raised", DateTime(timezone=True), nullable=False),
    Column("last_raised", DateTime(timezone=True), nullable=False),
    Column("times_raised", Integer, nullable=False),
    Column("decision_id", String(80), nullable=False),
    Column("reason", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("vehicles", JSON, nullable=False),
    Column("departures", JSON, nullable=False),
    Column("cost_at_risk_usd", Float, nullable=False),
    Column("acknowledged_by", String(80), nullable=True),
    Column("acknowledged_at", DateTime(timezone=True), nullable=True),
    Column("resolved_by", String(80), nullable=True),
    Column("resolved_at", DateTime(timezone=True), nullable=True),
    Column("note", Text, nullable=True),
    UniqueConstraint("tenant", "key", name="alerts_one_per_condition"),
)
