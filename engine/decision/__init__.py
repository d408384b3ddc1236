"""Decisions: from a planning problem (and a policy) to a Decision with its plan, cost, violations and trace.

Above :mod:`engine.schedule` (the model) and :mod:`engine.policy` (policy files): stale telemetry, policy
directives, fallback chains, explanations, the cost of a plan and the trace live here."""

from engine.decision.cost import plan_cost
from engine.decision.decide import STRATEGIES, decide
from engine.decision.identity import problem_hash

__all__ = ["STRATEGIES", "decide", "plan_cost", "problem_hash"]
