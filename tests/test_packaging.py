"""A plain (non-editable) install works: the wheel carries the shipped tariffs, policies, demo depot and notebooks,
and ``fleetcharge demo``, ``plan`` and ``serve`` run from a directory outside the checkout."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import tomllib
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = (
    "pyproject.toml",
    "README.md",
    "engine",
    "service",
    "tariffs",
    "policies",
    "notebooks",
    "examples/demo_depot",
    "examples/scenarios",
    "examples/routes",
    "examples/tco",
    "data/vehicle_energy/fastsim/cycles",
)


def test_the_package_list_matches_the_tree() -> None:
    """pyproject lists packages by name (shipped data is mapped into them): a new package must be listed."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    listed = set(config["packages"]) - set(config["package-dir"])
    tree = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for top in ("engine", "service")
        for p in (ROOT / top).rglob("__init__.py")
    }
    assert listed == tree


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding the built wheel; its dependencies come from this venv's site-packages by a .pth line
    (a .pth inside that folder is not run, so this venv's editable fleetcharge stays invisible)."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"  # a copy of what the wheel is built from: no build/ folder left by an earlier build
    for part in SOURCES:
        copy = shutil.copytree if (ROOT / part).is_dir() else shutil.copy
        (source / part).parent.mkdir(parents=True, exist_ok=True)
        copy(
            ROOT / part,
            source / part,
            **({"ignore": shutil.ignore_patterns("__pycache__")} if copy is shutil.copytree else {}),
        )
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp), str(source)],
        check=True,
        capture_output=True,
        cwd=tmp,
    )
    (wheel,) = tmp.glob("fleetcharge-*.whl")
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (Path(site) / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q", str(wheel)],
        check=True,
        capture_output=True,
    )
    return venv


def _run(venv: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "FLEETCHARGE_DB")}
    return subprocess.run(
        [venv / "bin" / "fleetcharge", *args], cwd=cwd, capture_output=True, text=True, timeout=300, env=env
    )


@pytest.mark.long
def test_the_wheel_finds_its_files_outside_the_checkout(installed: Path, tmp_path: Path) -> None:
    where = subprocess.run(
        [
            installed / "bin" / "python",
            "-c",
            "import engine, service.shipped_paths as s; print(engine.__file__);"
            "print(s.DEMO); print(s.POLICIES_DIR); print(s.DASHBOARD_NOTEBOOK)",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert all(str(installed) in p for p in where), where  # the installed copy, not the checkout
    assert (Path(where[1]) / "vehicles.csv").is_file() and Path(where[3]).is_file()
    assert sorted(p.name for p in Path(where[2]).glob("*.yaml")) == sorted(
        p.name for p in (ROOT / "policies").glob("*.yaml")
    )

    demo = _run(installed, "demo", cwd=tmp_path)
    assert demo.returncode == 0, demo.stderr
    assert "optimal saves" in demo.stdout

    plan = _run(installed, "plan", where[1], "--json", "--strategy", "edf", cwd=tmp_path)
    assert plan.returncode == 0, plan.stderr
    decision = json.loads(plan.stdout)
    assert decision["plan"]["strategy"] == "edf" and len(decision["plan"]["vehicles"]) == 68


@pytest.mark.long
def test_the_wheel_serves_the_api_and_dashboard(installed: Path, tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "FLEETCHARGE_DB", "FLEETCHARGE_API_URL")}
    server = subprocess.Popen(
        [installed / "bin" / "fleetcharge", "serve", "--port", str(port), "--no-summary", "--workers", "0"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        assert httpx.get(f"{base}/health", timeout=5).json()["status"] == "ok"
        assert httpx.get(f"{base}/v1/policies", timeout=5).status_code == 401  # up, and guarded
        assert httpx.get(f"{base}/dashboard/", timeout=10).status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert (tmp_path / "fleetcharge.db").exists()  # the store is made where it runs, not in site-packages
