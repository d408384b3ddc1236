"""Read stored decisions for views (notebooks, dashboard): straight from a store file or URL, or through the
decision API with a key. Both sources give the same :class:`DecisionRecord`, so a view does not care which."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import httpx
import pandas as pd
from pydantic import BaseModel, Field

from engine.domain import PlanningProblem
from engine.policy.schema import Policy
from engine.results import Decision
from service.decisions import ReplayOutcome, compare_replay, plan_here, stored_inputs, stored_or_404
from service.settings import Settings, database_url
from service.store import Store, StoredDecision, review_state

SUMMARY_COLUMNS = ["decision_id", "created", "status", "mode", "review", "depots", "strategy", "policy", "bill_usd"]


class DecisionRecord(BaseModel):
    """A stored decision with the inputs that made it and its review state."""

    decision: Decision
    problem: PlanningProblem
    policy: Policy
    policy_name: str
    strategy: str
    mode: str
    review: str = Field(description="proposed | approved | overridden")
    reviews: list[dict[str, Any]] = Field(default_factory=list)


class DecisionSource(Protocol):
    """Where a view reads decisions from."""

    label: str

    def table(self, limit: int = 200) -> pd.DataFrame: ...
    def record(self, decision_id: str) -> DecisionRecord: ...
    def replay(self, decision_id: str) -> ReplayOutcome: ...


def latest_per_depot(table: pd.DataFrame) -> pd.DataFrame:
    """The newest decision per depot from a decision table (newest first): one row per depot, ``depot`` added."""
    if table.empty:
        return table.assign(depot=pd.Series(dtype=str))
    rows = table.explode("depots").rename(columns={"depots": "depot"})
    return rows.drop_duplicates("depot", keep="first").sort_values("depot", ignore_index=True)


def _summary(s: StoredDecision, reviews: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "decision_id": s.decision_id,
        "created": s.created,
        "status": s.status,
        "mode": s.mode,
        "review": review_state(reviews),
        "depots": s.depots,
        "strategy": s.strategy,
        "policy": s.policy_name,
        "bill_usd": s.bill_usd,
    }


class StoreSource:
    """Decisions of one tenant read from the service's store (a SQLite file path or a database URL)."""

    def __init__(self, location: str, tenant: str = "demo", time_limit_s: float | None = None) -> None:
        self.store = Store(database_url(location))
        self.tenant = tenant
        self.label = f"store {location} (tenant {tenant})"
        self.time_limit_s = time_limit_s if time_limit_s is not None else Settings().time_limit_s

    def table(self, limit: int = 200) -> pd.DataFrame:
        """Newest first: id, created, status, mode, review, depots, strategy, policy, total [$]."""
        rows, _total = self.store.list_decisions(self.tenant, limit=limit)
        reviews = self.store.reviews_of_many(self.tenant, [r.decision_id for r in rows])
        return pd.DataFrame([_summary(r, reviews[r.decision_id]) for r in rows], columns=SUMMARY_COLUMNS)

    def _stored(self, decision_id: str) -> StoredDecision:
        return stored_or_404(self.store, self.tenant, decision_id)

    def record(self, decision_id: str) -> DecisionRecord:
        s = self._stored(decision_id)
        reviews = self.store.reviews_of(self.tenant, decision_id)
        return DecisionRecord(
            decision=Decision.model_validate(s.decision),
            problem=PlanningProblem.model_validate(s.problem),
            policy=Policy.model_validate(s.policy),
            policy_name=s.policy_name,
            strategy=s.strategy,
            mode=s.mode,
            review=review_state(reviews),
            reviews=reviews,
        )

    def replay(self, decision_id: str) -> ReplayOutcome:
        """Re-run the stored inputs in this process with ``engine.decision.decide``, as the API does."""
        s = self._stored(decision_id)
        problem, policy, strategy = stored_inputs(s)
        return compare_replay(s, plan_here(problem, policy, strategy, self.time_limit_s))


class ApiError(RuntimeError):
    """The decision API answered with an error status (``status``), or did not answer at all (``status`` None)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status

    def in_words(self, base_url: str) -> str:
        """What a dispatcher should read: why, and what to do about it."""
        if self.status is None:
            return f"The decision API at {base_url} does not answer. Is `fleetcharge serve` running there?"
        if self.status == 401:
            return "This key is not valid for this server (unknown, revoked or expired). Check it, or ask an admin."
        if self.status == 403:
            return "This key may not do that: reading needs the read scope, approving and overriding approve."
        return str(self)


class ApiSource:
    """Decisions read through the decision API with a key (``Authorization: Bearer``)."""

    def __init__(self, base_url: str, key: str, timeout_s: float = 600.0, client: httpx.Client | None = None) -> None:
        """``client`` replaces the HTTP client (tests pass Litestar's TestClient, an ``httpx.Client``)."""
        self.base_url = base_url.rstrip("/")
        self.label = f"API {self.base_url}"
        self.client = client or httpx.Client(base_url=self.base_url, timeout=timeout_s)
        self.headers = {"Authorization": f"Bearer {key}"}

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.client.request(method, path, headers=self.headers, **kwargs)
        except httpx.HTTPError as exc:
            raise ApiError(f"{method} {self.base_url}{path}: {exc}", None) from None
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise ApiError(f"{method} {path}: {response.status_code} {detail}", response.status_code)
        return response.json()

    def table(self, limit: int = 200) -> pd.DataFrame:
        page = self._call("GET", "/v1/decisions/", params={"page_size": min(limit, 200)})
        frame = pd.DataFrame(page["items"], columns=SUMMARY_COLUMNS)
        frame["created"] = pd.to_datetime(frame["created"], utc=True)
        return frame

    def record(self, decision_id: str) -> DecisionRecord:
        decision = self._call("GET", f"/v1/decisions/{decision_id}")
        trace = self._call("GET", f"/v1/decisions/{decision_id}/trace")
        return DecisionRecord(
            decision=Decision.model_validate(decision),
            problem=PlanningProblem.model_validate(trace["inputs"]["problem"]),
            policy=Policy.model_validate(trace["policy"]["document"]),
            policy_name=trace["policy"]["name"],
            strategy=trace["inputs"]["strategy"],
            mode=trace["mode"],
            review=trace["review"],
            reviews=trace["reviews"],
        )

    def replay(self, decision_id: str) -> ReplayOutcome:
        """``POST /v1/decisions/{id}/replay`` (needs the plan scope)."""
        out = self._call("POST", f"/v1/decisions/{decision_id}/replay")
        return ReplayOutcome(identical=out["identical"], differences=out["differences"], reason=out.get("reason"))

    def chargers(self) -> pd.DataFrame:
        """``GET /v1/chargers``: the tenant's charge points, connected or not, and their running transactions."""
        columns = ["charger_id", "depot_id", "connected", "protocol", "transaction_id", "reliability", "last_seen"]
        return pd.DataFrame(self._call("GET", "/v1/chargers"), columns=columns)

    def reconciliation(self) -> pd.DataFrame:
        """``GET /v1/reconciliation`` over the last 24 h: one row per drift."""
        columns = ["check", "charger_id", "vehicle_id", "transaction_id", "difference", "unit", "message"]
        return pd.DataFrame(self._call("GET", "/v1/reconciliation")["drifts"], columns=columns)

    def alerts(self, status: str | None = "open") -> pd.DataFrame:
        """``GET /v1/alerts``: the tenant's alerts (open ones by default), newest first."""
        columns = ["id", "priority", "kind", "depot_id", "vehicles", "reason", "action", "status", "last_raised"]
        params = {"status": status} if status else {}
        return pd.DataFrame(self._call("GET", "/v1/alerts", params=params), columns=columns)

    def kpi_days(self, depot: str, days: int = 7, end: datetime | None = None) -> pd.DataFrame:
        """``GET /v1/kpis`` for each of the last ``days`` days (UTC) up to ``end``: the trend over days."""
        end = (end or datetime.now(UTC)).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
        rows = []
        for k in range(days, 0, -1):
            a, b = end - timedelta(days=k), end - timedelta(days=k - 1)
            row = self._call("GET", "/v1/kpis", params={"depot": depot, "from": a.isoformat(), "to": b.isoformat()})
            rows.append({key: v for key, v in row.items() if not isinstance(v, dict)} | {"day": a.date().isoformat()})
        return pd.DataFrame(rows)

    def approve(self, decision_id: str, reason: str = "") -> dict[str, Any]:
        """``POST /v1/decisions/{id}/approve`` (needs the approve scope); the review state after it."""
        return self._call("POST", f"/v1/decisions/{decision_id}/approve", json={"reason": reason})

    def override(
        self, decision_id: str, changes: list[dict[str, Any]], reason: str, accept_violations: bool = False
    ) -> dict[str, Any]:
        """``POST /v1/decisions/{id}/override`` with the dispatcher's changes (vehicle, charger, window) and reason;
        the review state and the replacement decision."""
        body = {"changes": changes, "reason": reason, "accept_violations": accept_violations}
        return self._call("POST", f"/v1/decisions/{decision_id}/override", json=body)


def open_source(location: str, key: str = "", tenant: str = "demo") -> DecisionSource:
    """An API source for an ``http(s)://`` location (``key`` required), else a store source (file or DB URL)."""
    if location.startswith(("http://", "https://")):
        if not key:
            raise ValueError("an API location needs a key (fc_...)")
        return ApiSource(location, key)
    return StoreSource(location, tenant)


def source_inputs() -> tuple[Any, Any, Any]:
    """The notebooks' three inputs for a decision source (marimo text fields): location (store file, database URL
    or API URL; default ``FLEETCHARGE_DB`` else ``fleetcharge.db``), API key (``FLEETCHARGE_KEY``) and tenant
    (``FLEETCHARGE_TENANT`` else ``demo``)."""
    import os

    import marimo as mo

    location = mo.ui.text(
        value=os.environ.get("FLEETCHARGE_DB", "fleetcharge.db"), label="store file, DB URL or API URL", full_width=True
    )
    key = mo.ui.text(value=os.environ.get("FLEETCHARGE_KEY", ""), kind="password", label="API key (for a URL)")
    tenant = mo.ui.text(value=os.environ.get("FLEETCHARGE_TENANT", "demo"), label="tenant (for a store)")
    return location, key, tenant
