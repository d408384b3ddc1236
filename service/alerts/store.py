"""Raise, list, acknowledge and resolve alerts (module doc of :mod:`service.alerts.tables`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select, update

from engine.alerts import Alert
from service.alerts.tables import alerts

STATUSES = ("open", "acknowledged", "resolved")


class AlertConflict(ValueError):
    """A change the alert's status does not allow (resolving a resolved alert...)."""


def _row(r: Any) -> dict[str, Any]:
    out = dict(r._mapping)
    out.pop("tenant", None)
    for key in ("first_raised", "last_raised", "acknowledged_at", "resolved_at"):
        if out.get(key) is not None:
            out[key] = out[key].astimezone(UTC).isoformat() if out[key].tzinfo else out[key].isoformat() + "+00:00"
    return out


class AlertStore:
    """The alerts of every tenant."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def raise_all(self, tenant: str, raised: list[Alert]) -> list[dict[str, Any]]:
        """Store each alert: a new condition gets a row, one already open counts once more, one resolved opens
        again. Returns the alerts that are new or opened again (what subscribers must hear about)."""
        fresh = []
        with self.engine.begin() as conn:
            for a in raised:
                held = conn.execute(select(alerts).where(alerts.c.tenant == tenant, alerts.c.key == a.key)).first()
                values = {
                    "priority": a.priority,
                    "last_raised": a.raised_at,
                    "decision_id": a.decision_id,
                    "reason": a.reason,
                    "action": a.action,
                    "vehicles": a.vehicles,
                    "departures": [d.model_dump(mode="json") for d in a.departures],
                    "cost_at_risk_usd": a.cost_at_risk_usd,
                }
                if held is None:
                    conn.execute(
                        alerts.insert().values(
                            tenant=tenant,
                            key=a.key,
                            kind=a.kind,
                            depot_id=a.depot_id,
                            status="open",
                            first_raised=a.raised_at,
                            times_raised=1,
                            **values,
                        )
                    )
                    fresh.append(a.key)
                    continue
                reopen = held.status == "resolved"
                conn.execute(
                    update(alerts)
                    .where(alerts.c.id == held.id)
                    .values(
                        times_raised=held.times_raised + 1,
                        **values,
                        **({"status": "open", "resolved_by": None, "resolved_at": None} if reopen else {}),
                    )
                )
                if reopen:
                    fresh.append(a.key)
            rows = conn.execute(select(alerts).where(alerts.c.tenant == tenant, alerts.c.key.in_(fresh))).all()
        return [_row(r) for r in rows]

    def list(self, tenant: str, status: str | None = None, depot: str | None = None, limit: int = 500) -> list[dict]:
        """The tenant's alerts, newest raised first."""
        q = select(alerts).where(alerts.c.tenant == tenant)
        if status is not None:
            q = q.where(alerts.c.status == status)
        if depot is not None:
            q = q.where(alerts.c.depot_id == depot)
        q = q.order_by(alerts.c.last_raised.desc(), alerts.c.id.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [_row(r) for r in conn.execute(q).all()]

    def get(self, tenant: str, alert_id: int) -> dict | None:
        with self.engine.connect() as conn:
            r = conn.execute(select(alerts).where(alerts.c.tenant == tenant, alerts.c.id == alert_id)).first()
        return None if r is None else _row(r)

    def change(self, tenant: str, alert_id: int, to: str, actor: str, note: str | None = None) -> dict:
        """Acknowledge (``to='acknowledged'``: open ones) or resolve (``to='resolved'``: open or acknowledged
        ones); LookupError when absent, AlertConflict when its status does not allow it."""
        allowed = {"acknowledged": ("open",), "resolved": ("open", "acknowledged")}[to]
        now = datetime.now(UTC)
        who = {"acknowledged": ("acknowledged_by", "acknowledged_at"), "resolved": ("resolved_by", "resolved_at")}[to]
        with self.engine.begin() as conn:
            held = conn.execute(select(alerts).where(alerts.c.tenant == tenant, alerts.c.id == alert_id)).first()
            if held is None:
                raise LookupError(f"no alert {alert_id}")
            if held.status not in allowed:
                raise AlertConflict(
                    f"alert {alert_id} is {held.status}; only {' or '.join(allowed)} alerts can be {to}"
                )
            values = {"status": to, who[0]: actor, who[1]: now}
            if note is not None:
                values["note"] = note
            conn.execute(update(alerts).where(alerts.c.id == alert_id).values(**values))
        got = self.get(tenant, alert_id)
        assert got is not None
        return got
