"""The planner: policy and tariff files parsed once per version of the file and read again once edited;
decisions on a Dask cluster as the engine makes them."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.decision import decide
from engine.replay import json_differences
from service.named_files import named_policy, shipped_tariff
from service.planner import Planner
from tests.engine.decision.test_depots import depot, together

ROOT = Path(__file__).resolve().parents[2]


def test_policy_is_parsed_once_per_file_version(tmp_path: Path) -> None:
    shutil.copy(ROOT / "policies/courier.yaml", tmp_path / "courier.yaml")
    first = named_policy(tmp_path, "courier")
    assert named_policy(tmp_path, "courier") is first  # same file version: the parsed policy is reused
    path = tmp_path / "courier.yaml"
    text = path.read_text()
    assert 'version: "1.0"' in text and str(first.metadata.version) == "1.0"
    path.write_text(text.replace('version: "1.0"', 'version: "99"'))
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))  # a new version even on coarse clocks
    edited = named_policy(tmp_path, "courier")
    assert edited is not first and str(edited.metadata.version) == "99"


def test_planner_on_a_dask_cluster_gives_the_engines_decision() -> None:
    distributed = pytest.importorskip("distributed")
    p = together(depot("a", [20.0, 30.0]), depot("b", [25.0])).model_copy(update={"tariff": "sce_tou_8_d"})
    policy = named_policy(ROOT / "policies", "courier")
    tariff = shipped_tariff("sce_tou_8_d")
    created = datetime(2026, 1, 1, tzinfo=UTC)
    here = decide(p, tariff=tariff, time_limit=60.0, created=created, policy=policy)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        planner = Planner(1, 60.0, cluster.scheduler_address)
        try:
            there = asyncio.run(planner.decide(p, policy, "optimal", created))
        finally:
            planner.close()
    assert json_differences(here.model_dump(mode="json"), there.model_dump(mode="json")) == []
    assert [g.depots for g in there.trace.depot_groups] == [["a"], ["b"]]


def test_planner_names_a_dask_scheduler_that_does_not_answer() -> None:
    with pytest.raises(RuntimeError, match=re.escape("no Dask scheduler answers at 'tcp://127.0.0.1:9'")):
        Planner(1, 60.0, "tcp://127.0.0.1:9", dask_connect_s=1.0)


def test_an_app_started_again_after_its_shutdown_still_plans(tmp_path: Path) -> None:
    """ASGI test clients (schemathesis's among them) run the app's startup and shutdown around each request: the
    in-process solver closed by one shutdown must take work again at the next startup (it answered 500,
    'cannot schedule new futures after shutdown')."""
    from litestar.testing import TestClient

    from service import create_app
    from service.settings import Settings
    from service.store import Store
    from tests.service.conftest import bearer, request_body, small_problem

    store = Store(f"sqlite:///{tmp_path / 'again.db'}")
    key = store.create_key("acme", frozenset({"plan"}))
    app = create_app(Settings(db_url="sqlite://", solver_workers=0, time_limit_s=30), store)
    for energy in (20.0, 21.0):  # two different problems: each a solve, not the stored decision
        with TestClient(app) as client:
            r = client.post("/v1/decisions", json=request_body(small_problem(energy=energy)), headers=bearer(key))
            assert r.status_code == 201, r.text
