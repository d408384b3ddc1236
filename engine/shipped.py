"""The files fleetcharge ships (tariffs, policies, drive cycles, the demo depot, notebooks), found as package data.

In a checkout they are the top-level folders ops leads edit (``tariffs/``, ``policies/``, ...); installed, they are
packages under the code that reads them (``pyproject.toml`` maps one to the other), so the same lookup works in an
editable install, a wheel and a checkout on ``sys.path``.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

TARIFFS = "engine.tariffs.shipped"
POLICIES = "engine.policy.shipped"
DRIVE_CYCLES = "engine.drive_cycles"
DEMO_DEPOT = "service.demo_depot"
SCENARIOS = "service.scenarios"
ROUTES = "service.routes"
TCO = "service.tco"
NOTEBOOKS = "service.notebooks"


def shipped_dir(package: str) -> Path:
    """The folder of a shipped-data package on disk (wheels and editable installs unpack to disk)."""
    return Path(str(files(package)))
