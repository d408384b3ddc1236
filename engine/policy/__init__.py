"""Policy files: schema, validation with file:line:col messages, conditions and their reference evaluator."""

from engine.policy.check import check_policy_file, check_policy_text, explain, load_policy
from engine.policy.conditions import evaluate, parse_condition
from engine.policy.schema import Policy

__all__ = ["Policy", "check_policy_file", "check_policy_text", "evaluate", "explain", "load_policy", "parse_condition"]
