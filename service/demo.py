"""Seeding the demo tenant for ``make run``: the demo depot as tenant ``demo``, a fresh demo key, a curl line."""

from __future__ import annotations

import json
from pathlib import Path

from engine.io.problem_files import load_problem
from service.auth import SCOPES, prefix_of
from service.store import Store

DEMO_DEPOT = Path(__file__).resolve().parents[1] / "examples" / "demo_depot"
TENANT = "demo"


def seed_demo(store: Store, request_path: Path, host: str, port: int) -> str:
    """Store the demo depot for tenant ``demo``, write a ready request body to ``request_path`` and return the
    lines to print: a new demo key (all scopes) and curl commands that use it."""
    problem = load_problem(DEMO_DEPOT)
    body = problem.model_dump(mode="json", by_alias=True)
    store.put_fleet(TENANT, "demo_depot", body)
    key = store.create_key(TENANT, frozenset(SCOPES))
    store.audit(TENANT, prefix_of(key), "key.create", "api_key", {"scopes": sorted(SCOPES), "by": "serve"})
    request_path.write_text(json.dumps({"problem": body, "policy": "courier"}), encoding="utf-8")
    base = f"http://{host}:{port}"
    return "\n".join(
        [
            f"fleetcharge decision API on {base}  (docs: {base}/schema, OpenAPI: {base}/schema/openapi.json)",
            f"demo tenant 'demo', API key (all scopes, shown once): {key}",
            "plan the demo depot under the courier policy:",
            f"  curl -s -X POST {base}/v1/decisions -H 'Authorization: Bearer {key}' "
            f"-H 'Content-Type: application/json' --data @{request_path.resolve()}",
            "then list decisions:",
            f"  curl -s {base}/v1/decisions -H 'Authorization: Bearer {key}'",
        ]
    )
