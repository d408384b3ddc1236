"""Policy files: shipped ones pass, each broken one gives its exact PATH:LINE:COL message."""

from pathlib import Path

import pytest

from engine.policy import check_policy_file, explain, load_policy
from service.cli import main

ROOT = Path(__file__).resolve().parents[3]
BROKEN = ROOT / "tests/data/broken_policies"
EXPECTED = dict(line.split(":", 1) for line in (BROKEN / "expected.txt").read_text().splitlines())
SHIPPED = sorted((ROOT / "policies").glob("*.yaml"))


def test_three_shipped_policies_pass_policy_check(capsys) -> None:
    assert {p.stem for p in SHIPPED} >= {"courier", "utility_service", "municipal_saver"}
    assert main(["policy", "check", *map(str, SHIPPED)]) == 0
    assert capsys.readouterr().out == ""


def test_at_least_fifteen_distinct_mistakes_are_covered() -> None:
    files = sorted(BROKEN.glob("*.yaml"))
    assert len(files) >= 15 and set(EXPECTED) == {f.name for f in files}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_policy_message(name: str, capsys) -> None:
    path = BROKEN / name
    _policy, problems = check_policy_file(path)
    assert [str(p) for p in problems] == [f"{path}:{EXPECTED[name]}"]
    assert main(["policy", "check", str(path)]) == 2  # bad input exits 2, as everywhere in the CLI
    assert capsys.readouterr().err.strip() == f"{path}:{EXPECTED[name]}"


def test_explain_reads_as_plain_words(capsys) -> None:
    text = explain(load_policy(ROOT / "policies/courier.yaml"))
    assert (
        "[early-wave-ready] when trip departure is before/below '07:00': at least 80% SOC 30 min before "
        "departure (hard)." in text
    )
    assert "If infeasible: allow_dc_fast -> next_best_charger -> delay_departure(20)" in text
    assert main(["policy", "explain", str(ROOT / "policies/courier.yaml")]) == 0


def test_empty_or_scalar_text_is_a_problem_not_a_crash() -> None:
    from engine.policy import check_policy_text

    for text in ("", "42", "- a\n- b\n"):
        policy, problems = check_policy_text(text, "p.yaml")
        assert policy is None and [str(p) for p in problems] == ["p.yaml:1:1: a policy file must hold a mapping"]
