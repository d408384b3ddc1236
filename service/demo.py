"""Seeding the demo tenant for ``make run``: the demo depot as tenant ``demo``, the demo key (once per store), curl lines."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from engine.io.problem_files import load_problem
from service.auth import SCOPES, prefix_of
from service.shipped_paths import DEMO
from service.store import Store

DEMO_DEPOT = DEMO
TENANT = "demo"
SUMMARY_KEY_LIFE = timedelta(minutes=15)  # the plan-scope key of the serve-time demo decision


def seed_demo(store: Store, request_path: Path, host: str, port: int) -> tuple[str, str]:
    """Store the demo depot for tenant ``demo``, write a ready request body to ``request_path`` and return the
    lines to print and a key for the serve-time demo decision. The demo key (all scopes, label ``demo``) is
    created once per store and shown once, the first time; later starts say how to get a new one
    (``fleetcharge keys rotate``). The returned key is a plan-scope key that expires after
    ``SUMMARY_KEY_LIFE`` (the demo decision ``serve`` posts through the API), never printed."""
    problem = load_problem(DEMO_DEPOT)
    body = problem.model_dump(mode="json", by_alias=True)
    store.put_fleet(TENANT, "demo_depot", body)
    request_path.write_text(json.dumps({"problem": body, "policy": "courier"}), encoding="utf-8")
    base = f"http://{host}:{port}"
    lines = [f"fleetcharge decision API on {base}  (docs: {base}/schema, OpenAPI: {base}/schema/openapi.json)"]
    if store.has_key_labelled(TENANT, "demo"):
        lines.append(
            "demo tenant 'demo': its API key was shown when this store was created; "
            "`fleetcharge keys list` shows its prefix, `fleetcharge keys rotate PREFIX` makes a new one"
        )
    else:
        key = store.create_key(TENANT, frozenset(SCOPES), label="demo")
        store.audit(TENANT, prefix_of(key), "key.create", "api_key", {"scopes": sorted(SCOPES), "by": "serve"})
        lines.append(f"demo tenant 'demo', API key (all scopes, shown this once): {key}")
    lines += [
        "plan the demo depot under the courier policy (KEY: the demo key):",
        f'  curl -s -X POST {base}/v1/decisions -H "Authorization: Bearer $KEY" '
        f"-H 'Content-Type: application/json' --data @{request_path.resolve()}",
        "then list decisions:",
        f'  curl -s {base}/v1/decisions -H "Authorization: Bearer $KEY"',
        f"dispatcher dashboard (enter the key): {base}/dashboard/",
    ]
    summary_key = store.create_key(
        TENANT, frozenset({"read", "plan"}), label="serve-demo", expires=datetime.now(UTC) + SUMMARY_KEY_LIFE
    )
    return "\n".join(lines), summary_key


def post_demo_decision(base_url: str, key: str, request_path: Path, wait_s: float = 60.0) -> str:
    """Once the API answers, plan the demo request through it (``POST /v1/decisions``), so the dashboard has a
    decision to show; returns the line to print."""
    deadline = time.monotonic() + wait_s
    with httpx.Client(base_url=base_url, timeout=900.0) as client:
        while True:
            try:
                if client.get("/health").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                return f"demo decision not planned: {base_url} did not answer within {wait_s:.0f} s"
            time.sleep(0.5)
        response = client.post(
            "/v1/decisions/",
            content=request_path.read_bytes(),
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        )
    if response.status_code != 201:
        return f"demo decision not planned: {response.status_code} {response.text[:300]}"
    d = response.json()
    policy = json.loads(request_path.read_text())["policy"]
    return (
        f"demo decision {d['decision_id']} stored: {policy} policy, {d['status']}, bill ${d['cost']['bill_usd']:,.2f} "
        f"(the objective, with the policy's wear and penalties, ${d['cost']['objective_usd']:,.2f}): "
        f"see it at {base_url}/dashboard/"
    )
