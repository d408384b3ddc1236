"""Request metrics: the service's own middleware (``service/metrics.py``) against Litestar's Prometheus integration
(``litestar.plugins.prometheus``, route templates as labels with ``group_path=True``), on the same app.

Each variant is a one-route app (``GET /v1/things/{thing_id}``, nothing else, so the middleware's share shows)
served through an in-process ASGI
client for ``--requests`` requests after a warm-up, five rounds, alternating; reported: microseconds per request
(median of the rounds). The app without request metrics is the floor.
Run: ``python bench/metrics_middleware.py [--requests 3000]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from litestar import Litestar, get  # noqa: E402
from litestar.testing import TestClient  # noqa: E402

from service.metrics import Metrics, metrics_middleware  # noqa: E402


@get("/v1/things/{thing_id:str}", sync_to_thread=False)
def thing(thing_id: str) -> dict[str, str]:
    return {"id": thing_id}


def app_with(kind: str) -> Litestar:
    """A one-route app (a path parameter, as the API's routes have) with request metrics done the ``kind`` way."""
    middleware = []
    if kind == "ours":
        middleware.append(metrics_middleware)
    elif kind == "litestar":
        from litestar.plugins.prometheus import PrometheusConfig

        middleware.append(PrometheusConfig(app_name="bench", prefix="bench", group_path=True).middleware)
    app = Litestar(route_handlers=[thing], middleware=middleware, debug=False)
    app.state.metrics = Metrics()
    return app


def per_request_us(client: TestClient, n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        client.get("/v1/things/abc")
    return 1e6 * (time.perf_counter() - t0) / n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=3000)
    args = ap.parse_args()
    kinds = ("none", "ours", "litestar")
    clients = {k: TestClient(app_with(k)) for k in kinds}
    for c in clients.values():
        c.__enter__()
        per_request_us(c, 200)
    rounds: dict[str, list[float]] = {k: [] for k in kinds}
    for _ in range(5):
        for k in kinds:
            rounds[k].append(per_request_us(clients[k], args.requests))
    for c in clients.values():
        c.__exit__(None, None, None)
    out = {k: round(statistics.median(v), 1) for k, v in rounds.items()}
    out["ours_over_none_us"] = round(out["ours"] - out["none"], 1)
    out["litestar_over_none_us"] = round(out["litestar"] - out["none"], 1)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
