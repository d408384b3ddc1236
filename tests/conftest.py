"""Shared fixtures: paths inside the repository only (tests never reach outside it)."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked ``long`` first, each group in its collected order: pytest-xdist hands tests out in this order,
    and a long test handed out last keeps one worker busy while the others have finished."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The repository's reference data folder (copied from shared/data with sources in data/README.md)."""
    return DATA


@pytest.fixture(scope="session")
def root_dir() -> Path:
    """The repository root."""
    return ROOT
