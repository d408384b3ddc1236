"""Flat sums for the constraint families: ``sum_i x_i + constant`` built in one step.

Pyomo's ``sum`` builds a sum term by term (each ``+`` checks and appends); a family that already has its
variables in a list builds the same :class:`LinearExpression` directly (a coefficient multiplies the whole sum),
and the hand-over (:mod:`engine.optim.handover`) reads it without walking a tree.
"""

from __future__ import annotations

from collections.abc import Iterable

from pyomo.core.expr.numeric_expr import LinearExpression


def linear(variables: Iterable, constant: float = 0.0) -> LinearExpression:
    """``sum_i variables[i] + constant``."""
    args: list = list(variables)
    if constant:
        args.append(float(constant))
    return LinearExpression(args)
