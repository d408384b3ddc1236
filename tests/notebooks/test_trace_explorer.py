"""The trace explorer on a store holding a decision made through the API: tables from the trace, and replay."""

from tests.notebooks.conftest import SeededStore, run_notebook, widget


def test_trace_tables_and_replay_is_identical(seeded_store: SeededStore, monkeypatch) -> None:
    monkeypatch.setenv("FLEETCHARGE_DB", str(seeded_store.path))
    defs = run_notebook("trace_explorer", replay_button=widget(True))
    trace = seeded_store.decision["trace"]
    assert defs["decision_id"] == seeded_store.decision_id
    assert defs["record"].mode == "assisted"
    assert len(defs["rules"]) == len(trace["rules_fired"]) > 0
    statuses = {(r.vehicle_id, r.constraint): r.status for r in defs["status"].itertuples()}
    assert statuses == {(v, c): s for v, named in trace["constraint_status"].items() for c, s in named.items()}
    assert set(defs["bound"]["status"]) <= {"binding", "violated"}
    assert defs["explained"] == trace["explanations"]
    assert defs["outcome"].identical, defs["outcome"].differences


def test_without_the_button_nothing_is_replayed(seeded_store: SeededStore, monkeypatch) -> None:
    monkeypatch.setenv("FLEETCHARGE_DB", str(seeded_store.path))
    assert "outcome" not in run_notebook("trace_explorer")
