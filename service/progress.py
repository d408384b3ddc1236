"""Progress on a terminal for the command line's long steps: a spinner with what is being done and the seconds
it has taken (rich), on standard error and only when that is a terminal, so piped and ``--json`` output stay
clean."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from rich.console import Console


@contextmanager
def working(what: str, stream: TextIO | None = None, force: bool | None = None) -> Iterator[None]:
    """Show ``what`` with a spinner while the block runs, then ``what: done in N s`` (or ``failed after N s``).
    Nothing at all unless ``stream`` (standard error) is a terminal; ``force`` decides instead (tests)."""
    stream = stream or sys.stderr
    shown = stream.isatty() if force is None else force
    if not shown:
        yield
        return
    console = Console(file=stream, force_terminal=True, highlight=False)
    t0 = time.perf_counter()
    ok = False
    try:
        with console.status(f"{what} ...", spinner="dots"):
            yield
        ok = True
    finally:
        seconds = time.perf_counter() - t0
        console.print(f"{what}: {'done in' if ok else 'failed after'} {seconds:.1f} s")
