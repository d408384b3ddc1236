"""API keys in the store (:class:`service.store.Store` has these methods): created and shown once, kept as hashes,
listed, revoked and rotated, each bound to one tenant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, insert, select, update

from engine.timezones import as_utc
from service.auth import Principal, hash_key, new_key, prefix_of, same_hash
from service.tables import api_keys

LAST_USED_EVERY = timedelta(minutes=1)  # how stale a key's last-use time may be


class KeyStore:
    """The key half of the store; ``engine`` is the store's."""

    engine: Engine

    def create_key(
        self, tenant: str, scopes: frozenset[str], label: str | None = None, expires: datetime | None = None
    ) -> str:
        """Store a new key for ``tenant`` and return it (the only time it is ever shown). ``expires``: when it
        stops working (None: until revoked); ``label``: what it is for (``demo`` marks the demo key)."""
        key, prefix, digest = new_key()
        with self.engine.begin() as conn:
            conn.execute(
                insert(api_keys).values(
                    tenant=tenant,
                    prefix=prefix,
                    key_hash=digest,
                    scopes=",".join(sorted(scopes)),
                    created=datetime.now(UTC),
                    label=label,
                    expires=None if expires is None else as_utc(expires),
                )
            )
        return key

    def principal(self, key: str, now: datetime | None = None) -> Principal | None:
        """Who holds ``key``, or None for an unknown, revoked or expired key. Notes the key's last use (at most
        once a ``LAST_USED_EVERY``, so reads do not become writes)."""
        prefix = prefix_of(key)
        if prefix is None:
            return None
        now = now or datetime.now(UTC)
        with self.engine.connect() as conn:
            row = conn.execute(select(api_keys).where(api_keys.c.prefix == prefix)).mappings().first()
        if row is None or not same_hash(row["key_hash"], hash_key(key)):
            return None
        if row["revoked"] is not None or (row["expires"] is not None and as_utc(row["expires"]) <= now):
            return None
        if row["last_used"] is None or now - as_utc(row["last_used"]) >= LAST_USED_EVERY:
            with self.engine.begin() as conn:
                conn.execute(update(api_keys).where(api_keys.c.prefix == prefix).values(last_used=now))
        return Principal(row["tenant"], frozenset(row["scopes"].split(",")), prefix)

    def list_keys(self, tenant: str | None = None) -> list[dict[str, Any]]:
        """Every key of ``tenant`` (all tenants if None), oldest first, without hashes: prefix, tenant,
        scopes, label, created, expires, revoked, last_used, state (active | expired | revoked)."""
        q = select(api_keys).order_by(api_keys.c.id)
        if tenant is not None:
            q = q.where(api_keys.c.tenant == tenant)
        now = datetime.now(UTC)
        with self.engine.connect() as conn:
            rows = conn.execute(q).mappings().all()
        out = []
        for r in rows:
            times = {k: None if r[k] is None else as_utc(r[k]) for k in ("created", "expires", "revoked", "last_used")}
            state = (
                "revoked"
                if times["revoked"] is not None
                else ("expired" if times["expires"] is not None and times["expires"] <= now else "active")
            )
            out.append(
                {
                    "prefix": r["prefix"],
                    "tenant": r["tenant"],
                    "scopes": sorted(r["scopes"].split(",")),
                    "label": r["label"],
                    **times,
                    "state": state,
                }
            )
        return out

    def key_info(self, prefix: str, tenant: str | None = None) -> dict[str, Any] | None:
        """One key as :meth:`list_keys` shows it, or None if ``tenant`` (any, if None) has no key ``prefix``."""
        return next((k for k in self.list_keys(tenant) if k["prefix"] == prefix), None)

    def revoke_key(self, prefix: str, tenant: str | None = None) -> bool:
        """Revoke the key with ``prefix`` (of ``tenant`` if given); False if there is no such active key."""
        where = [api_keys.c.prefix == prefix, api_keys.c.revoked.is_(None)]
        if tenant is not None:
            where.append(api_keys.c.tenant == tenant)
        with self.engine.begin() as conn:
            return conn.execute(update(api_keys).where(*where).values(revoked=datetime.now(UTC))).rowcount == 1

    def rotate_key(self, prefix: str, tenant: str | None = None, expires: datetime | None = None) -> str | None:
        """A new key with the tenant, scopes and label of the key ``prefix``, which is revoked; None if there is
        no such active key."""
        old = self.key_info(prefix, tenant)
        if old is None or old["state"] == "revoked" or not self.revoke_key(prefix, tenant):
            return None
        return self.create_key(old["tenant"], frozenset(old["scopes"]), old["label"], expires)

    def has_key_labelled(self, tenant: str, label: str) -> bool:
        """Whether ``tenant`` holds a key with ``label`` that is not revoked (the demo key is made once)."""
        q = select(func.count()).where(
            api_keys.c.tenant == tenant, api_keys.c.label == label, api_keys.c.revoked.is_(None)
        )
        with self.engine.connect() as conn:
            return conn.execute(q.select_from(api_keys)).scalar_one() > 0
