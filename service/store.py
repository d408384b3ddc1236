"""The store: SQLAlchemy 2 Core on SQLite by default, PostgreSQL by changing the URL. Every method takes the
tenant it acts for and every query filters by it; the tables are in :mod:`service.tables`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Engine,
    and_,
    create_engine,
    event,
    func,
    insert,
    or_,
    select,
)
from sqlalchemy.exc import IntegrityError

from engine.timezones import as_utc
from service.decision_horizons import decision_horizons, insert_horizon
from service.key_store import KeyStore
from service.migrations import upgrade
from service.tables import audit, decisions, fleets, reviews


@dataclass(frozen=True)
class StoredDecision:
    """A decision row as the API shows it."""

    decision_id: str
    created: datetime
    status: str
    mode: str
    depots: list[str]
    strategy: str
    policy_name: str
    policy_version: str
    policy_hash: str
    problem_hash: str
    engine_version: str
    bill_usd: float  # the decision's bill money [$] (column total_usd: before engine 0.2 it held bill + wear + penalty)
    problem: dict
    policy: dict
    decision: dict


def review_state(reviews: list[dict[str, Any]]) -> str:
    """proposed | approved | overridden: the latest review of a decision wins."""
    if not reviews:
        return "proposed"
    return "approved" if reviews[-1]["kind"] == "approve" else "overridden"


class Store(KeyStore):
    """All reads and writes of the service; every method takes the tenant it acts for."""

    def __init__(self, url: str) -> None:
        kwargs: dict[str, Any] = {}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        self.engine: Engine = create_engine(url, **kwargs)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.create_schema()

    def create_schema(self) -> None:
        """Bring the store to the newest schema (Alembic, :mod:`service.migrations`): a new store is created, an
        older one migrated."""
        upgrade(self.engine)

    def dispose(self) -> None:
        """Close pooled connections."""
        self.engine.dispose()

    # decisions
    def add_decision(self, tenant: str, row: dict[str, Any]) -> StoredDecision:
        """Insert a decision; the same (tenant, decision_id) again returns the stored one unchanged."""
        existing = self.get_decision(tenant, row["decision_id"])
        if existing is not None:
            return existing
        values = {
            **{
                k: v
                for k, v in row.items()
                if k not in ("problem", "policy", "decision", "depots", "bill_usd", "horizon")
            },
            "tenant": tenant,
            "depots": "|" + "|".join(row["depots"]) + "|",
            "total_usd": repr(float(row["bill_usd"])),
            "problem_json": json.dumps(row["problem"], sort_keys=True),
            "policy_json": json.dumps(row["policy"], sort_keys=True),
            "decision_json": json.dumps(row["decision"], sort_keys=True),
        }
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(decisions).values(**values))
                if row.get("horizon") is not None:  # service.decision_horizons: what /v1/kpis reads by
                    insert_horizon(conn, tenant, row["decision_id"], row["horizon"])
        except IntegrityError:  # the same decision stored by a concurrent request in the meantime: return that one
            stored = self.get_decision(tenant, row["decision_id"])
            assert stored is not None
            return stored
        return _stored(values)

    def get_decision(self, tenant: str, decision_id: str) -> StoredDecision | None:
        """One decision of ``tenant`` (None if absent or another tenant's)."""
        q = select(decisions).where(decisions.c.tenant == tenant, decisions.c.decision_id == decision_id)
        with self.engine.connect() as conn:
            row = conn.execute(q).mappings().first()
        return None if row is None else _stored(row)

    def find_decision(
        self, tenant: str, problem_hash: str, policy_hash: str, strategy: str, engine_version: str
    ) -> StoredDecision | None:
        """The stored decision of ``tenant`` made from these inputs by this engine version, if any (the newest)."""
        c = decisions.c
        q = (
            select(decisions)
            .where(
                c.tenant == tenant,
                c.problem_hash == problem_hash,
                c.policy_hash == policy_hash,
                c.strategy == strategy,
                c.engine_version == engine_version,
            )
            .order_by(c.id.desc())
            .limit(1)
        )
        with self.engine.connect() as conn:
            row = conn.execute(q).mappings().first()
        return None if row is None else _stored(row)

    def has_decisions(self, tenant: str) -> bool:
        """Whether ``tenant`` has any decision (one index lookup, no row read)."""
        with self.engine.connect() as conn:
            return conn.execute(select(decisions.c.id).where(decisions.c.tenant == tenant).limit(1)).first() is not None

    def list_decisions(
        self,
        tenant: str,
        depot: str | None = None,
        since: datetime | None = None,
        status: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[StoredDecision], int]:
        """A page of ``tenant``'s decisions, newest first, and the total matching."""
        return self._page(list(decisions.c), self._where(tenant, depot, since, status), limit, offset)

    def decisions_planning(
        self, tenant: str, depot: str, start: datetime, end: datetime, limit: int = 10_000
    ) -> list[StoredDecision]:
        """``tenant``'s decisions for ``depot`` that can plan a departure in ``[start, end)``, newest first: by
        their horizon row (:mod:`service.decision_horizons`), planned before ``end`` with a departure at or after
        ``start``; a decision without one (a problem an older engine stored that no longer validates) is read too."""
        h = decision_horizons.c
        joined = decisions.outerjoin(
            decision_horizons, (h.tenant == decisions.c.tenant) & (h.decision_id == decisions.c.decision_id)
        )
        meets = or_(h.decision_id.is_(None), and_(h.planned_at < as_utc(end), h.last_departure >= as_utc(start)))
        q = (
            select(*decisions.c)
            .select_from(joined)
            .where(*self._where(tenant, depot, None, None), meets)
            .order_by(decisions.c.created.desc(), decisions.c.id.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [_stored(r) for r in conn.execute(q).mappings()]

    def decision_summaries(
        self,
        tenant: str,
        depot: str | None = None,
        since: datetime | None = None,
        status: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[StoredDecision], int]:
        """:meth:`list_decisions` without the stored JSON (problem, policy and decision left empty): a page of
        summaries reads a few hundred bytes a row instead of parsing about 0.33 MB of JSON per row."""
        light = [c for c in decisions.c if c.name not in ("problem_json", "policy_json", "decision_json")]
        return self._page(light, self._where(tenant, depot, since, status), limit, offset)

    def _page(self, columns: list, where: list, limit: int, offset: int) -> tuple[list[StoredDecision], int]:
        """``columns`` of the decisions matching ``where``, newest first, one page, and the total matching."""
        q = select(*columns).where(*where).order_by(decisions.c.created.desc(), decisions.c.id.desc())
        with self.engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(decisions).where(*where)).scalar_one()
            rows = conn.execute(q.limit(limit).offset(offset)).mappings().all()
        return [_stored(r) for r in rows], int(total)

    @staticmethod
    def _where(tenant: str, depot: str | None, since: datetime | None, status: str | None) -> list:
        """Filters of a decision listing."""
        where = [decisions.c.tenant == tenant]
        if depot:
            where.append(decisions.c.depots.contains(f"|{depot}|", autoescape=True))
        if since is not None:
            where.append(decisions.c.created >= as_utc(since))
        if status:
            where.append(decisions.c.status == status)
        return where

    # reviews
    def add_review(
        self, tenant: str, decision_id: str, kind: str, reason: str, changes: dict, actor: str
    ) -> dict[str, Any]:
        """Append an approval or override."""
        values = {
            "tenant": tenant,
            "decision_id": decision_id,
            "kind": kind,
            "reason": reason,
            "changes_json": json.dumps(changes, sort_keys=True),
            "actor": actor,
            "created": datetime.now(UTC),
        }
        with self.engine.begin() as conn:
            conn.execute(insert(reviews).values(**values))
        return _review(values)

    def reviews_of(self, tenant: str, decision_id: str) -> list[dict[str, Any]]:
        """Approvals and overrides of a decision, oldest first."""
        return self.reviews_of_many(tenant, [decision_id])[decision_id]

    def reviews_of_many(self, tenant: str, decision_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
        """Approvals and overrides of several decisions in one query, oldest first per decision."""
        q = (
            select(reviews)
            .where(reviews.c.tenant == tenant, reviews.c.decision_id.in_(decision_ids))
            .order_by(reviews.c.id)
        )
        out: dict[str, list[dict[str, Any]]] = {d: [] for d in decision_ids}
        with self.engine.connect() as conn:
            for r in conn.execute(q).mappings().all():
                out[r["decision_id"]].append(_review(dict(r)))
        return out

    # audit
    def audit(self, tenant: str, actor: str, action: str, resource: str, detail: dict | None = None) -> None:
        """Append one control action to the audit log."""
        with self.engine.begin() as conn:
            conn.execute(
                insert(audit).values(
                    tenant=tenant,
                    at=datetime.now(UTC),
                    actor=actor,
                    action=action,
                    resource=resource,
                    detail_json=json.dumps(detail or {}, sort_keys=True),
                )
            )

    def audited(self, tenant: str, action: str, resource: str) -> bool:
        """Whether the audit log holds ``action`` on ``resource`` for ``tenant``."""
        q = select(audit.c.id).where(audit.c.tenant == tenant, audit.c.action == action, audit.c.resource == resource)
        with self.engine.connect() as conn:
            return conn.execute(q.limit(1)).first() is not None

    def audited_resources(self, tenant: str, action: str, prefix: str) -> list[str]:
        """Resources of ``tenant``'s ``action`` audit entries that start with ``prefix``, oldest first."""
        q = (
            select(audit.c.resource)
            .where(
                audit.c.tenant == tenant, audit.c.action == action, audit.c.resource.startswith(prefix, autoescape=True)
            )
            .order_by(audit.c.id)
        )
        with self.engine.connect() as conn:
            return [r[0] for r in conn.execute(q)]

    def audit_log(self, tenant: str, limit: int = 100, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        """A page of ``tenant``'s audit log, oldest first, and its length."""
        where = audit.c.tenant == tenant
        with self.engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(audit).where(where)).scalar_one()
            rows = conn.execute(select(audit).where(where).order_by(audit.c.id).limit(limit).offset(offset))
            out = [
                {
                    "id": r["id"],
                    "at": as_utc(r["at"]).isoformat(),
                    "actor": r["actor"],
                    "action": r["action"],
                    "resource": r["resource"],
                    "detail": json.loads(r["detail_json"]),
                }
                for r in rows.mappings().all()
            ]
        return out, int(total)

    # fleets
    def put_fleet(self, tenant: str, name: str, problem: dict) -> bool:
        """Keep a named problem for ``tenant`` unless one of that name exists; True if stored now."""
        with self.engine.begin() as conn:
            found = conn.execute(select(fleets.c.id).where(fleets.c.tenant == tenant, fleets.c.name == name)).first()
            if found is not None:
                return False
            conn.execute(
                insert(fleets).values(
                    tenant=tenant, name=name, problem_json=json.dumps(problem), created=datetime.now(UTC)
                )
            )
        return True

    def fleets_of(self, tenant: str) -> list[dict]:
        """All named problems of ``tenant``, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(fleets.c.problem_json).where(fleets.c.tenant == tenant).order_by(fleets.c.id)
            ).all()
        return [json.loads(r[0]) for r in rows]

    def get_fleet(self, tenant: str, name: str) -> dict | None:
        """A named problem of ``tenant``."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(fleets.c.problem_json).where(fleets.c.tenant == tenant, fleets.c.name == name)
            ).first()
        return None if row is None else json.loads(row[0])


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _review(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": values["kind"],
        "reason": values["reason"],
        "changes": json.loads(values["changes_json"]),
        "actor": values["actor"],
        "created": as_utc(values["created"]).isoformat(),
    }


def _stored(row: Any) -> StoredDecision:
    return StoredDecision(
        decision_id=row["decision_id"],
        created=as_utc(row["created"]),
        status=row["status"],
        mode=row["mode"],
        depots=[d for d in row["depots"].split("|") if d],
        strategy=row["strategy"],
        policy_name=row["policy_name"],
        policy_version=row["policy_version"],
        policy_hash=row["policy_hash"],
        problem_hash=row["problem_hash"],
        engine_version=row["engine_version"],
        bill_usd=float(row["total_usd"]),
        problem=json.loads(row["problem_json"]) if "problem_json" in row else {},
        policy=json.loads(row["policy_json"]) if "policy_json" in row else {},
        decision=json.loads(row["decision_json"]) if "decision_json" in row else {},
    )
