"""Request and response bodies of the decision API (pydantic, so OpenAPI documents them)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from engine.domain import LARGEST, Moment, PlanningProblem
from engine.errors import from_validation_error
from engine.policy.schema import Policy
from engine.results import STRATEGIES
from engine.text import check_strings


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    raw_fields: ClassVar[frozenset[str]] = frozenset()  # fields checked item by item further in, not here

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: object, info: ValidationInfo) -> object:
        return value if info.field_name in cls.raw_fields else check_strings(value)


class DecisionRequest(_Body):
    """Plan a problem under a policy."""

    problem: PlanningProblem
    policy: str | Policy = Field(
        description="Name of a file in policies/ (e.g. 'courier'), an inline policy, or a policy file's YAML text."
    )
    strategy: Literal[STRATEGIES] = "optimal"

    @field_validator("policy", mode="before")
    @classmethod
    def _inline_policy(cls, value: object) -> object:
        """An inline policy checked as ``policy check`` checks a file: each mistake at its path in the policy,
        an unknown key with a did-you-mean (not the union's internal path)."""
        if not isinstance(value, dict):
            return value
        try:
            return Policy.model_validate(value)
        except ValidationError as exc:
            problems = from_validation_error(exc, model=Policy).problems
            text = "; ".join(f"{p.field}: {p.message}" if p.field else p.message for p in problems)
            raise PydanticCustomError("policy", "{problems}", {"problems": text}) from None


class DecisionSummary(BaseModel):
    """One row of the decision list."""

    decision_id: str
    created: datetime
    status: str
    mode: str
    review: str
    depots: list[str]
    strategy: str
    policy: str
    bill_usd: float = Field(description="Bill money of the plan: energy + demand + fees [$].")


class DecisionPage(BaseModel):
    """A page of decisions, newest first."""

    items: list[DecisionSummary]
    page: int
    page_size: int
    total: int


class ReviewRequest(_Body):
    """Approve a decision (assisted mode)."""

    reason: str = Field("", max_length=2000)


class SessionChange(_Body):
    """One change a dispatcher makes: the vehicle charges on ``charger_id`` from ``start`` to ``end`` and, in the
    stays at a site that window touches, nowhere else; without a charger it does not charge in the window."""

    vehicle_id: str = Field(max_length=200)
    charger_id: str | None = Field(None, max_length=200, description="The charger; none: no charging in the window.")
    start: Moment
    end: Moment


class OverrideRequest(_Body):
    """Override a decision: what changes and why. The decision's inputs are planned again with the changes held
    (every other vehicle re-planned around them, under the same site limit, pools and policy)."""

    changes: list[SessionChange] = Field(min_length=1, max_length=500)
    reason: str = Field(min_length=1, max_length=2000)
    accept_violations: bool = Field(
        False,
        description="Record the override even when its plan leaves a target unmet that the decision met "
        "(otherwise 409 naming each).",
    )


class ReviewResult(BaseModel):
    """The decision's review state after an approval or override."""

    decision_id: str
    review: str
    reviews: list[dict[str, Any]]


class OverrideResult(ReviewResult):
    """An override: the review on the overridden decision and the decision that replaces it."""

    replacement_decision_id: str = Field(description="The decision planned with the changes (approved by them).")
    bill_difference_usd: float = Field(description="Bill money of the replacement less the original's [$].")
    objective_difference_usd: float = Field(description="The same for the objective (money and non-cash) [$].")
    violations_added: list[str] = Field(description="Targets the replacement leaves unmet that the original met.")


class ReplayResult(BaseModel):
    """Whether re-running the stored inputs gives the same plan."""

    decision_id: str
    identical: bool
    replayed_decision_id: str
    differences: list[str]
    reason: str | None = None  # why the runs may differ: the wall-clock safety net fired in one of them


class Explanation(BaseModel):
    """Why this charger, why now, for one vehicle."""

    decision_id: str
    vehicle_id: str
    explanation: str
    charger_id: str | None
    sessions: list[dict[str, Any]]
    rules: list[dict[str, Any]]
    constraints: dict[str, str]


class PolicyInfo(BaseModel):
    """A named policy file."""

    name: str
    title: str
    version: str
    owner: str
    description: str
    mode: str


class ValidateRequest(_Body):
    """Policy YAML to check."""

    text: str = Field(max_length=1_000_000)
    name: str = Field("policy.yaml", max_length=200, description="File name used in the messages.")


class ValidateResult(BaseModel):
    """``policy check`` for a text: valid, else one ``PATH:LINE:COL: message`` per problem."""

    valid: bool
    problems: list[str]


class BillRequest(_Body):
    """A load profile to bill under a shipped tariff."""

    tariff: str = Field(max_length=200)
    start: Moment
    step_minutes: int = Field(15, ge=1, le=60)
    load_kw: list[Annotated[float, Field(ge=-LARGEST, le=LARGEST)]] = Field(min_length=1, max_length=100_000)


class AuditPage(BaseModel):
    """A page of the audit log, oldest first."""

    items: list[dict[str, Any]]
    page: int
    page_size: int
    total: int


MAX_BATCH_EVENTS = 10_000


class IngestRequest(_Body):
    """A batch of telemetry payloads (normalised events, Acme webhook payloads or Fleetbook CSV rows)."""

    raw_fields: ClassVar[frozenset[str]] = frozenset({"events"})  # a bad event is quarantined, not the batch

    events: list[Any] = Field(
        max_length=MAX_BATCH_EVENTS,
        description="At most 10,000 events; an item that is not an event is quarantined, not the whole batch.",
    )


class IngestResult(BaseModel):
    """Counts per status and one result per event, in request order."""

    accepted: int
    duplicate: int
    quarantined: int
    results: list[dict[str, Any]]


class QuarantinePage(BaseModel):
    """A page of quarantined events, newest first."""

    items: list[dict[str, Any]]
    page: int
    page_size: int
    total: int


class ReleaseRequest(_Body):
    """The corrected payload; without one the original is re-checked."""

    event: dict[str, Any] | None = None


class KeyInfo(BaseModel):
    """An API key as the tenant's admin sees it (never the key or its hash)."""

    prefix: str
    tenant: str
    scopes: list[str]
    label: str | None
    created: datetime
    expires: datetime | None
    revoked: datetime | None
    last_used: datetime | None = Field(description="Last request with it (to the minute).")
    state: Literal["active", "expired", "revoked"]


class RotatedKey(KeyInfo):
    """The new key of a rotation: ``key`` is shown this once."""

    key: str


class JobInfo(BaseModel):
    """An asynchronous plan (``POST /v1/decisions`` with ``Prefer: respond-async``)."""

    job_id: str
    status: Literal["queued", "running", "done", "failed", "cancelled"]
    created: datetime
    updated: datetime
    decision_id: str | None = Field(None, description="The decision it made, once done.")
    decision_url: str | None = Field(None, description="Where that decision is read, once done.")
    error: str | None = Field(None, description="Why it failed, when it failed.")
    job_url: str = Field(description="Where this job is read.")


class JobPage(BaseModel):
    """A page of the tenant's jobs, newest first."""

    items: list[JobInfo]
    page: int
    page_size: int
