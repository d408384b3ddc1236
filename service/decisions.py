"""The service's decisions in one place: plan a problem with its shipped tariff, record it, replay a stored one,
review (approve or override) it. The controllers, telemetry triggers, the notebooks' browse helper and the
planner's solver processes all call these, so the rules live here once and the controllers stay thin."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from engine import __version__
from engine.alerts import decision_alerts
from engine.decision import decide
from engine.decision.identity import content_hash, problem_hash
from engine.domain import PlanningProblem
from engine.errors import InputError, Problem
from engine.policy import check_policy_text
from engine.policy.schema import Mode, Policy
from engine.replay import json_differences, not_replayable_reason
from engine.results import Decision
from service.alerts.store import AlertStore
from service.decision_horizons import horizon_of
from service.named_files import named_policy, shipped_tariff
from service.store import Store, StoredDecision, review_state

MODE_ORDER = ("shadow", "assisted", "automated")  # most restrictive first


class UnknownDecision(LookupError):
    """No decision with this id for this tenant (the API answers 404)."""


class ReviewRefused(ValueError):
    """A review that the decision's state does not allow (the API answers 409)."""


def effective_mode(policy: Policy, problem: PlanningProblem) -> Mode:
    """The policy's mode for the problem's depots: a depot override wins; across depots the strictest holds."""
    modes = [policy.mode.depots.get(d.id, policy.mode.default) for d in problem.depots]
    return min(modes, key=MODE_ORDER.index)


def vehicle_slots(problem: PlanningProblem) -> tuple[int, int]:
    """Slots of the problem's horizon and its size, vehicles x slots (at least one vehicle) [-]."""
    slots = math.ceil(problem.horizon_hours * 60 / problem.slot_minutes)
    return slots, max(len(problem.vehicles), 1) * slots


def check_size(problem: PlanningProblem, max_vehicle_slots: int) -> None:
    """Refuse problems larger than the service is sized for (vehicles x slots)."""
    slots, size = vehicle_slots(problem)
    if size > max_vehicle_slots:
        raise InputError(
            [
                Problem(
                    f"problem too large for this service: {len(problem.vehicles)} vehicles x {slots} slots = "
                    f"{size} > {max_vehicle_slots}; shorten the horizon, widen the slots or split the fleet",
                    "problem",
                )
            ]
        )


def check_sync_size(problem: PlanningProblem, max_sync_vehicle_slots: int, can_go_async: bool) -> None:
    """Refuse to plan a large problem while the request waits: it goes asynchronous (``Prefer: respond-async``)
    where the service keeps jobs (``can_go_async``)."""
    slots, size = vehicle_slots(problem)
    if size > max_sync_vehicle_slots:
        instead = (
            "send it again with the header 'Prefer: respond-async' and follow the job it returns (GET /v1/jobs/{job_id})"
            if can_go_async
            else "this service keeps no job store for asynchronous plans (its decision store is in memory)"
        )
        raise InputError(
            [
                Problem(
                    f"{len(problem.vehicles)} vehicles x {slots} slots = {size} is more than this service plans while "
                    f"the request waits ({max_sync_vehicle_slots}): {instead}",
                    "problem",
                )
            ]
        )


def requested_policy(policies_dir: Path, policy: str | Policy) -> tuple[Policy, str]:
    """The policy of a request and the name it is recorded under: a named file of ``policies_dir``, an inline
    policy or a policy file's YAML text (``<name> (inline)``; checked as ``policy check`` checks a file, each
    problem as ``policy:LINE:COL: field: message``)."""
    if isinstance(policy, str) and ("\n" in policy or ": " in policy):
        checked, problems = check_policy_text(policy, "policy")
        if problems or checked is None:
            raise InputError([Problem(str(p), "policy") for p in problems])
        policy = checked
    if isinstance(policy, str):
        return named_policy(policies_dir, policy), policy
    return policy, f"{policy.metadata.name} (inline)"


def stored_for_request(
    store: Store, tenant: str, problem: PlanningProblem, policy: Policy, strategy: str
) -> StoredDecision | None:
    """The decision already stored for exactly this request (problem, policy, strategy, engine version): an
    identical re-post is answered from the store before anything is solved."""
    return store.find_decision(tenant, problem_hash(problem), content_hash(policy), strategy, __version__)


def plan_here(
    problem: PlanningProblem,
    policy: Policy | None,
    strategy: str,
    time_limit_s: float | None,
    created: datetime | None = None,
    executor: Any = None,
) -> Decision:
    """Plan ``problem`` in this process, each depot at the shipped tariff it (or else the problem) names (what every path uses: the
    API's solver processes, triggered re-plans, replays from a notebook)."""
    return decide(
        problem,
        strategy,
        tariff={d.id: shipped_tariff(d.tariff or problem.tariff) for d in problem.depots},
        time_limit=time_limit_s,
        created=created or datetime.now(UTC),
        policy=policy,
        executor=executor,
    )


def stored_or_404(store: Store, tenant: str, decision_id: str) -> StoredDecision:
    """The stored decision, or :class:`UnknownDecision` naming the tenant looked in."""
    stored = store.get_decision(tenant, decision_id)
    if stored is None:
        raise UnknownDecision(f"no decision {decision_id!r} for tenant {tenant!r}")
    return stored


def stored_inputs(stored: StoredDecision) -> tuple[PlanningProblem, Policy, str]:
    """The problem, policy and strategy a stored decision was made from."""
    return PlanningProblem.model_validate(stored.problem), Policy.model_validate(stored.policy), stored.strategy


def record_decision(
    store: Store,
    tenant: str,
    actor: str,
    decision: Decision,
    problem: PlanningProblem,
    policy: Policy,
    policy_name: str,
    strategy: str,
    raised: list[dict] | None = None,
) -> StoredDecision:
    """Store ``decision`` (content-addressed: the same inputs return the stored one) under the policy's mode for
    the problem's depots, audit ``decision.create`` (with the trigger, if the trace has one), and raise its alerts
    (:mod:`engine.alerts`; the new or re-opened ones are appended to ``raised`` when given, for webhooks)."""
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
            "policy_hash": decision.trace.policy.hash,
            "problem_hash": decision.trace.problem_hash,
            "engine_version": __version__,
            "bill_usd": decision.cost.bill_usd,
            "problem": problem.model_dump(mode="json", by_alias=True),
            "policy": policy.model_dump(mode="json"),
            "decision": decision.model_dump(mode="json"),
            "horizon": horizon_of(problem),
        },
    )
    detail = {"policy": policy_name, "strategy": strategy, "status": decision.status, "mode": stored.mode}
    if decision.trace.trigger is not None:
        detail["trigger"] = decision.trace.trigger.kind
    store.audit(tenant, actor, "decision.create", f"decision:{decision.decision_id}", detail)
    trigger = decision.trace.trigger
    based_on = store.get_decision(tenant, trigger.based_on) if trigger is not None and trigger.based_on else None
    previous = Decision.model_validate(based_on.decision).plan if based_on is not None else None
    raised_now = decision_alerts(
        decision, problem, problem.now, [trigger.key] if trigger else [], previous=previous, mode=stored.mode
    )
    fresh = AlertStore(store.engine).raise_all(tenant, raised_now)
    for alert in fresh:
        store.audit(tenant, actor, "alert.raise", f"alert:{alert['id']}", {"key": alert["key"], "kind": alert["kind"]})
    if raised is not None:
        raised.extend(fresh)
    return stored


class ReplayOutcome(BaseModel):
    """A re-run of a stored decision's inputs."""

    identical: bool
    differences: list[str]
    replayed: Decision | None = None
    reason: str | None = None  # why the runs may differ (the wall-clock safety net fired in one of them)


def compare_replay(stored: StoredDecision, again: Decision) -> ReplayOutcome:
    """The stored decision against a re-run of its inputs (volatile fields ignored)."""
    replayed = again.model_dump(mode="json")
    diffs = json_differences(stored.decision, replayed)
    reason = not_replayable_reason(stored.decision, replayed) if diffs else None
    return ReplayOutcome(identical=not diffs, differences=diffs, replayed=again, reason=reason)


def reviewable(store: Store, tenant: str, decision_id: str, action: str) -> StoredDecision:
    """The stored decision a dispatcher may act on (approve, override); :class:`UnknownDecision` if absent,
    :class:`ReviewRefused` for a shadow-mode decision, which is never executed (``action``: ``approved``,
    ``overridden``, for the message)."""
    stored = stored_or_404(store, tenant, decision_id)
    if stored.mode == "shadow":
        raise ReviewRefused(
            f"decision {decision_id!r} was made in shadow mode: it is never executed, so it cannot be {action}"
        )
    return stored


def approve(store: Store, tenant: str, actor: str, decision_id: str, reason: str) -> tuple[str, list[dict[str, Any]]]:
    """Approve a decision, audited; returns the review state and all reviews. Not a shadow-mode decision
    (:func:`reviewable`), not one approved already."""
    reviewable(store, tenant, decision_id, "approved")
    previous = store.reviews_of(tenant, decision_id)
    if review_state(previous) == "approved":
        raise ReviewRefused(f"decision {decision_id!r} is already approved")
    added = store.add_review(tenant, decision_id, "approve", reason, {}, actor)
    store.audit(tenant, actor, "decision.approve", f"decision:{decision_id}", {"reason": reason, "changes": {}})
    reviews = [*previous, added]
    return review_state(reviews), reviews
