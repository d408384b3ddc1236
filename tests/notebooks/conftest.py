"""Fixtures for the notebooks: run one headless (``App.run``), a store holding a decision made through the API."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from litestar.testing import TestClient

from engine.io.problem_files import load_problem
from engine.policy.schema import Policy
from service import create_app
from service.demo import DEMO_DEPOT
from service.settings import Settings
from service.store import Store

ROOT = Path(__file__).resolve().parents[2]  # the checkout

NOTEBOOKS = ROOT / "notebooks"


def widget(value: Any) -> SimpleNamespace:
    """Stands in for a UI element when a test overrides the cell that defines it (``.value`` is all cells read)."""
    return SimpleNamespace(value=value)


def run_notebook(name: str, **overrides: Any) -> dict[str, Any]:
    """Run ``notebooks/<name>.py`` as a script (every cell, no browser) and return its definitions. ``overrides``
    replace the cells defining those names; a cell that raises fails the run."""
    spec = importlib.util.spec_from_file_location(f"notebook_{name}", NOTEBOOKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    _outputs, defs = module.app.run(defs=overrides)
    return dict(defs)


def assisted_municipal_policy() -> dict:
    """The shipped municipal_saver policy in assisted mode (its own mode is shadow, which cannot be approved)."""
    data = yaml.safe_load((ROOT / "policies" / "municipal_saver.yaml").read_text(encoding="utf-8"))
    data["mode"] = {"default": "assisted"}
    data["metadata"]["name"] = "municipal_assisted"
    return Policy.model_validate(data).model_dump(mode="json")


@dataclass
class SeededStore:
    """A SQLite store with one demo-depot decision of tenant ``demo``, made through the decision API."""

    path: Path
    decision_id: str
    decision: dict
    key: str  # all scopes, tenant demo


@pytest.fixture(scope="session")
def seeded_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeededStore]:
    path = tmp_path_factory.mktemp("notebooks") / "fleetcharge.db"
    store = Store(f"sqlite:///{path}")
    key = store.create_key("demo", frozenset({"read", "plan", "approve", "admin"}))
    settings = Settings(db_url=f"sqlite:///{path}", solver_workers=0, time_limit_s=120)
    body = {
        "problem": load_problem(DEMO_DEPOT).model_dump(mode="json", by_alias=True),
        "policy": assisted_municipal_policy(),
    }
    with TestClient(create_app(settings, store)) as client:
        response = client.post("/v1/decisions/", json=body, headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 201, response.text
    decision = response.json()
    yield SeededStore(path, decision["decision_id"], decision, key)
    store.dispose()
