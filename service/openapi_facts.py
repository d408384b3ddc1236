"""The OpenAPI document made to say what the server does (issue 15.13): every status code an operation can
answer, no security requirement on the public endpoints, ``additionalProperties: false`` on every body model
that refuses extra keys.

Litestar documents the success and validation codes of each handler; the codes that come from the layers around
the handlers (authentication 401, scopes 403, rate limits 429, request checks 400, body size 413, a missing
resource 404, a crashed or overlong solve 503) are added here, once, from what those layers do.

Links say where a decision's id leads (OpenAPI 3.1 ``links``): from a created decision and from the first row of
a listing to the decision, its trace, its explanation, its replay, approval and override. Clients and stateful
testers follow them.
"""

from __future__ import annotations

import inspect

from litestar import Litestar
from litestar.openapi.spec import Link, OpenAPIMediaType, OpenAPIResponse, Operation, Reference, Schema
from litestar.openapi.spec.enums import OpenAPIType
from pydantic import BaseModel

from engine import domain
from engine.policy import schema as policy_schema
from service import schemas as api_schemas

PUBLIC = {"/health", "/health/ready", "/metrics"}  # no key needed
SOLVES = {"createDecision", "replayDecision", "ingestTelemetry"}  # may answer 503 from the solver
COMMANDS = {"dispatchDecision", "startCharger", "stopCharger"}  # 503 without a job store
WHY = {
    "400": "Bad request: a control character in the path or query, JSON nested deeper than 64 levels, or a body "
    "that is not JSON",
    "401": "No API key, or an unknown, revoked or expired one",
    "403": "The key lacks the scope this operation needs",
    "404": "No such resource in the caller's tenant",
    "409": "Not in a state that allows it: already approved or released, a shadow-mode decision, or a job that "
    "has finished",
    "413": "The body is larger than the service accepts",
    "422": "Invalid input: one {field, message} per mistake",
    "429": "Over the key's (or the client's bad-key) request rate; see Retry-After",
    "503": "The solve process crashed or ran past the hard limit (see Retry-After), or charger commands are asked "
    "of a service that keeps no job store",
}


# operations that take a decision id, and where a response holds one
BY_DECISION_ID = (
    "getDecision",
    "getDecisionTrace",
    "explainDecision",
    "replayDecision",
    "approveDecision",
    "overrideDecision",
)
DECISION_ID_IN = {
    "createDecision": ("201", "$response.body#/decision_id"),
    "listDecisions": ("200", "$response.body#/items/0/decision_id"),
}


def _link_decisions(op: Operation) -> None:
    """Links from ``op``'s success response to every operation on the decision id it returns."""
    code, where = DECISION_ID_IN[op.operation_id]
    response = op.responses[code]
    response.links = {
        target: Link(operation_id=target, parameters={"decision_id": where}, description=f"{target} of this decision")
        for target in BY_DECISION_ID
    }


def _error_body() -> Schema:
    return Schema(
        type=OpenAPIType.OBJECT,
        properties={
            "status_code": Schema(type=OpenAPIType.INTEGER),
            "detail": Schema(type=OpenAPIType.STRING),
            "errors": Schema(
                type=OpenAPIType.ARRAY,
                items=Schema(
                    type=OpenAPIType.OBJECT,
                    properties={"field": Schema(type=OpenAPIType.STRING), "message": Schema(type=OpenAPIType.STRING)},
                ),
            ),
        },
        required=["status_code", "detail"],
    )


def _strict_models() -> set[str]:
    """Names of the pydantic models at the boundary that refuse extra keys."""
    out = set()
    for module in (domain, policy_schema, api_schemas):
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, BaseModel) and cls.model_config.get("extra") == "forbid":
                out.add(name)
    return out


def _files(op: Operation) -> None:
    """An operation with ``?format=csv|parquet`` (``service.exports``) also answers those files."""
    ok = (op.responses or {}).get("200")
    if isinstance(ok, OpenAPIResponse):
        ok.content = dict(ok.content or {})
        ok.content["text/csv"] = OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING))
        ok.content["application/vnd.apache.parquet"] = OpenAPIMediaType(
            schema=Schema(type=OpenAPIType.STRING, format="binary")
        )


def document(app: Litestar) -> None:
    """Complete ``app``'s OpenAPI document in place (before it is first served)."""
    doc = app.openapi_schema
    doc.security = None  # per operation instead: the public ones have none
    doc.components.schemas["ErrorBody"] = _error_body()
    error = Reference(ref="#/components/schemas/ErrorBody")
    for path, item in doc.paths.items():
        for method in ("get", "post", "put", "patch", "delete"):
            op = getattr(item, method)
            if op is None:
                continue
            codes = {"400"}
            if path not in PUBLIC:
                op.security = [{"bearer": []}]
                codes |= {"401", "403", "429"}
            if "{" in path:
                codes.add("404")
            if method in ("post", "put", "patch"):
                codes |= {"413", "422"}
            if op.parameters:
                codes.add("422")
            if op.operation_id in SOLVES or op.operation_id in COMMANDS:
                codes.add("503")
            if path.rsplit("/", 1)[-1] in ("approve", "override", "release", "cancel", "dispatch", "start", "stop"):
                codes.add("409")
            responses = op.responses or {}
            for code in sorted(codes):
                if code not in responses:
                    responses[code] = OpenAPIResponse(
                        description=WHY[code], content={"application/json": OpenAPIMediaType(schema=error)}
                    )
            op.responses = responses
            if any(getattr(prm, "name", None) == "format" for prm in op.parameters or []):
                _files(op)
            if op.operation_id in DECISION_ID_IN:
                _link_decisions(op)
    strict = _strict_models()
    for name, schema in doc.components.schemas.items():
        if name in strict and isinstance(schema, Schema) and schema.type == OpenAPIType.OBJECT:
            schema.additional_properties = False
