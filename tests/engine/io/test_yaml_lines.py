"""YAML parsing at the boundary: aliases, depth and size refused before anything is built, with line and column."""

from __future__ import annotations

import time

import pytest

from engine.errors import InputError
from engine.io.yaml_lines import MAX_YAML_DEPTH, parse_yaml_with_lines
from engine.policy import check_policy_text


def alias_bomb(levels: int, width: int = 10) -> str:
    """The billion-laughs shape: each level a list of ``width`` aliases of the one before (10^9 values from
    about 540 bytes at nine levels; the issue's 330-byte form grew the server to 23.5 GB)."""
    lines = ["a0: &a0 [x]"]
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_at_its_first_anchor_at_once():
    text = alias_bomb(9)
    assert len(text) < 600
    t0 = time.process_time()
    with pytest.raises(InputError) as err:
        parse_yaml_with_lines(text, "bomb.yaml")
    assert time.process_time() - t0 < 1.0  # refused before expansion, not after gigabytes
    (problem,) = err.value.problems
    assert str(problem).startswith("bomb.yaml:1:5: YAML anchors and aliases")


def test_a_policy_text_with_an_alias_gets_a_problem_not_a_hang():
    _policy, problems = check_policy_text(alias_bomb(6), "bomb")
    assert len(problems) == 1 and "anchors and aliases" in str(problems[0])


def test_nesting_deeper_than_the_limit_is_refused_with_its_line():
    text = "\n".join(" " * (2 * i) + f"k{i}:" for i in range(MAX_YAML_DEPTH + 5)) + " 1\n"
    with pytest.raises(InputError) as err:
        parse_yaml_with_lines(text, "deep.yaml")
    (problem,) = err.value.problems
    assert f"deeper than {MAX_YAML_DEPTH}" in str(problem) and problem.line == MAX_YAML_DEPTH + 1
    flow = "[" * 1000 + "]" * 1000  # flow style: no RecursionError either
    with pytest.raises(InputError):
        parse_yaml_with_lines(flow, "flow.yaml")


def test_ordinary_yaml_still_parses_with_locations():
    data, where = parse_yaml_with_lines("a:\n  b: [1, 2]\n  c: x\n", "ok.yaml")
    assert data == {"a": {"b": [1, 2], "c": "x"}}
    assert where[("a", "c")] == (3, 3)
