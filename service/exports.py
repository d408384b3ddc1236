"""Tables out of the API as JSON, CSV or Parquet (``?format=json|csv|parquet``), so finance and BI read the same
numbers the service shows without rebuilding its logic.

Nested values (lists, mappings) become JSON text in CSV and Parquet cells; times are ISO 8601 with their offset.
"""

from __future__ import annotations

import io
import json
from typing import Any, Literal

import pandas as pd
from litestar import Response

Format = Literal["json", "csv", "parquet"]
MEDIA = {"csv": "text/csv; charset=utf-8", "parquet": "application/vnd.apache.parquet"}


def _flat(rows: list[dict[str, Any]]) -> pd.DataFrame:
    def cell(v: Any) -> Any:
        return json.dumps(v, sort_keys=True, default=str) if isinstance(v, dict | list) else v

    return pd.DataFrame([{k: cell(v) for k, v in r.items()} for r in rows])


def table_response(rows: list[dict[str, Any]], fmt: Format, name: str) -> Response:
    """``rows`` as a JSON list, or as a CSV or Parquet file named ``name`` (one column per key)."""
    if fmt == "json":
        return Response(rows)
    frame = _flat(rows)
    headers = {"content-disposition": f'attachment; filename="{name}.{fmt}"'}
    if fmt == "csv":
        return Response(frame.to_csv(index=False), media_type=MEDIA["csv"], headers=headers)
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return Response(buffer.getvalue(), media_type=MEDIA["parquet"], headers=headers)
