"""Functions the solver-process tests run in solve processes (a module light to import: each process loads it)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from engine.errors import InputError, Problem


def square(x: int) -> int:
    return x * x


def refuse(field: str) -> None:
    raise InputError([Problem("refused here", field)])


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def nap(seconds: float, pid_file: str) -> None:
    Path(pid_file).write_text(str(os.getpid()))
    time.sleep(seconds)
