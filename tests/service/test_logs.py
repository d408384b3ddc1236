"""Structured logs with request ids (issue 18.7): every response carries its request's id, and the log lines
written for it are JSON objects that carry it too."""

from __future__ import annotations

import json
import logging
import re

from service.logs import REQUEST_ID, JsonFormatter
from tests.service.conftest import request_body, small_problem


def test_a_callers_request_id_is_answered_and_a_missing_or_odd_one_is_made(client) -> None:
    assert client.get("/health", headers={"X-Request-ID": "trace-7.a_b"}).headers["x-request-id"] == "trace-7.a_b"
    made = client.get("/health").headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{16}", made)
    for odd in ("x" * 65, "a b", "<script>"):
        answered = client.get("/health", headers={"X-Request-ID": odd}).headers["x-request-id"]
        assert answered != odd and re.fullmatch(r"[0-9a-f]{16}", answered)
    assert client.get("/health").headers["x-request-id"] != made


def test_a_log_record_is_one_json_line_with_the_request_id_and_its_fields() -> None:
    token = REQUEST_ID.set("r-1")
    try:
        record = logging.makeLogRecord(
            {"name": "fleetcharge.service", "levelname": "ERROR", "msg": "error %s", "args": ("e1",), "error_id": "e1"}
        )
        line = JsonFormatter().format(record)
    finally:
        REQUEST_ID.reset(token)
    out = json.loads(line)
    assert (out["level"], out["logger"], out["message"], out["request_id"], out["error_id"]) == (
        "error",
        "fleetcharge.service",
        "error e1",
        "r-1",
        "e1",
    )
    assert "\n" not in line


def test_an_unexpected_error_is_logged_with_the_ids_the_caller_was_given(client, keys, monkeypatch, caplog) -> None:
    async def boom(*_args, **_kwargs):
        raise ZeroDivisionError("secret internals")

    monkeypatch.setattr(client.app.state.planner, "decide", boom)
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(JsonFormatter().format(record))

    handler = Keep()
    logging.getLogger("fleetcharge.service").addHandler(handler)
    try:
        r = client.post(
            "/v1/decisions", json=request_body(small_problem()), headers={**keys.planner, "X-Request-ID": "req-42"}
        )
    finally:
        logging.getLogger("fleetcharge.service").removeHandler(handler)
    assert r.status_code == 500 and r.headers["x-request-id"] == "req-42"
    (line,) = [json.loads(x) for x in lines if "error_id" in x]
    assert line["request_id"] == "req-42" and line["error_id"] == r.json()["error_id"]
    assert "ZeroDivisionError" in line["exception"] and "secret" not in r.text


def test_the_served_log_is_json_lines_with_the_settings_and_each_requests_id(tmp_path) -> None:
    """``fleetcharge serve``: its log says its settings first (no password), then uvicorn's access line of a request
    carries the id the caller sent."""
    import httpx

    from tests.service.test_shutdown import serve

    proc, port, _key = serve(tmp_path)
    try:
        assert httpx.get(f"http://127.0.0.1:{port}/health", headers={"X-Request-ID": "probe-9"}).status_code == 200
    finally:
        proc.terminate()
        proc.wait(30)
    records = [json.loads(x) for x in (tmp_path / "serve.log").read_text().splitlines() if x.startswith("{")]
    settings = next(r for r in records if r["message"] == "settings")["settings"]
    assert settings["solver_workers"] == 2 and settings["job_store"].endswith("api-jobs.db")
    (access,) = [r for r in records if r.get("request_id") == "probe-9"]
    assert (access["logger"], access["method"], access["path"], access["status"]) == (
        "uvicorn.access",
        "GET",
        "/health",
        200,
    )
