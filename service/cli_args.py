"""Argument types of the ``fleetcharge`` command line: numbers refused at parse time, outside their range, with
argparse's usual ``argument --NAME: ...`` line and exit code 2 (bad input)."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable


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
