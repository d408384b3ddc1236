"""API keys: random secrets stored as SHA-256 hashes, each bound to one tenant and a set of scopes.

A key reads ``fc_<prefix>_<secret>``; the prefix (8 characters) finds the row, the hash of the whole key is
compared in constant time. Keys have 256 bits of entropy, so a fast hash is enough (no password stretching).
Scopes: ``read`` (look), ``plan`` (create and replay decisions), ``approve`` (approve and override),
``admin`` (everything, and the audit log).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

SCOPES = ("read", "plan", "approve", "ingest", "admin")


@dataclass(frozen=True)
class Principal:
    """Who is calling: the tenant, the key's scopes and its public prefix (used in the audit log)."""

    tenant: str
    scopes: frozenset[str]
    key_prefix: str

    def allows(self, scope: str) -> bool:
        """Whether the key may do ``scope`` (admin may do everything)."""
        return scope in self.scopes or "admin" in self.scopes


def new_key() -> tuple[str, str, str]:
    """A new key: (key, prefix, sha256 hex of the key)."""
    prefix = secrets.token_hex(4)
    key = f"fc_{prefix}_{secrets.token_urlsafe(32)}"
    return key, prefix, hash_key(key)


def hash_key(key: str) -> str:
    """SHA-256 hex of a key."""
    return hashlib.sha256(key.encode()).hexdigest()


def prefix_of(key: str) -> str | None:
    """The lookup prefix of a well-formed key, else None."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != "fc" or len(parts[1]) != 8:
        return None
    return parts[1]


def same_hash(a: str, b: str) -> bool:
    """Constant-time comparison."""
    return hmac.compare_digest(a.encode(), b.encode())


def parse_scopes(text: str) -> frozenset[str]:
    """``"read,plan"`` -> scopes; raises ValueError naming an unknown scope."""
    scopes = frozenset(s.strip() for s in text.split(",") if s.strip())
    unknown = sorted(scopes - set(SCOPES))
    if unknown or not scopes:
        raise ValueError(f"unknown scopes {unknown}; choose from {', '.join(SCOPES)}" if unknown else "no scopes given")
    return scopes
