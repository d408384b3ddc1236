"""Sent schedules are recorded once per command id, alone or as a batch (a batch made again after a crash)."""

from __future__ import annotations

from engine.control.profiles import ChargerSchedule
from service.ocpp.sessions import ChargerSessions, SentSchedule
from service.store import Store
from tests.service.ocpp.test_commands import OURS


def schedule(charger: str) -> ChargerSchedule:
    return OURS.model_copy(update={"charger_id": charger})


def test_a_batch_recorded_again_adds_only_the_commands_not_yet_recorded(tmp_path) -> None:
    sessions = ChargerSessions(Store(f"sqlite:///{tmp_path / 's.db'}").engine)
    first = [SentSchedule("acme", "d1", f"cmd-{c}", schedule(c), "accepted") for c in ("ac0", "ac1")]
    assert sessions.schedule_sent("acme", "d1", "cmd-ac0", schedule("ac0"), "accepted") is True
    assert sessions.schedules_sent(first) == 1  # ac0 was recorded alone before
    again = [*first, SentSchedule("acme", "d1", "cmd-ac2", schedule("ac2"), "rejected")]
    assert sessions.schedules_sent(again) == 1 and sessions.schedules_sent([]) == 0
    assert sessions.schedule_sent("acme", "d1", "cmd-ac2", schedule("ac2"), "accepted") is False
    rows = sessions.schedules("acme")
    assert sorted((r["charger_id"], r["answer"]) for r in rows) == [
        ("ac0", "accepted"),
        ("ac1", "accepted"),
        ("ac2", "rejected"),
    ]
