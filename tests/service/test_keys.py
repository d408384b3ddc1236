"""API keys (issue 15.12): expiry, revocation, rotation and last use; ``/v1/keys`` and ``fleetcharge keys``; the
demo key made once per store and shown once; per-key and bad-key rate limits answering 429 with Retry-After;
an older store's key table brought to schema version 2."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from litestar.testing import TestClient
from sqlalchemy import text

from service import create_app
from service.auth import prefix_of
from service.cli import main
from service.demo import seed_demo
from service.rate_limit import RateLimiter
from service.settings import Settings
from service.store import Store
from service.tables import SCHEMA_VERSION
from tests.service.conftest import bearer


def test_expired_revoked_and_rotated_keys(store: Store) -> None:
    now = datetime.now(UTC)
    live = store.create_key("acme", frozenset({"read"}), label="ops")
    gone = store.create_key("acme", frozenset({"read"}), expires=now - timedelta(seconds=1))
    soon = store.create_key("acme", frozenset({"read"}), expires=now + timedelta(hours=1))
    assert store.principal(gone) is None and store.principal(soon) is not None
    assert store.principal(soon, now=now + timedelta(hours=2)) is None  # past its expiry
    assert store.principal(live).tenant == "acme"
    new = store.rotate_key(prefix_of(live), "acme")
    assert store.principal(live) is None and store.principal(new).scopes == frozenset({"read"})
    assert store.revoke_key(prefix_of(new), "globex") is False  # another tenant's admin cannot
    assert store.revoke_key(prefix_of(new), "acme") is True and store.principal(new) is None
    states = {k["prefix"]: (k["state"], k["label"]) for k in store.list_keys("acme")}
    assert states[prefix_of(live)] == ("revoked", "ops") and states[prefix_of(new)] == ("revoked", "ops")
    assert states[prefix_of(gone)][0] == "expired" and states[prefix_of(soon)][0] == "active"
    assert next(k for k in store.list_keys("acme") if k["prefix"] == prefix_of(soon))["last_used"] is not None


def test_a_version_1_store_gets_the_key_columns_and_its_keys_keep_working(tmp_path) -> None:
    db = tmp_path / "v1.db"
    key = Store(f"sqlite:///{db}").create_key("acme", frozenset({"read"}))
    with sqlite3.connect(db) as conn:  # back to the version-1 table: no label, expires, revoked, last_used
        for column in ("label", "expires", "revoked", "last_used"):
            conn.execute(f"ALTER TABLE api_keys DROP COLUMN {column}")
        conn.execute("UPDATE schema_version SET version = 1")
        conn.execute("DROP TABLE alembic_version")  # made before Alembic kept the schema
    store = Store(f"sqlite:///{db}")
    assert store.principal(key).tenant == "acme"
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT version FROM schema_version")).scalar_one() == SCHEMA_VERSION
    assert store.revoke_key(prefix_of(key)) and store.principal(key) is None


def test_keys_endpoint_lists_revokes_and_rotates_within_the_tenant(client, keys, store: Store) -> None:
    listed = client.get("/v1/keys", headers=keys.admin).json()
    assert {k["tenant"] for k in listed} == {"acme"} and all("key" not in k and "key_hash" not in k for k in listed)
    assert client.get("/v1/keys", headers=keys.reader).status_code == 403
    reader_prefix = keys.reader["Authorization"].split("_")[1]
    rotated = client.post(f"/v1/keys/{reader_prefix}/rotate", headers=keys.admin).json()
    assert rotated["scopes"] == ["read"] and rotated["state"] == "active"
    assert client.get("/v1/decisions", headers=keys.reader).status_code == 401  # the old key stopped
    assert client.get("/v1/decisions", headers=bearer(rotated["key"])).status_code == 200
    other = keys.other_tenant["Authorization"].split("_")[1]
    assert client.post(f"/v1/keys/{other}/revoke", headers=keys.admin).status_code == 404
    assert client.post(f"/v1/keys/{rotated['prefix']}/revoke", headers=keys.admin).json()["state"] == "revoked"
    assert client.get("/v1/decisions", headers=bearer(rotated["key"])).status_code == 401
    actions = [a["action"] for a in client.get("/v1/audit", headers=keys.admin).json()["items"]]
    assert actions[-2:] == ["key.rotate", "key.revoke"]


def test_rate_limits_answer_429_with_retry_after(store: Store, tmp_path) -> None:
    settings = Settings(
        db_url="sqlite://",
        solver_workers=0,
        requests_per_key_s=0.5,
        burst_per_key=5,
        failed_auth_per_client_s=0.5,
        failed_auth_burst=3,
    )
    key = bearer(store.create_key("acme", frozenset({"read"})))
    with TestClient(create_app(settings, store)) as client:
        codes = [client.get("/v1/decisions", headers=key).status_code for _ in range(6)]
        assert codes == [200] * 5 + [429]
        late = client.get("/v1/decisions", headers=key)
        assert late.status_code == 429 and int(late.headers["retry-after"]) >= 1
        bad = [client.get("/v1/decisions", headers=bearer("fc_00000000_nope")).status_code for _ in range(4)]
        assert bad == [401, 401, 401, 429]
        assert client.get("/health").status_code == 200  # public endpoints are not limited


def test_token_bucket_refills_at_its_rate() -> None:
    now = [0.0]
    limiter = RateLimiter(rate=2.0, burst=2, clock=lambda: now[0])
    assert limiter.take("k") is None and limiter.take("k") is None
    assert limiter.take("k") == pytest.approx(0.5)  # one token takes 1 / 2 s
    now[0] = 0.5
    assert limiter.take("k") is None and limiter.take("other") is None


def test_the_demo_key_is_made_once_per_store_and_shown_once(store: Store, tmp_path) -> None:
    first, summary = seed_demo(store, tmp_path / "req.json", "127.0.0.1", 8000)
    again, summary2 = seed_demo(store, tmp_path / "req.json", "127.0.0.1", 8000)
    shown = [w for w in first.split() if w.startswith("fc_")]
    assert len(shown) == 1  # printed once, not in every curl line
    assert not [w for w in again.split() if w.startswith("fc_")] and "keys rotate" in again
    demo = [k for k in store.list_keys("demo") if k["label"] == "demo"]
    assert len(demo) == 1 and demo[0]["prefix"] == prefix_of(shown[0])
    for k in (summary, summary2):  # the serve-time key: plan scope, expiring, never printed
        info = next(i for i in store.list_keys("demo") if i["prefix"] == prefix_of(k))
        assert info["scopes"] == ["plan", "read"] and info["expires"] is not None and k not in first + again


def test_keys_cli_lists_revokes_and_rotates(tmp_path, capsys) -> None:
    db = str(tmp_path / "cli.db")
    assert main(["keys", "create", "--tenant", "acme", "--scopes", "read", "--db", db, "--label", "tv"]) == 0
    key = capsys.readouterr().out.strip()
    assert main(["keys", "list", "--db", db]) == 0
    table = capsys.readouterr().out
    assert prefix_of(key) in table and "active" in table and "tv" in table
    assert main(["keys", "rotate", prefix_of(key), "--db", db]) == 0
    new = capsys.readouterr().out.strip()
    assert main(["keys", "revoke", prefix_of(new), "--db", db]) == 0
    assert main(["keys", "revoke", prefix_of(new), "--db", db]) == 2
    assert "no active key" in capsys.readouterr().err
    store = Store(f"sqlite:///{db}")
    assert store.principal(key) is None and store.principal(new) is None
    assert main(["keys", "create", "--tenant", "acme", "--scopes", "read", "--db", db, "--expires", "tomorrow"]) == 2


def test_the_demo_decision_line_says_which_policy_and_which_figure(tmp_path, monkeypatch) -> None:
    """Issue 18: `make run` printed "$5,961" (energy + demand, no policy) and then "demo decision stored
    (optimal, $7,539.52)" (the courier policy's objective) a line apart without saying why they differ."""
    from litestar.testing import TestClient

    import service.demo as demo
    from service import create_app
    from service.settings import Settings

    store = Store(f"sqlite:///{tmp_path / 'demo.db'}")
    _text, key = seed_demo(store, tmp_path / "req.json", "127.0.0.1", 8000)
    app = create_app(Settings(db_url="sqlite://", solver_workers=0), store)
    with TestClient(app) as client:

        class Borrowed:  # the test's client, left open when the demo's `with` block ends
            def __init__(self, base_url: str, timeout: float) -> None:
                pass

            def __enter__(self):
                return client

            def __exit__(self, *exc: object) -> None:
                return None

        monkeypatch.setattr(demo.httpx, "Client", Borrowed)
        line = demo.post_demo_decision("http://testserver", key, tmp_path / "req.json")
        stored = client.get("/v1/decisions", headers={"Authorization": f"Bearer {key}"}).json()["items"][0]
    decision = store.get_decision("demo", stored["decision_id"]).decision
    bill, objective = decision["cost"]["bill_usd"], decision["cost"]["objective_usd"]
    assert f"courier policy, {decision['status']}, bill ${bill:,.2f}" in line
    assert f"with the policy's wear and penalties, ${objective:,.2f}" in line
