"""Error responses: field paths for bad input (422), names for unknown things (404), never a traceback."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import (
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
)

from engine.errors import InputError
from service.decisions import ReviewRefused, UnknownDecision
from service.jobs import JobFinished, UnknownJob
from service.named_files import UnknownPolicy
from service.ocpp.dispatch import CommandsUnavailable
from service.solver_processes import SolverCrashed, SolverTimeout

log = logging.getLogger("fleetcharge.service")


def _field(key: str) -> str:
    """``problem.vehicles.3.battery_kwh`` -> ``problem.vehicles[3].battery_kwh``."""
    out = ""
    for part in key.split("."):
        if part.isdigit():
            out += f"[{part}]"
        elif part:
            out += f".{part}" if out else part
    return out


def validation_error(_request: Request, exc: ValidationException) -> Response[dict[str, Any]]:
    """Body, query and path validation: 422 with one {field, message} per mistake."""
    errors = []
    for e in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(e, dict):
            errors.append({"field": _field(str(e.get("key", ""))), "message": str(e.get("message", ""))})
    return Response(
        {"status_code": 422, "detail": exc.detail or "invalid request", "errors": errors},
        status_code=HTTP_422_UNPROCESSABLE_ENTITY,
    )


def input_error(_request: Request, exc: InputError) -> Response[dict[str, Any]]:
    """Engine input errors (unknown tariff, problem too large, bad values): 422 naming each field."""
    errors = [{"field": p.field, "message": p.message} for p in exc.problems]
    return Response(
        {"status_code": 422, "detail": "invalid input", "errors": errors}, status_code=HTTP_422_UNPROCESSABLE_ENTITY
    )


def unknown_policy(_request: Request, exc: UnknownPolicy) -> Response[dict[str, Any]]:
    """404 naming the policies that exist."""
    return Response(
        {"status_code": 404, "detail": str(exc), "available": exc.available}, status_code=HTTP_404_NOT_FOUND
    )


def unknown_decision(_request: Request, exc: UnknownDecision) -> Response[dict[str, Any]]:
    """404: no such decision for the caller's tenant."""
    return Response({"status_code": 404, "detail": str(exc)}, status_code=HTTP_404_NOT_FOUND)


def unknown_job(_request: Request, exc: UnknownJob) -> Response[dict[str, Any]]:
    """404: no such job for the caller's tenant."""
    return Response({"status_code": 404, "detail": str(exc)}, status_code=HTTP_404_NOT_FOUND)


def job_finished(_request: Request, exc: JobFinished) -> Response[dict[str, Any]]:
    """409: the job is done, failed or cancelled already."""
    return Response({"status_code": 409, "detail": str(exc)}, status_code=HTTP_409_CONFLICT)


def review_refused(_request: Request, exc: ReviewRefused) -> Response[dict[str, Any]]:
    """409: the decision's state does not allow this review (shadow mode, already approved)."""
    return Response({"status_code": 409, "detail": str(exc)}, status_code=HTTP_409_CONFLICT)


def commands_unavailable(_request: Request, exc: CommandsUnavailable) -> Response[dict[str, Any]]:
    """503: this service keeps no job store, so it cannot send durable charger commands."""
    return Response({"status_code": 503, "detail": str(exc)}, status_code=HTTP_503_SERVICE_UNAVAILABLE)


def http_error(_request: Request, exc: HTTPException) -> Response[dict[str, Any]]:
    """Litestar's own HTTP errors, in our shape."""
    body: dict[str, Any] = {"status_code": exc.status_code, "detail": exc.detail}
    return Response(body, status_code=exc.status_code, headers=getattr(exc, "headers", None))


def solver_unavailable(_request: Request, exc: SolverCrashed | SolverTimeout) -> Response[dict[str, Any]]:
    """The solve process crashed or ran past the hard limit: 503 saying so (the service itself is fine)."""
    return Response(
        {"status_code": 503, "detail": str(exc)}, status_code=HTTP_503_SERVICE_UNAVAILABLE, headers={"Retry-After": "5"}
    )


def internal_error(request: Request, exc: Exception) -> Response[dict[str, Any]]:
    """Anything else: logged server-side with an id (no request headers, so no keys), 500 without internals."""
    error_id = uuid.uuid4().hex[:12]
    log.error(
        "error %s on %s %s", error_id, request.method, request.url.path, exc_info=exc, extra={"error_id": error_id}
    )
    return Response(
        {"status_code": 500, "detail": "internal error; the service log has the details", "error_id": error_id},
        status_code=HTTP_500_INTERNAL_SERVER_ERROR,
    )


HANDLERS = {
    ValidationException: validation_error,
    InputError: input_error,
    UnknownPolicy: unknown_policy,
    UnknownDecision: unknown_decision,
    ReviewRefused: review_refused,
    UnknownJob: unknown_job,
    JobFinished: job_finished,
    CommandsUnavailable: commands_unavailable,
    SolverCrashed: solver_unavailable,
    SolverTimeout: solver_unavailable,
    HTTPException: http_error,
    Exception: internal_error,
}
