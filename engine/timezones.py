"""Timezone names: one check shared by every model that carries one."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def check_timezone(name: str) -> str:
    """Return ``name`` if it is a known IANA timezone; raise ValueError saying what to give otherwise.

    ``ZoneInfo`` looks the name up as a file, so a hostile name can also fail as OSError (too long, bad bytes)."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"unknown timezone {name!r} (use an IANA name like 'America/Los_Angeles')") from None
    return name


def as_utc(t: datetime) -> datetime:
    """``t`` in UTC: an aware time converted, a naive one (as SQLite returns stored times) taken as UTC."""
    return t.astimezone(UTC) if t.tzinfo is not None else t.replace(tzinfo=UTC)
