"""Compare two Decisions as JSON: the replay check shared by the API and the notebooks."""

from __future__ import annotations

from typing import Any

MAX_DIFFERENCES = 20


def volatile(path: str) -> bool:
    """What may differ between two runs of the same input: when it ran (``created``) and how long anything took
    (every field whose name ends in ``seconds``, e.g. ``solver.seconds``, ``trace.repair_steps[0].mip_seconds``)."""
    return path == "created" or path.rsplit(".", 1)[-1].endswith("seconds")


def json_differences(a: Any, b: Any, path: str = "") -> list[str]:
    """Dotted paths at which two JSON values differ, volatile fields ignored, at most ``MAX_DIFFERENCES``."""
    if volatile(path):
        return []
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[str] = []
        for k in sorted(set(a) | set(b)):
            sub = f"{path}.{k}" if path else str(k)
            out += json_differences(a.get(k), b.get(k), sub) if k in a and k in b else [sub]
        return out[:MAX_DIFFERENCES]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path} (length {len(a)} vs {len(b)})"]
        out = []
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            out += json_differences(x, y, f"{path}[{i}]")
            if len(out) >= MAX_DIFFERENCES:
                break
        return out[:MAX_DIFFERENCES]
    return [] if a == b else [path]


def not_replayable_reason(stored: dict, again: dict) -> str | None:
    """Why two runs of the same input may differ, from either Decision's ``trace.replayable`` (JSON): the
    wall-clock safety net stopped the solver in one of them. None when both ran to their work limits."""
    for name, d in (("stored", stored), ("replayed", again)):
        trace = d.get("trace") or {}
        if trace.get("replayable") is False:
            return f"{name} decision: {trace.get('replayable_reason') or 'not replayable'}"
    return None
