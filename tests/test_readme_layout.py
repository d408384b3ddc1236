"""The README's layout table names every module of the engine and the service, and only modules that exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def layout() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return text[text.index("## Layout") : text.index("## Command line")]


def test_every_module_is_in_the_layout_table() -> None:
    named = set(re.findall(r"`([A-Za-z0-9_/.]+\.py)`", layout()))
    modules = [p for top in ("engine", "service") for p in (ROOT / top).rglob("*.py") if p.name != "__init__.py"]
    missing = sorted(str(p.relative_to(ROOT)) for p in modules if p.name not in named)
    assert not missing, f"not in the README layout: {missing}"


def test_the_layout_names_only_what_exists() -> None:
    files = {p.name for p in ROOT.rglob("*.py") if ".venv" not in p.parts}
    absent = sorted(n for n in re.findall(r"`([A-Za-z0-9_/.]+\.py)`", layout()) if Path(n).name not in files)
    assert not absent, f"the README layout names missing modules: {absent}"
    folders = re.findall(r"`([a-z_/]+/)`", layout())
    absent_dirs = [
        f for f in folders if not any((base / f).is_dir() for base in (ROOT, ROOT / "engine", ROOT / "service"))
    ]
    assert not absent_dirs, f"the README layout names missing folders: {absent_dirs}"
