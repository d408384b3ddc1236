"""Storing a Decision with the inputs that made it and its audit row: one path for ``POST /v1/decisions`` and
for decisions that telemetry triggers."""

from __future__ import annotations

from engine import __version__
from engine.domain import Decision, PlanningProblem
from engine.policy.schema import Policy
from service.planner import effective_mode
from service.store import Store, StoredDecision


def record_decision(
    store: Store,
    tenant: str,
    actor: str,
    decision: Decision,
    problem: PlanningProblem,
    policy: Policy,
    policy_name: str,
    strategy: str,
) -> StoredDecision:
    """Store ``decision`` (content-addressed: the same inputs return the stored one) under the policy's mode for
    the problem's depots, and audit ``decision.create`` (with the trigger, if the trace has one)."""
    stored = store.add_decision(
        tenant,
        {
            "decision_id": decision.decision_id,
            "created": decision.created,
            "status": decision.status,
            "mode": effective_mode(policy, problem),
            "depots": [d.id for d in problem.depots],
            "strategy": strategy,
            "policy_name": policy_name,
            "policy_version": policy.metadata.version,
            "policy_hash": decision.trace["policy"]["hash"],
            "problem_hash": decision.trace["problem_hash"],
            "engine_version": __version__,
            "total_usd": decision.cost.total_usd,
            "problem": problem.model_dump(mode="json", by_alias=True),
            "policy": policy.model_dump(mode="json"),
            "decision": decision.model_dump(mode="json"),
        },
    )
    detail = {"policy": policy_name, "strategy": strategy, "status": decision.status, "mode": stored.mode}
    if decision.trace.get("trigger"):
        detail["trigger"] = decision.trace["trigger"]["kind"]
    store.audit(tenant, actor, "decision.create", f"decision:{decision.decision_id}", detail)
    return stored
