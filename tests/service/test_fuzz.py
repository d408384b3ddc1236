"""Schemathesis against the served OpenAPI schema: no generated request, authorised or not, gets a 5xx, and
every status code answered is one the schema documents for that operation (issue 15.13)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from engine.decision import decide
from engine.tariffs import load_tariff, resolve_tariff_path
from service import create_app
from service.decisions import record_decision
from service.named_files import named_policy
from service.settings import Settings
from service.store import Store
from tests.service.conftest import small_problem

_DB = Path(tempfile.mkdtemp(prefix="fleetcharge-fuzz-")) / "fuzz.db"
_STORE = Store(f"sqlite:///{_DB}")
_KEY = _STORE.create_key("fuzz", frozenset({"admin"}))
_SETTINGS = Settings(
    db_url="sqlite://",
    solver_workers=0,
    time_limit_s=5,
    max_vehicle_slots=2_000,
    requests_per_key_s=1e6,  # the fuzzer's one key sends thousands of requests: rates are tested elsewhere
    burst_per_key=1_000_000,
)
_APP = create_app(_SETTINGS, _STORE)
# CI runs a fixed, derandomized sample (stable); FLEETCHARGE_FUZZ_EXAMPLES=500 explores further with fresh seeds.
EXAMPLES = int(os.environ.get("FLEETCHARGE_FUZZ_EXAMPLES", "25"))
DERANDOMIZE = "FLEETCHARGE_FUZZ_EXAMPLES" not in os.environ
schema = schemathesis.openapi.from_asgi("/schema/openapi.json", _APP)


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=DERANDOMIZE, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {_KEY}"}, checks=STATEFUL_CHECKS)


def _seed_decision() -> str:
    """One real decision in the fuzz store (two vans under the courier policy, planned and recorded as the service
    does), so links from the listing lead to a decision that exists and its full responses meet their schemas."""
    problem = small_problem()
    policy = named_policy(_SETTINGS.policies_dir, "courier")
    decision = decide(problem, policy=policy, tariff=load_tariff(resolve_tariff_path(problem.tariff)))
    record_decision(_STORE, "fuzz", "seed", decision, problem, policy, "courier", "optimal")
    return decision.decision_id


SEEDED = _seed_decision()
STATEFUL_CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance, content_type_conformance]


class DecisionWorkflow(schema.as_state_machine()):
    """Sequences of calls that follow the document's links (listing -> a decision -> its trace, explanation,
    replay, approval, override), each response checked as in the stateless test."""

    def get_call_kwargs(self, case) -> dict:
        return {"headers": {"Authorization": f"Bearer {_KEY}"}}

    def validate_response(self, response, case, additional_checks=None, **kwargs) -> None:
        case.validate_response(response, checks=STATEFUL_CHECKS)


TestDecisionWorkflow = DecisionWorkflow.TestCase
TestDecisionWorkflow.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=6,
    deadline=None,
    derandomize=DERANDOMIZE,
    suppress_health_check=list(HealthCheck),
)
