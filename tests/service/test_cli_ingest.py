"""``fleetcharge ingest FILE``: JSON lines and CSV (a vendor export in miles) into the store, bad lines named."""

import json
from pathlib import Path

import pytest

from service.cli import main
from service.store import Store
from service.telemetry_store import TelemetryStore
from tests.service.conftest import small_problem

T = "2025-07-14T22:00:00-07:00"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "fc.db"
    Store(f"sqlite:///{path}").put_fleet("acme", "depot", small_problem().model_dump(mode="json", by_alias=True))
    return path


def test_json_lines_with_a_bad_line_and_a_duplicate(tmp_path: Path, db: Path, capsys) -> None:
    ok = {
        "event_id": "e1",
        "vehicle_id": "v1",
        "source": "file",
        "event_time": T,
        "type": "soc",
        "values": {"soc_pct": 40},
        "payload_version": "1",
    }
    lines = [
        json.dumps(ok),
        "{not json",
        "",
        json.dumps({**ok, "event_id": "e2", "values": {"soc_pct": 140}}),
        json.dumps(ok),
    ]
    f = tmp_path / "events.jsonl"
    f.write_text("\n".join(lines) + "\n")
    assert main(["ingest", str(f), "--db", str(db), "--tenant", "acme"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out) == {"accepted": 1, "duplicate": 1, "quarantined": 2}
    assert f"{f}:2: -: malformed:" in err  # the unparseable line, by number
    assert f"{f}:4: e2: soc_out_of_range: values.soc_pct: 140 outside 0-100" in err


def test_vendor_csv_export_in_miles(tmp_path: Path, db: Path, capsys) -> None:
    f = tmp_path / "export.csv"
    f.write_text(
        "record_id,unit_id,recorded_at,metric,value,unit\n"
        f"1,v1,{T},odometer,100,mi\n"
        f"2,v1,2025-07-14T23:00:00-07:00,odometer,90,mi\n"
        f"3,v2,{T},soc,55,%\n"
    )
    assert main(["ingest", str(f), "--db", str(db), "--tenant", "acme"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out) == {"accepted": 2, "duplicate": 0, "quarantined": 1}
    assert f"{f}:3: fleetbook:2: odometer_backwards" in err
    ts = TelemetryStore(Store(f"sqlite:///{db}"))
    assert ts.state("acme", "v1").latest["odometer"].values["odometer_km"] == pytest.approx(160.9344)
