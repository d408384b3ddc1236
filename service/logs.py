"""Structured logs: one JSON object a line (``time``, ``level``, ``logger``, ``message``, the request's id and any
fields a call adds), for the service's own loggers and uvicorn's; and the request id itself.

Every HTTP request gets an id: the caller's ``X-Request-ID`` when it is a plain token (letters, digits, ``.``,
``_``, ``-``; at most 64), else 16 new hex digits. It is answered in the response's ``X-Request-ID`` and rides
on every log line written while the request is handled (uvicorn's access line included), so a line in the log
and an answer a caller holds can be matched.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID: ContextVar[str | None] = ContextVar("fleetcharge_request_id", default=None)
HEADER = "x-request-id"
_TOKEN = re.compile(r"[A-Za-z0-9._-]{1,64}")
# attributes every LogRecord has: what is left over was added by the call (``extra=``) and is logged as a field
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "color_message"}


def request_id_middleware(app: ASGIApp) -> ASGIApp:
    """ASGI middleware: the request's id (module doc) in :data:`REQUEST_ID` and in the response header."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        given = next(
            (v.decode("latin-1") for k, v in scope.get("headers", []) if k.decode("latin-1").lower() == HEADER), ""
        )
        rid = given if _TOKEN.fullmatch(given) else uuid.uuid4().hex[:16]
        token = REQUEST_ID.set(rid)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableScopeHeaders.from_message(message)["X-Request-ID"] = rid
            await send(message)

        try:
            await app(scope, receive, send_with_id)
        finally:
            REQUEST_ID.reset(token)

    return middleware


class JsonFormatter(logging.Formatter):
    """A log record as one JSON line (module doc); uvicorn's access lines get ``client``, ``method``, ``path``
    and ``status`` as fields of their own."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = REQUEST_ID.get()
        if rid is not None:
            out["request_id"] = rid
        if record.name == "uvicorn.access" and isinstance(record.args, tuple) and len(record.args) == 5:
            client, method, path, _version, status = record.args
            out.update(client=client, method=method, path=path, status=status)
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in out:
                out[key] = value
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


def log_config(fmt: str = "json", level: str = "INFO") -> dict[str, Any]:
    """A :func:`logging.config.dictConfig` for the service and uvicorn (``log_config=`` of ``uvicorn.run``):
    JSON lines (``json``) or uvicorn's usual text (``text``) on standard output."""
    formatter = {"()": JsonFormatter} if fmt == "json" else {"format": "%(levelname)s %(name)s: %(message)s"}
    handler = {"class": "logging.StreamHandler", "formatter": "default", "stream": "ext://sys.stdout"}
    loggers = {name: {"handlers": ["default"], "level": level, "propagate": False} for name in LOGGERS}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "handlers": {"default": handler},
        "loggers": loggers,
    }


LOGGERS = ("fleetcharge", "uvicorn", "uvicorn.error", "uvicorn.access")
