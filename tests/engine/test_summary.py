"""The plan's text summary (``fleetcharge plan`` without ``--json``) in plain sentences."""

from __future__ import annotations

from engine.decision import decide
from engine.summary import describe_decision
from tests.engine.schedule.factory import problem, trip, two_level_tariff, vehicle


def test_a_plan_reads_as_sentences() -> None:
    """One van, 20 kWh at 10 kW in the cheap first three hours (NOW is 00:00 Los Angeles time): the text says
    where and when it charges, with the timezone, and the SOC it leaves with ('departs at SOC R-T-01 64%' before)."""
    p = problem([vehicle(1, battery=50.0, ac=10.0)], [trip(1, 6.0, 20.0)], [0.1], n_ac=1)
    d = decide(p, tariff=two_level_tariff(cheap_hours=(0, 3), cheap=0.10, dear=0.30), strategy="edf")
    text = describe_decision(d).splitlines()
    session = d.plan.vehicles[0].sessions[0]
    soc = d.plan.vehicles[0].soc_at_departure["t1"]
    assert text[0] == f"Decision {d.decision_id}: edf plan, {d.status} (a rule-based strategy, no solver)."
    assert text[1].startswith(f"The bill is {d.cost.bill_usd:,.2f} USD: energy ")
    assert (
        f"v1 charges {session.energy_kwh:.1f} kWh at charger {session.charger_id} from "
        f"{session.plug_in:%a %d %b %H:%M} to {session.plug_out:%H:%M} ({session.plug_in:%Z})." in text
    )
    assert f"v1 leaves on trip t1 with {soc:.0%} charge." in text
    assert session.plug_in.tzname() in ("PDT", "PST") and "departs at SOC" not in "\n".join(text)
