"""What identifies a decision: content hashes of its inputs and the decision id made of them."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict

from pydantic import BaseModel

from engine.domain import PlanningProblem
from engine.policy.directives import policy_directives
from engine.policy.schema import Policy


def content_hash(model: BaseModel) -> str:
    """Content hash of a model's canonical JSON (sorted keys, by alias; sha256 hex): equal after a JSON round
    trip, so a stored input hashes as it did when it arrived."""
    text = json.dumps(model.model_dump(mode="json", by_alias=True), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def problem_hash(problem: PlanningProblem) -> str:
    """Content hash of the canonical problem JSON (sha256, hex)."""
    return content_hash(problem)


def decision_key(problem_sha: str, strategy: str, weights_sha: str, previous_sha: str, policy_sha: str) -> str:
    """The decision id from the content hashes of problem, weights planned with, previous plan and policy (the
    last two "" when absent) and the strategy: sha256, first 20 hex digits, so the same input gives the same id."""
    key = f"{problem_sha}:{strategy}:{weights_sha}:{previous_sha}:{policy_sha}"
    return hashlib.sha256(key.encode()).hexdigest()[:20]


def policy_directives_json(policy: Policy | None, problem: PlanningProblem) -> list[dict]:
    """The policy-wide directives of the problem as JSON for the trace."""
    if policy is None:
        return []
    return [{"type": type(d).__name__, **json.loads(json.dumps(asdict(d)))} for d in policy_directives(policy, problem)]
