"""Piecewise-linear frontiers: the plain-float construction of small functions is the numpy one to the bit."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine.routing.piecewise as pw
from engine.routing.piecewise import PL


@st.composite
def breakpoints(draw):
    """Up to 32 breakpoints with repeated x, near-repeats and runs on one straight line (flat within FLAT)."""
    n = draw(st.integers(1, 32))
    steps = draw(st.lists(st.sampled_from([0.0, 1e-10, 2e-8, 0.5, 1.0, 3.7]), min_size=n, max_size=n))
    xs = np.cumsum(steps) + 6.0
    kind = draw(st.lists(st.sampled_from(["line", "flat", "free"]), min_size=n, max_size=n))
    free = draw(st.lists(st.floats(0, 10, allow_nan=False), min_size=n, max_size=n))
    ys = [2.0 * x - 1.0 if k == "line" else 5.0 if k == "flat" else f for x, k, f in zip(xs, kind, free, strict=True)]
    return list(xs), ys


@settings(max_examples=400, deadline=None)
@given(breakpoints())
def test_small_functions_are_built_as_numpy_builds_them(points):
    xs, ys = points
    small = PL.of(xs, ys)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pw, "SMALL", -1)  # every size through numpy
        big = PL.of(xs, ys)
    assert np.array_equal(small.xs, big.xs) and np.array_equal(small.ys, big.ys)


def test_a_run_of_points_on_a_line_keeps_its_ends():
    """(0,0) (1,1) (2,2) (3,3) (4,5): the middle points of the line go, its ends and the kink stay."""
    f = PL.of([0, 1, 2, 3, 4], [0, 1, 2, 3, 5])
    assert f.xs.tolist() == [0, 3, 4] and f.ys.tolist() == [0, 3, 5]


def test_a_frontier_seen_on_a_batch_route_is_built_as_numpy_builds_it():
    """Route 22 of the batch benchmark: a flat tail of seven points, three of them 2.5e-8 apart. Dropping flat
    points one after another (each decided after its left neighbour was) instead of all at once kept 43.5232573091
    where numpy keeps 43.5232573330, and one option's stops changed."""
    xs = [6.0, 7.995787820289256, 8.052247093246823, 15.11461951003417, 20.265046862846855, 23.52325728426869]
    xs += [35.52325728426869, 43.52325728426869, 43.52325730906183, 43.523257333005006, 49.57388076367212]
    xs += [49.57388081845906, 50.5771852670212, 60.0]
    ys = [6.6624419325384325, 6.612547813870525, 6.611296316304964, 6.434738994958842, 6.320572639224205]
    ys += [6.239118364381821, 5.9731219946930665] + [5.909124414900565] * 7
    small = PL.of(xs, ys)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pw, "SMALL", -1)
        big = PL.of(xs, ys)
    assert np.array_equal(small.xs, big.xs) and small.xs[-2] == 43.523257333005006
