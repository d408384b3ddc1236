"""Shared fixtures: paths inside the repository only (tests never reach outside it)."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The repository's reference data folder (copied from shared/data with sources in data/README.md)."""
    return DATA


@pytest.fixture(scope="session")
def root_dir() -> Path:
    """The repository root."""
    return ROOT
