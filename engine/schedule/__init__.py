"""Charge scheduling: Pyomo model solved by HiGHS, rule-based baselines, and decisions built from them."""

from engine.schedule.decide import STRATEGIES, decide, plan_cost
from engine.schedule.identity import problem_hash
from engine.schedule.inputs import ScheduleInputs, build_inputs
from engine.schedule.weights import ObjectiveWeights

__all__ = ["STRATEGIES", "ObjectiveWeights", "ScheduleInputs", "build_inputs", "decide", "plan_cost", "problem_hash"]
