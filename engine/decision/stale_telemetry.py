"""Stale telemetry: what the plan assumes about a vehicle whose SOC reading is old.

A reading is stale when ``now - last_seen > after_minutes`` (policy ``stale_telemetry``). With
``assume_p10`` the plan uses the 10th-percentile SOC (``soc_p10`` from telematics; without one,
``soc * soc_confidence``, the reading discounted by how much it is trusted), so a vehicle that may hold less than
it last reported is charged for the worse case. With ``manual_review`` the reading is kept and the decision is
flagged for a dispatcher.
"""

from __future__ import annotations

from datetime import UTC

from engine.domain import PlanningProblem
from engine.policy.schema import StaleTelemetry


def apply_stale_telemetry(problem: PlanningProblem, rule: StaleTelemetry) -> tuple[PlanningProblem, list[dict], bool]:
    """The problem with stale SOC readings replaced per ``rule``, the trace steps and whether review is needed."""
    now = problem.now.astimezone(UTC)
    steps: list[dict] = []
    states = []
    review = False
    for s in problem.states:
        age = (now - s.last_seen.astimezone(UTC)).total_seconds() / 60
        if age <= rule.after_minutes:
            states.append(s)
            continue
        step = {"event": "stale_telemetry", "vehicle_id": s.vehicle_id, "age_min": round(age, 1)}
        if rule.action == "assume_p10":
            p10 = s.soc_p10 if s.soc_p10 is not None else s.soc * s.soc_confidence
            source = "soc_p10" if s.soc_p10 is not None else "soc * soc_confidence"
            step |= {"action": "assume_p10", "soc_reported": s.soc, "soc_assumed": p10, "source": source}
            states.append(s.model_copy(update={"soc": p10}))
        else:
            step |= {"action": "manual_review", "soc_reported": s.soc}
            review = True
            states.append(s)
        steps.append(step)
    if not steps:
        return problem, [], False
    return problem.model_copy(update={"states": states}), steps, review
