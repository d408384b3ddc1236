"""Charge scheduling: the Pyomo model by constraint family, its inputs, extraction, sessions and rule-based
baselines. Policies and decisions sit above it (:mod:`engine.policy`, :mod:`engine.decision`)."""

from engine.schedule.inputs import ScheduleInputs, build_inputs
from engine.weights import ObjectiveWeights

__all__ = ["ObjectiveWeights", "ScheduleInputs", "build_inputs"]
