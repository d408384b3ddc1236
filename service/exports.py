"""Tables out of the API as JSON, CSV or Parquet (``?format=json|csv|parquet``), so finance and BI read the same
numbers the service shows without rebuilding its logic.

Nested values (lists, mappings) become JSON text in CSV and Parquet cells; times are ISO 8601 with their offset.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any, Literal

import pandas as pd
from litestar import Response

Format = Literal["json", "csv", "parquet"]
MEDIA = {"csv": "text/csv; charset=utf-8", "parquet": "application/vnd.apache.parquet"}


def _flat(rows: list[dict[str, Any]]) -> pd.DataFrame:
    def cell(v: Any) -> Any:
        return json.dumps(v, sort_keys=True, default=str) if isinstance(v, dict | list) else v

    return pd.DataFrame([{k: cell(v) for k, v in r.items()} for r in rows])


def table_bytes(rows: list[dict[str, Any]], fmt: Format) -> bytes:
    """``rows`` as JSON, CSV or Parquet bytes (what the API answers and the CLI writes)."""
    if fmt == "json":
        return json.dumps(rows, default=str, indent=1).encode()
    frame = _flat(rows)
    if fmt == "csv":
        return frame.to_csv(index=False).encode()
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def table_response(rows: list[dict[str, Any]], fmt: Format, name: str) -> Response:
    """``rows`` as a JSON list, or as a CSV or Parquet file named ``name`` (one column per key)."""
    if fmt == "json":
        return Response(rows)
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:100]  # a header holds ASCII: an id may hold anything
    headers = {"content-disposition": f'attachment; filename="{safe}.{fmt}"'}
    return Response(table_bytes(rows, fmt), media_type=MEDIA[fmt], headers=headers)
