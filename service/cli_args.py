"""Argument types of the ``fleetcharge`` command line: numbers refused at parse time, outside their range, with
argparse's usual ``argument --NAME: ...`` line and exit code 2 (bad input)."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from pathlib import Path

from engine.errors import InputError, Problem


def positive_seconds(text: str) -> float:
    """A duration > 0 [s] (``--time-limit``)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: give a number of seconds greater than 0")
    return value


def whole(low: int, high: int | None = None) -> Callable[[str], int]:
    """A whole number in ``[low, high]`` (``high`` None: no upper end)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < low or (high is not None and value > high):
            span = f"at least {low}" if high is None else f"from {low} to {high}"
            raise argparse.ArgumentTypeError(f"{text!r}: give a whole number {span}")
        return value

    parse.__name__ = "whole number"
    return parse


def file_or_shipped(ref: str, folder: Path, what: str) -> Path:
    """A file path, or the name of a file shipped in ``folder`` (``courier`` for ``folder/courier.yaml``); an
    InputError naming ``ref`` and the shipped names when neither exists. ``what``: the message's lead, e.g.
    ``--policy: no such file or shipped policy``."""
    path = Path(ref)
    if not path.is_file() and (folder / f"{ref}.yaml").is_file():
        path = folder / f"{ref}.yaml"
    if not path.is_file():
        names = ", ".join(sorted(p.stem for p in folder.glob("*.yaml")))
        raise InputError([Problem(f"{what} (shipped: {names})", "", ref)])
    return path
