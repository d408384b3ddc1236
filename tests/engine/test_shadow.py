"""Shadow-mode comparison by hand: the shadow plan charges in the cheap hours, dispatch charged late and short."""

from datetime import timedelta
from pathlib import Path

import pytest

from engine.decision import decide
from engine.errors import InputError
from engine.shadow import load_dispatch_log, shadow_report
from tests.engine.schedule.factory import NOW, problem, trip, two_level_tariff, vehicle

TARIFF = two_level_tariff()  # 0.10 $/kWh 00:00-04:00, 0.30 $/kWh after


def _log(tmp_path: Path, sessions: str, departures: str) -> tuple[Path, Path]:
    (tmp_path / "s.csv").write_text(sessions)
    (tmp_path / "d.csv").write_text(departures)
    return tmp_path / "s.csv", tmp_path / "d.csv"


def test_shadow_against_actual_per_day_and_vehicle(tmp_path: Path) -> None:
    """v1 holds 5 kWh and leaves at 06:00 on a 20 kWh trip: target 20 + 10 % of 50 = 25 kWh (SOC 0.5). The
    shadow plan buys the 20 kWh at 0.10 $/kWh before 04:00 (2 h at 10 kW); dispatch charged 18 kWh from 04:00 to
    06:00 at 0.30 $/kWh and the van left at 0.45."""
    p = problem([vehicle(1)], [trip(1, 6.0, 20.0)], [0.1])
    d = decide(p, tariff=TARIFF, created=NOW)
    s, dep = _log(
        tmp_path,
        "vehicle_id,charger_id,plug_in,plug_out,energy_kwh\n"
        f"v1,ac0,{(NOW + timedelta(hours=4)).isoformat()},{(NOW + timedelta(hours=6)).isoformat()},18\n",
        f"vehicle_id,trip_id,departure,soc\nv1,t1,{(NOW + timedelta(hours=6)).isoformat()},0.45\n",
    )
    sessions, departures = load_dispatch_log(s, dep)
    table, summary = shadow_report([(d, p)], sessions, departures, TARIFF, NOW, NOW + timedelta(hours=8))
    (row,) = table.to_dict("records")
    assert row["day"] == "2025-03-04" and row["vehicle_id"] == "v1" and row["departures"] == 1
    assert row["energy_shadow_kwh"] == pytest.approx(20.0) and row["cost_shadow_usd"] == pytest.approx(2.0)
    assert row["energy_actual_kwh"] == pytest.approx(18.0) and row["cost_actual_usd"] == pytest.approx(5.4)
    assert (row["ready_actual"], row["ready_shadow"]) == (0, 1)
    assert summary["readiness_actual"] == 0.0 and summary["readiness_shadow"] == 1.0
    assert summary["peak_kw_actual"] == pytest.approx(9.0) and summary["peak_kw_shadow"] == pytest.approx(10.0)


def test_a_bad_log_row_names_file_line_and_field(tmp_path: Path) -> None:
    s, dep = _log(
        tmp_path,
        "vehicle_id,charger_id,plug_in,plug_out,energy_kwh\nv1,ac0,2025-03-04T04:00:00-08:00,2025-03-04T06:00:00,-1\n",
        "vehicle_id,trip_id,departure,soc\n",
    )
    with pytest.raises(InputError) as err:
        load_dispatch_log(s, dep)
    text = "\n".join(str(p) for p in err.value.problems)
    assert f"{s}:2" in text and "energy_kwh" in text and "plug_out" in text
