"""The charge points allowed to connect, and their keys (OCPP security profiles 1 and 2: HTTP Basic auth on the
WebSocket upgrade, username the identity, password the AuthorizationKey).

A key is 20 random bytes written as 40 hex digits: valid as a 1.6 AuthorizationKey (16-20 bytes as hex) and as
a 2.0.1 BasicAuthPassword (16-40 characters). An operator may instead give a charger's existing key if it has at
least 32 hex digits (16 bytes). Only a salted SHA-256 of the key is stored; keys this long need no stretching.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update

from engine.control.profiles import ChargerElectrics
from engine.timezones import as_utc
from service.auth import same_hash
from service.ocpp.tables import chargers

IDENTITY = re.compile(r"^[A-Za-z0-9._\-]{1,48}$")  # 2.0.1: at most 48 characters, no ':'; we keep URL-safe ones
KEY = re.compile(r"^[0-9a-fA-F]{32,40}$")


class ChargerRefused(ValueError):
    """A charger that may not connect: unknown identity, no or wrong credentials (never says which)."""


@dataclass(frozen=True)
class RegisteredCharger:
    """A charger of the registry (never its key)."""

    charger_id: str
    tenant: str
    depot_id: str | None
    electrics: ChargerElectrics
    reliability: float
    created: datetime
    key_rotated: datetime
    last_seen: datetime | None
    protocol: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "charger_id": self.charger_id,
            "tenant": self.tenant,
            "depot_id": self.depot_id,
            **self.electrics.model_dump(),
            "reliability": self.reliability,
            "created": self.created.isoformat(),
            "key_rotated": self.key_rotated.isoformat(),
            "last_seen": None if self.last_seen is None else self.last_seen.isoformat(),
            "protocol": self.protocol,
        }


def new_charger_key() -> str:
    """20 random bytes as 40 hex digits."""
    return secrets.token_hex(20)


def check_identity(charger_id: str) -> str:
    if not IDENTITY.fullmatch(charger_id):
        raise ValueError(
            f"charger id {charger_id!r}: 1 to 48 characters of letters, digits, '.', '_' or '-' (OCPP identity)"
        )
    return charger_id


def check_key(key: str) -> str:
    if not KEY.fullmatch(key):
        raise ValueError("a charger key is 32 to 40 hex digits (16 to 20 bytes, OCPP AuthorizationKey)")
    return key.lower()


def _hash(salt: str, key: str) -> str:
    return hashlib.sha256(f"{salt}:{key.lower()}".encode()).hexdigest()


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """(username, password) of an ``Authorization: Basic ...`` header, None if absent or malformed."""
    if not header or header[:6].lower() != "basic ":
        return None
    try:
        text = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = text.partition(":")
    return (user, password) if sep else None


class ChargerRegistry:
    """Chargers in the store's database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(
        self,
        tenant: str,
        charger_id: str,
        electrics: ChargerElectrics,
        depot_id: str | None = None,
        key: str | None = None,
    ) -> str:
        """Register a charger; its key (shown once). Raises ValueError for a taken id or a bad key."""
        check_identity(charger_id)
        key = check_key(key) if key is not None else new_charger_key()
        if self.get(charger_id) is not None:
            raise ValueError(f"charger {charger_id!r} is already registered")
        now = datetime.now(UTC)
        salt = secrets.token_hex(16)
        with self.engine.begin() as conn:
            conn.execute(
                insert(chargers).values(
                    charger_id=charger_id,
                    tenant=tenant,
                    depot_id=depot_id,
                    key_salt=salt,
                    key_hash=_hash(salt, key),
                    rate_unit=electrics.rate_unit,
                    phases=electrics.phases,
                    voltage_v=electrics.voltage_v,
                    max_stack_level=electrics.max_stack_level,
                    reliability=1.0,
                    created=now,
                    key_rotated=now,
                )
            )
        return key

    def rotate_key(self, tenant: str, charger_id: str, key: str | None = None) -> str:
        """A new key for a charger of ``tenant`` (the old one stops working at once); the new key."""
        key = check_key(key) if key is not None else new_charger_key()
        salt = secrets.token_hex(16)
        with self.engine.begin() as conn:
            done = conn.execute(
                update(chargers)
                .where(chargers.c.tenant == tenant, chargers.c.charger_id == charger_id)
                .values(key_salt=salt, key_hash=_hash(salt, key), key_rotated=datetime.now(UTC))
            )
        if done.rowcount != 1:
            raise LookupError(f"no charger {charger_id!r} for tenant {tenant!r}")
        return key

    def get(self, charger_id: str) -> RegisteredCharger | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(chargers).where(chargers.c.charger_id == charger_id)).first()
        return None if row is None else _registered(row)

    def list(self, tenant: str) -> list[RegisteredCharger]:
        q = select(chargers).where(chargers.c.tenant == tenant).order_by(chargers.c.charger_id)
        with self.engine.connect() as conn:
            return [_registered(r) for r in conn.execute(q)]

    def authenticate(self, charger_id: str, header: str | None) -> RegisteredCharger:
        """The charger at ``/<version>/<charger_id>`` if ``header`` (``Authorization``) carries its identity and
        key; raises :class:`ChargerRefused` otherwise (the username must be the identity of the URL: a charger
        cannot connect as another)."""
        creds = basic_credentials(header)
        with self.engine.connect() as conn:
            row = conn.execute(select(chargers).where(chargers.c.charger_id == charger_id)).first()
        if row is None or creds is None:
            raise ChargerRefused("unknown charger or no credentials")
        user, password = creds
        if user != charger_id or not same_hash(_hash(row.key_salt, password), row.key_hash):
            raise ChargerRefused("wrong credentials")
        return _registered(row)

    def tenants(self) -> list[str]:
        """Tenants that have chargers."""
        with self.engine.connect() as conn:
            return [r[0] for r in conn.execute(select(chargers.c.tenant).distinct().order_by(chargers.c.tenant))]

    def seen(self, charger_id: str, protocol: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(chargers)
                .where(chargers.c.charger_id == charger_id)
                .values(last_seen=datetime.now(UTC), protocol=protocol)
            )

    def set_reliability(self, charger_id: str, score: float) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(chargers).where(chargers.c.charger_id == charger_id).values(reliability=score))


def _registered(row: Any) -> RegisteredCharger:
    return RegisteredCharger(
        charger_id=row.charger_id,
        tenant=row.tenant,
        depot_id=row.depot_id,
        electrics=ChargerElectrics(
            rate_unit=row.rate_unit, phases=row.phases, voltage_v=row.voltage_v, max_stack_level=row.max_stack_level
        ),
        reliability=row.reliability,
        created=as_utc(row.created),
        key_rotated=as_utc(row.key_rotated),
        last_seen=None if row.last_seen is None else as_utc(row.last_seen),
        protocol=row.protocol,
    )
