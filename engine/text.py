"""Text at the boundary: control characters refused before a string reaches a plan, a trace or a store.

PostgreSQL cannot store U+0000 in text at all (a NUL in an id answered 500 and failed a whole telemetry
batch), and other control characters in ids and names only ever come from broken or hostile senders. Tabs and
line breaks are allowed in free text; nothing else below U+0020, nor U+007F.
"""

from __future__ import annotations

import re

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # control characters other than \t \n \r


def no_control(value: str) -> str:
    """``value`` unchanged, or ValueError naming the first control character and where it is."""
    bad = CONTROL.search(value)
    if bad is not None:
        raise ValueError(f"control character U+{ord(bad.group()):04X} at position {bad.start()} is not allowed")
    return value


def check_strings(value: object) -> object:
    """A pydantic ``field_validator('*')`` body: strings, and strings inside lists and dict keys and values,
    free of control characters; anything else unchanged."""
    if isinstance(value, str):
        return no_control(value)
    if isinstance(value, list | tuple):
        for item in value:
            check_strings(item)
    elif isinstance(value, dict):
        for k, v in value.items():
            check_strings(k)
            check_strings(v)
    return value


def printable(value: str) -> str:
    """``value`` with every control character written as an escape (``\\x00``): safe for any store and log."""
    return CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", value)
