"""Imports flow one way: base -> optim -> schedule -> policy -> routing -> decision -> control -> views -> simulate -> tco -> service, with no cycles, and
every module imports on its own. The engine pulls in nothing of HTTP or databases."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("engine", "service")

# (layer, module prefixes): a module may import modules of its own layer or below, never above
LAYERS = [
    (
        "base",
        (
            "engine",
            "engine.text",
            "engine.timezones",
            "engine.weights",
            "engine.results",
            "engine.errors",
            "engine.shipped",
            "engine.route_data",
            "engine.domain",
            "engine.forecast",
            "engine.replay",
            "engine.io",
            "engine.tariffs",
            "engine.telemetry",
        ),
    ),
    ("optim", ("engine.optim",)),
    ("schedule", ("engine.schedule",)),
    ("policy", ("engine.policy", "engine.tuning")),
    ("routing", ("engine.routing",)),
    ("decision", ("engine.decision",)),
    ("control", ("engine.control",)),
    (
        "views",
        (
            "engine.frames",
            "engine.charts",
            "engine.compare",
            "engine.summary",
            "engine.cost_allocation",
            "engine.kpis",
            "engine.alerts",
            "engine.shadow",
        ),
    ),
    ("simulate", ("engine.simulate",)),
    ("tco", ("engine.tco",)),
    ("service", ("service",)),
]


# scripts Alembic runs inside its own context, not modules to import (service.migrations runs them)
ALEMBIC_SCRIPTS = ("service/migrations/env.py", "service/migrations/versions/")


def module_names() -> list[str]:
    out = []
    for pkg in PACKAGES:
        for p in sorted((ROOT / pkg).rglob("*.py")):
            if p.relative_to(ROOT).as_posix().startswith(ALEMBIC_SCRIPTS):
                continue
            out.append(".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"))
    return out


def layer_of(module: str) -> int:
    best, rank = -1, -1
    for i, (_name, prefixes) in enumerate(LAYERS):
        for pre in prefixes:
            if (module == pre or module.startswith(pre + ".")) and len(pre) > best:
                best, rank = len(pre), i
    assert rank >= 0, f"{module} is in no layer: add it to LAYERS"
    return rank


def top_level_imports(module: str) -> set[str]:
    """Project modules imported when ``module`` is imported (module level, outside ``if TYPE_CHECKING``)."""
    rel = Path(*module.split("."))
    path = ROOT / (rel / "__init__.py" if (ROOT / rel).is_dir() else rel.with_suffix(".py"))
    tree = ast.parse(path.read_text(encoding="utf-8"))
    known = set(module_names())
    found: set[str] = set()
    for node in tree.body:
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            subs = [f"{node.module}.{a.name}" for a in node.names]
            names = [n for n in subs if n in known] or [node.module]  # `from pkg import module` needs the module
        for n in names:
            if n in known and n.split(".")[0] in PACKAGES:
                found.add(n)
    return found - {module}


def test_imports_flow_one_way_and_have_no_cycles() -> None:
    graph = {m: top_level_imports(m) for m in module_names()}
    upward = [
        f"{m} ({LAYERS[layer_of(m)][0]}) imports {d} ({LAYERS[layer_of(d)][0]})"
        for m, deps in graph.items()
        for d in deps
        if layer_of(d) > layer_of(m)
    ]
    assert not upward, "imports against the layer order:\n" + "\n".join(upward)
    # importing a.b.c runs a/__init__ and a/b/__init__ first, unless the importer is inside them already
    for m, deps in graph.items():
        own = {".".join(m.split(".")[:k]) for k in range(1, len(m.split(".")) + 1)}
        for d in list(deps):
            parts = d.split(".")
            deps |= {".".join(parts[:k]) for k in range(1, len(parts))} - own
    state: dict[str, int] = {}

    def visit(m: str, stack: list[str]) -> None:
        state[m] = 1
        for d in sorted(graph[m]):
            if state.get(d) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*stack[stack.index(d) :], m, d]))
            if d not in state:
                visit(d, [*stack, m])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [])


CHECK_ALONE = """
import importlib, sys
failed = []
for name in sys.argv[1:]:
    for k in [k for k in sys.modules if k.split(".")[0] in ("engine", "service")]:
        del sys.modules[k]
    if "dbos" in sys.modules:  # DBOS keeps the functions our modules register in a registry of its own
        sys.modules["dbos"].DBOS.destroy(destroy_registry=True)
    try:
        importlib.import_module(name)
    except Exception as exc:
        failed.append(f"{name}: {type(exc).__name__}: {exc}")
print("\\n".join(failed))
sys.exit(1 if failed else 0)
"""


@pytest.mark.long
def test_every_module_imports_on_its_own() -> None:
    """Each module first in a clean import state (third-party modules stay loaded: they cannot cycle with ours);
    the modules split over two processes, one a core."""
    names = module_names()
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", CHECK_ALONE, *part],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for part in (names[0::2], names[1::2])
    ]
    for run in runs:
        out, err = run.communicate(timeout=300)
        assert run.returncode == 0, out + err


def test_the_engine_imports_nothing_of_http_or_databases() -> None:
    engine_modules = [m for m in module_names() if m.startswith("engine")]
    code = (
        "import importlib, sys\n"
        f"for m in {engine_modules!r}: importlib.import_module(m)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('litestar', 'uvicorn', 'sqlalchemy', 'psycopg', 'httpx', 'paho', 'service'))\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
