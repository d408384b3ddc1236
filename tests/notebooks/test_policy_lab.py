"""The policy lab: live validation with ``policy check``'s messages, and the diff of an applied edit."""

from pathlib import Path

import pytest

from tests.notebooks.conftest import SeededStore, run_notebook, widget

ROOT = Path(__file__).resolve().parents[2]  # the checkout

MUNICIPAL = (ROOT / "policies" / "municipal_saver.yaml").read_text(encoding="utf-8")


def test_broken_text_gets_the_policy_check_messages(seeded_store: SeededStore, monkeypatch, root_dir) -> None:
    monkeypatch.setenv("FLEETCHARGE_DB", str(seeded_store.path))
    broken = root_dir / "tests/data/broken_policies/01_unknown_key.yaml"
    expected = [
        line.replace("01_unknown_key.yaml", "policy.yaml")
        for line in (root_dir / "tests/data/broken_policies/expected.txt").read_text().splitlines()
        if line.startswith("01_unknown_key.yaml:")
    ]
    defs = run_notebook("policy_lab", editor=widget(broken.read_text()))
    assert defs["messages"] == expected and expected
    assert defs["policy"] is None
    assert "trial" not in defs  # nothing applied


def test_lower_demand_weight_changes_plans_not_readiness(seeded_store: SeededStore, monkeypatch) -> None:
    monkeypatch.setenv("FLEETCHARGE_DB", str(seeded_store.path))
    edited = MUNICIPAL.replace("mode:\n  default: shadow", "mode:\n  default: assisted").replace(
        "demand_weight: 2.0", "demand_weight: 0.0"
    )
    assert edited.count("demand_weight: 0.0") == 1
    defs = run_notebook("policy_lab", editor=widget(edited), apply_button=widget(True))
    assert defs["messages"] == []
    summary, changes, trial = defs["summary"], defs["changes"], defs["trial"]
    stored = seeded_store.decision
    assert summary.loc["before", "bill_usd"] == pytest.approx(stored["cost"]["bill_usd"], abs=1e-6)
    assert summary.loc["after", "bill_usd"] == pytest.approx(trial.cost.bill_usd, abs=1e-6)
    assert summary.loc["change", "bill_usd"] == pytest.approx(trial.cost.bill_usd - stored["cost"]["bill_usd"])
    # demand no longer weighs in the objective: the peak can only rise, every departure stays ready
    assert summary.loc["after", "peak_kw"] >= summary.loc["before", "peak_kw"] - 1e-6
    assert summary.loc["after", "ready"] == summary.loc["before", "ready"] == 68
    assert set(changes["vehicle_id"]) == {v["vehicle_id"] for v in stored["plan"]["vehicles"]}
    assert changes["changed"].iloc[0] or not changes["changed"].any()  # changed vehicles listed first
