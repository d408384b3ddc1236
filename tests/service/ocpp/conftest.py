"""A live service on 127.0.0.1 (uvicorn in a thread, real WebSockets) with registered chargers and a fleet."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import uvicorn

from engine.control.profiles import ChargerElectrics
from service import create_app
from service.ocpp.registry import ChargerRegistry
from service.settings import Settings
from service.store import Store
from tests.service.conftest import small_problem

TENANT = "acme"


@dataclass
class Live:
    """The running service: its ws:// and http:// base URLs, app, store and registered chargers' keys."""

    ws: str
    http: str
    app: object
    store: Store
    keys: dict[str, str]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(app: object) -> tuple[uvicorn.Server, threading.Thread, int]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the service did not start")
        time.sleep(0.02)
    return server, thread, port


@pytest.fixture(params=["no jobs"])
def live(request, tmp_path) -> Iterator[Live]:
    """The service; ``@pytest.mark.parametrize("live", ["jobs"], indirect=True)`` gives it a job store (commands)."""
    store = Store(f"sqlite:///{tmp_path / 'ocpp.db'}")
    store.put_fleet(TENANT, "depot", small_problem(3).model_dump(mode="json", by_alias=True))
    registry = ChargerRegistry(store.engine)
    keys = {
        "ac0": registry.add(TENANT, "ac0", ChargerElectrics(rate_unit="W"), depot_id="d"),
        "ac1": registry.add(TENANT, "ac1", ChargerElectrics(rate_unit="A", max_stack_level=2), depot_id="d"),
        "other": registry.add("globex", "other", ChargerElectrics(rate_unit="W")),
    }
    jobs = f"sqlite:///{tmp_path / 'jobs.db'}" if request.param == "jobs" else ""
    settings = Settings(
        db_url="sqlite://",
        solver_workers=0,
        time_limit_s=30,
        jobs_db_url=jobs,
        ocpp_call_timeout_s=2,
        ocpp_offline_grace_s=1.0,
    )
    app = create_app(settings, store)
    server, thread, port = serve(app)
    try:
        yield Live(f"ws://127.0.0.1:{port}", f"http://127.0.0.1:{port}", app, store, keys)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        store.dispose()
