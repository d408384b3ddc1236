"""Operations KPIs by hand: a 10-hour period, two chargers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from engine.kpis import SessionFacts, operations_kpis

T0 = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)
H = timedelta(hours=1)


def test_sessions_across_the_period_edges_count_their_part_inside() -> None:
    sessions = [
        SessionFacts("c1", T0 - 2 * H, T0 + 3 * H, 30.0, "EVDisconnected"),  # started before: 3 h inside, no energy
        SessionFacts("c1", T0 + 4 * H, T0 + 6 * H, 20.0, "EVDisconnected"),
        SessionFacts("c2", T0 + 5 * H, T0 + 7 * H, 8.0, "PowerLoss"),  # cut short by the charger
        SessionFacts("c2", T0 + 8 * H, None, 4.0, None),  # still running at the end: 2 h inside
    ]
    k = operations_kpis(sessions, 40.0, 2, T0, T0 + 10 * H, {"v1": 12.5})
    assert k["sessions"] == 3 and k["energy_delivered_kwh"] == pytest.approx(32.0)
    assert k["energy_delivered_share"] == pytest.approx(32 / 40)
    assert k["charge_completion_rate"] == pytest.approx(1 / 2)  # of the two that started inside and ended
    assert k["charger_utilisation"] == pytest.approx((3 + 2 + 2 + 2) / (2 * 10))
    assert k["cost_per_vehicle_usd"] == {"v1": 12.5}


def test_without_a_plan_or_a_finished_session_the_shares_are_none() -> None:
    k = operations_kpis([], 0.0, 0, T0, T0 + H)
    assert (k["energy_delivered_share"], k["charge_completion_rate"], k["charger_utilisation"]) == (None, None, None)
