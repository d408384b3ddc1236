"""JSON differences for replay: timings are volatile, everything else counts."""

from engine.replay import MAX_DIFFERENCES, json_differences, volatile


def test_timings_and_creation_time_are_ignored() -> None:
    a = {
        "created": "t1",
        "solver": {"seconds": 1.0, "status": "optimal"},
        "trace": {"repair_steps": [{"mip_seconds": 2}]},
    }
    b = {
        "created": "t2",
        "solver": {"seconds": 9.0, "status": "optimal"},
        "trace": {"repair_steps": [{"mip_seconds": 5}]},
    }
    assert json_differences(a, b) == []
    assert volatile("trace.repair_steps[0].mip_seconds") and not volatile("plan.seconds_left.value")


def test_real_differences_are_named_by_path() -> None:
    a = {"plan": {"vehicles": [{"kw": [1, 2]}], "x": 1}, "only_a": 0}
    b = {"plan": {"vehicles": [{"kw": [1, 3]}], "x": 1}, "only_b": 0}
    assert json_differences(a, b) == ["only_a", "only_b", "plan.vehicles[0].kw[1]"]
    assert json_differences([1, 2], [1]) == [" (length 2 vs 1)"]


def test_at_most_twenty_differences() -> None:
    assert len(json_differences(list(range(50)), [x + 1 for x in range(50)])) == MAX_DIFFERENCES
