"""Flat linear expressions for the constraint families: ``sum_i c_i * x_i + constant`` built in one step.

Pyomo's operators build a sum term by term (each ``+`` checks and appends); a family that already has its
variables and coefficients in lists builds the same :class:`LinearExpression` directly, and the hand-over
(:mod:`engine.schedule.handover`) reads it without walking a tree.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression


def linear(variables: Sequence, coefs: Sequence[float] | float = 1.0, constant: float = 0.0) -> LinearExpression:
    """``sum_i coefs[i] * variables[i] + constant`` (a scalar ``coefs`` applies to every variable); zero
    coefficients are left out."""
    if not isinstance(coefs, Sequence):
        c = float(coefs)
        if c == 1.0:
            args: list = list(variables)
        elif c == 0.0:
            args = []
        else:
            args = [MonomialTermExpression((c, v)) for v in variables]
    else:
        if len(coefs) != len(variables):
            raise ValueError(f"{len(variables)} variables but {len(coefs)} coefficients")
        args = [
            v if c == 1.0 else MonomialTermExpression((float(c), v)) for v, c in zip(variables, coefs, strict=True) if c
        ]
    if constant:
        args.append(float(constant))
    return LinearExpression(args)
