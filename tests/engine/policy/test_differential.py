"""durable-rules and the reference evaluator fire exactly the same (rule, entity) pairs on generated input."""

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.policy.compile import to_durable
from engine.policy.conditions import BoolOp, Compare, Fact
from engine.policy.evaluate import fire, fire_reference

FIELDS = {
    Fact("vehicle", "class"): st.sampled_from(["van", "box_truck", "car"]),
    Fact("vehicle", "soc"): st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0]),
    Fact("trip", "departure"): st.sampled_from(["05:00", "06:30", "07:00", "08:45"]),
    Fact("trip", "priority"): st.integers(1, 5),
}
OPS = ["==", "!=", "<", "<=", ">", ">="]


@st.composite
def comparisons(draw):
    fact = draw(st.sampled_from(sorted(FIELDS, key=str)))
    if draw(st.booleans()) and fact.field in ("class", "priority"):
        values = tuple(draw(st.lists(FIELDS[fact], min_size=1, max_size=3, unique=True)))
        return Compare(fact, draw(st.sampled_from(["in", "not in"])), values)
    op = draw(st.sampled_from(["==", "!="] if fact.field == "class" else OPS))
    return Compare(fact, op, draw(FIELDS[fact]))


conditions = st.recursive(
    comparisons(),
    lambda inner: st.one_of(
        st.builds(lambda a, b: BoolOp("and", (a, b)), inner, inner),
        st.builds(lambda a, b: BoolOp("or", (a, b)), inner, inner),
        st.builds(lambda a: BoolOp("not", (a,)), inner),
    ),
    max_leaves=6,
)


@st.composite
def subjects(draw):
    out = []
    for i in range(draw(st.integers(1, 12))):
        facts = {"vehicle": {}, "trip": {}}
        for fact, values in FIELDS.items():
            facts[fact.entity][fact.field] = draw(values)
        if draw(st.booleans()):  # some subjects lack an entity (a charger has no trip): scoping must agree
            facts.pop(draw(st.sampled_from(["vehicle", "trip"])))
        out.append((f"S{i}", facts))
    return out


@settings(max_examples=60, deadline=None)
@given(rules=st.lists(conditions, min_size=1, max_size=5), subs=subjects())
def test_engine_and_reference_fire_the_same_pairs(rules, subs) -> None:
    named = {f"rule-{i}": c for i, c in enumerate(rules)}
    assert fire(named, subs) == fire_reference(named, subs)


def test_compiled_form_is_readable() -> None:
    cond = BoolOp(
        "not",
        (
            BoolOp(
                "and", (Compare(Fact("trip", "priority"), ">=", 4), Compare(Fact("vehicle", "class"), "in", ("van",)))
            ),
        ),
    )
    assert to_durable(cond) == {
        "$or": [{"$lt": {"trip__priority": 4}}, {"$and": [{"$neq": {"vehicle__class": "van"}}]}]
    }


def test_rules_apply_only_to_subjects_with_their_facts() -> None:
    from engine.policy.conditions import parse_condition

    rules = {"not-van": parse_condition('not (vehicle.class == "van")')}
    subjects = [("V1", {"vehicle": {"class": "truck"}}), ("C1", {"charger": {"kind": "DC"}})]
    assert fire(rules, subjects) == fire_reference(rules, subjects) == {("not-van", "V1")}


def test_isolated_evaluation_fires_the_same_pairs() -> None:
    from engine.policy.conditions import parse_condition
    from engine.policy.evaluate import fire, fire_reference
    from engine.policy.isolated import IsolatedRules

    rules = {
        "a": parse_condition('vehicle.class == "van" and trip.priority >= 3'),
        "b": parse_condition("vehicle.soc < 0.5"),
    }
    subjects = [
        (f"v{i}/t{i}", {"vehicle": {"class": ["van", "truck"][i % 2], "soc": i / 10}, "trip": {"priority": i % 5 + 1}})
        for i in range(10)
    ]
    with IsolatedRules(evaluations_per_process=1) as isolated:
        first, second = isolated.fire(rules, subjects), isolated.fire(rules, subjects)  # second runs in a new child
    assert first == second == fire(rules, subjects) == fire_reference(rules, subjects)
    assert ("a", "v2/t2") in first and ("b", "v9/t9") not in first
