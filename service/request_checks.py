"""Requests refused before any handler sees them: control characters in the path or query, JSON bodies nested
deeper than any request needs.

A NUL in a path or query reached PostgreSQL (which cannot store it) and answered 500. The JSON decoder recurses once per level: a body of 1,000 nested arrays (2 kB) raised RecursionError in every
JSON endpoint (a 500). The deepest request the API takes is a problem with a policy inline, under ten levels, so
``MAX_JSON_DEPTH`` leaves ample room. The depth is counted in C speed: strings removed by one regular
expression, every byte but brackets deleted, the running sum of opens minus closes taken with numpy.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_plus

import numpy as np
from litestar import Request
from litestar.exceptions import HTTPException
from litestar.status_codes import HTTP_400_BAD_REQUEST

from engine.text import CONTROL

MAX_JSON_DEPTH = 64  # deepest nesting of arrays and objects in a request body [-]
_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def json_depth(body: bytes) -> int:
    """Deepest nesting of arrays and objects in a JSON text (brackets inside strings not counted)."""
    brackets = _STRINGS.sub(b"", body).translate(None, _NOT_BRACKETS)
    if not brackets:
        return 0
    codes = np.frombuffer(brackets, dtype=np.uint8)
    steps = np.where((codes == ord("[")) | (codes == ord("{")), 1, -1)
    return int(np.cumsum(steps).max())


async def check_request(request: Request) -> None:
    """``before_request`` hook: 400 for a control character in the path or query (:mod:`engine.text`), or a
    JSON body nested deeper than ``MAX_JSON_DEPTH``."""
    for where, text in (("path", request.url.path), ("query", unquote_plus(request.url.query or ""))):
        bad = CONTROL.search(text)
        if bad is not None:
            raise HTTPException(
                status_code=HTTP_400_BAD_REQUEST,
                detail=f"control character U+{ord(bad.group()):04X} in the {where} is not allowed",
            )
    if request.method in ("POST", "PUT", "PATCH") and "json" in request.headers.get("content-type", ""):
        depth = json_depth(await request.body())
        if depth > MAX_JSON_DEPTH:
            raise HTTPException(
                status_code=HTTP_400_BAD_REQUEST,
                detail=f"JSON nested {depth} levels deep; at most {MAX_JSON_DEPTH} are accepted",
            )
