"""A dispatcher's override of a decision (``POST /v1/decisions/{id}/override``): the changes become pins on the
decision's own problem (:mod:`engine.decision.pins`), the problem is planned again under the same policy and
strategy, and the new plan is checked against the original before anything is recorded.

- Each change names a vehicle and a charger of the problem (422 naming ``changes[i]`` with a did-you-mean
  otherwise) and a window in the vehicle's stays at a site whose chargers it can use.
- The new plan keeps the site limit and every pool (the optimiser plans everything else around the pins); a
  target it leaves unmet that the original met is a broken rule: 409 naming each, nothing recorded, unless the
  dispatcher accepts them (``accept_violations``).
- Recorded: the replacement decision (its problem carries the pins, so it replays as any decision), approved by
  the override; on the original an ``override`` review naming the replacement and the cost difference; the
  audit log.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import anyio
from pydantic import ValidationError

from engine.domain import Pin, PlanningProblem
from engine.errors import InputError, Problem
from engine.results import Decision, Violation
from service.decisions import ReviewRefused, approve, record_decision, reviewable, stored_inputs
from service.planner import Planner
from service.schemas import OverrideRequest, OverrideResult
from service.store import Store, review_state

SHORTER_KWH = 1e-3  # a target this much further from met than in the original counts as broken [kWh]


def _changes_field(field: str, first_new: int) -> str:
    """``pins[3].charger_id`` -> ``changes[1].charger_id`` when the request's changes start at pin 2."""
    head, _, rest = field.partition("]")
    if not head.startswith("pins["):
        return field
    i = int(head.removeprefix("pins[")) - first_new
    return f"changes[{i}]{rest}"


def pinned_problem(problem: PlanningProblem, request: OverrideRequest) -> PlanningProblem:
    """The decision's problem with the request's changes as pins after any it had; InputError naming
    ``changes[i]`` for an unknown vehicle or charger."""
    pins = [Pin(**c.model_dump()) for c in request.changes]
    data = problem.model_dump(mode="json", by_alias=True)
    first_new = len(problem.pins)
    data["pins"] = [*data.get("pins", []), *(p.model_dump(mode="json") for p in pins)]
    try:
        return PlanningProblem.model_validate(data)
    except ValidationError as err:
        lines = [str(e.get("msg", "")).removeprefix("Value error, ") for e in err.errors()]
        problems = []
        for line in "\n".join(lines).splitlines():
            field, _, message = line.partition(": ")
            problems.append(Problem(message, _changes_field(field, first_new)))
        raise InputError(problems) from None


def violations_added(before: list[Violation], after: list[Violation]) -> list[str]:
    """Targets ``after`` leaves unmet (or further from met) that ``before`` met, in words."""
    had = {v.target: v.shortfall_kwh for v in before}
    return [
        f"{v.target}: {v.shortfall_kwh:.1f} kWh short ({v.reason})"
        for v in after
        if v.shortfall_kwh > had.get(v.target, 0.0) + SHORTER_KWH
    ]


async def override_decision(
    store: Store, planner: Planner, tenant: str, actor: str, decision_id: str, request: OverrideRequest
) -> OverrideResult:
    """Plan the decision again with the changes held, check it, record it (module doc)."""
    stored = await anyio.to_thread.run_sync(reviewable, store, tenant, decision_id, "overridden")
    problem, policy, strategy = stored_inputs(stored)
    pinned = pinned_problem(problem, request)
    try:
        replacement = await planner.decide(pinned, policy, strategy, datetime.now(UTC))
    except InputError as err:  # a pin the vehicle's stays or chargers cannot hold
        first_new = len(problem.pins)
        raise InputError([Problem(p.message, _changes_field(p.field, first_new)) for p in err.problems]) from None
    original = Decision.model_validate(stored.decision)
    added = violations_added(original.violations, replacement.violations)
    if added and not request.accept_violations:
        raise ReviewRefused(
            "the override breaks what the decision kept: " + "; ".join(added) + " (nothing recorded; send "
            "accept_violations: true to record it anyway)"
        )

    def record() -> OverrideResult:
        new = record_decision(
            store, tenant, actor, replacement, pinned, policy, stored.policy_name, strategy
        ).decision_id
        bill = round(replacement.cost.bill_usd - original.cost.bill_usd, 2) + 0.0  # + 0.0: never -0.0
        objective = round(replacement.cost.objective_usd - original.cost.objective_usd, 2) + 0.0
        changes: dict[str, Any] = {
            "changes": [c.model_dump(mode="json") for c in request.changes],
            "replacement_decision_id": new,
            "bill_difference_usd": bill,
            "objective_difference_usd": objective,
            "violations_added": added,
        }
        previous = store.reviews_of(tenant, decision_id)
        review = store.add_review(tenant, decision_id, "override", request.reason, changes, actor)
        store.audit(
            tenant, actor, "decision.override", f"decision:{decision_id}", {"reason": request.reason, **changes}
        )
        if review_state(store.reviews_of(tenant, new)) != "approved":  # the same override made twice: once
            approve(store, tenant, actor, new, f"override of {decision_id}: {request.reason}")
        reviews = [*previous, review]
        return OverrideResult(
            decision_id=decision_id,
            review=review_state(reviews),
            reviews=reviews,
            replacement_decision_id=new,
            bill_difference_usd=bill,
            objective_difference_usd=objective,
            violations_added=added,
        )

    return await anyio.to_thread.run_sync(record)
