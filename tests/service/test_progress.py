"""Progress on a terminal (issue 18.5): shown only on a terminal, with what is done and how long it took."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from service.progress import working

ROOT = Path(__file__).resolve().parents[2]


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_it_says_what_and_how_long() -> None:
    out = Tty()
    with working("planning 3 vehicles", stream=out):
        time.sleep(0.3)
    last = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out.getvalue()).strip().splitlines()[-1]  # terminal codes off
    assert last.startswith("planning 3 vehicles: done in ") and last.endswith(" s")
    assert float(last.removeprefix("planning 3 vehicles: done in ").removesuffix(" s")) >= 0.3


def test_a_failure_says_so_and_the_error_goes_on() -> None:
    out = Tty()
    with pytest.raises(ValueError), working("planning", stream=out):
        raise ValueError("bad")
    assert "planning: failed after" in out.getvalue()


def test_off_a_terminal_nothing_is_shown() -> None:
    out = io.StringIO()
    with working("planning", stream=out):
        pass
    assert out.getvalue() == ""


def test_plan_piped_prints_only_the_decision(tmp_path) -> None:
    """``plan --json`` with standard error a pipe: no progress in either stream, the JSON parses."""
    import json

    cmd = [
        sys.executable,
        "-m",
        "service.cli",
        "plan",
        str(ROOT / "examples/demo_depot"),
        "--strategy",
        "edf",
        "--json",
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=True)
    assert json.loads(done.stdout)["plan"]["strategy"] == "edf" and "planning" not in done.stderr
