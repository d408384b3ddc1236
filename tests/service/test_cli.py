"""The CLI contract: JSON keys, exit codes, error lines."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from service.cli import main

ROOT = Path(__file__).resolve().parents[2]


def run(args: list[str], capsys) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_bill_json_contract_matches_golden_ramp(tmp_path: Path, capsys) -> None:
    index = pd.date_range("2024-07-10", periods=96, freq="15min")
    pd.DataFrame({"start": index.strftime("%Y-%m-%dT%H:%M:%S"), "kw": np.arange(96.0)}).to_csv(
        tmp_path / "load.csv", index=False
    )
    code, out, _ = run(
        ["bill", "--tariff", str(ROOT / "tariffs/pge_eeco.yaml"), "--load", str(tmp_path / "load.csv"), "--json"],
        capsys,
    )
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"energy_usd", "demand_usd", "fixed_usd", "total_usd", "lines"}
    assert data["energy_usd"] == pytest.approx(140.916195)
    assert data["demand_usd"] == pytest.approx(4027.79)
    assert data["total_usd"] == pytest.approx(140.916195 + 4027.79 + 1352.6313)
    assert set(data["lines"][0]) == {"name", "kind", "quantity", "unit", "rate", "amount_usd"}
    assert sum(line["amount_usd"] for line in data["lines"]) == pytest.approx(data["total_usd"])


def test_bill_accepts_urdb_json_directly(tmp_path: Path, capsys) -> None:
    index = pd.date_range("2024-07-10T00:00:00-07:00", periods=24, freq="h")
    pd.DataFrame({"start": [t.isoformat() for t in index], "kw": 100.0}).to_csv(tmp_path / "l.csv", index=False)
    urdb = ROOT / "data/tariffs/urdb/SCE_TOU-8_Option-D_Under-2-kV.json"
    code, out, _ = run(
        [
            "bill",
            "--tariff",
            str(urdb),
            "--timezone",
            "America/Los_Angeles",
            "--load",
            str(tmp_path / "l.csv"),
            "--json",
        ],
        capsys,
    )
    code2, out2, _ = run(
        ["bill", "--tariff", str(ROOT / "tariffs/sce_tou_8_d.yaml"), "--load", str(tmp_path / "l.csv"), "--json"],
        capsys,
    )
    assert code == code2 == 0
    assert json.loads(out)["total_usd"] == pytest.approx(json.loads(out2)["total_usd"])


def test_bad_load_csv_exits_2_with_path_and_line(tmp_path: Path, capsys) -> None:
    (tmp_path / "load.csv").write_text("start,kw\n2024-07-10T00:00,1\n2024-07-10T00:15,abc\nnot-a-time,2\n")
    code, out, err = run(
        ["bill", "--tariff", str(ROOT / "tariffs/pnm_4b.yaml"), "--load", str(tmp_path / "load.csv"), "--json"], capsys
    )
    assert code == 2 and out == ""
    assert err.splitlines() == [
        f"{tmp_path / 'load.csv'}:3: kw: not a number: 'abc'",
        f"{tmp_path / 'load.csv'}:4: start: not an ISO 8601 time: 'not-a-time'",
    ]


def test_import_urdb_writes_yaml_equal_to_shipped(tmp_path: Path, capsys) -> None:
    out = tmp_path / "t.yaml"
    code, _, _ = run(
        [
            "tariff",
            "import-urdb",
            str(ROOT / "data/tariffs/urdb/SCE_TOU-8_Option-D_Under-2-kV.json"),
            "-o",
            str(out),
            "--timezone",
            "America/Los_Angeles",
        ],
        capsys,
    )
    assert code == 0
    from engine.tariffs import load_tariff

    assert load_tariff(out) == load_tariff(ROOT / "tariffs/sce_tou_8_d.yaml")


def test_problem_convert_folder_to_json(tmp_path: Path, capsys) -> None:
    out = tmp_path / "p.json"
    code, _, _ = run(["problem", "convert", str(ROOT / "examples/demo_depot"), "-o", str(out)], capsys)
    assert code == 0
    assert json.loads(out.read_text())["id"] == "demo-lax-1"


def test_problem_convert_bad_file_exits_2(tmp_path: Path, capsys) -> None:
    (tmp_path / "p.yaml").write_text("id: x\nnow: yesterday\n")
    code, _, err = run(["problem", "convert", str(tmp_path / "p.yaml"), "-o", str(tmp_path / "o.json")], capsys)
    assert code == 2
    assert f"{tmp_path / 'p.yaml'}:2:1: now: input should be a valid datetime" in err
    assert f"{tmp_path / 'p.yaml'}:1:1: depots: required field is missing" in err


def test_console_script_runs_demo() -> None:
    result = subprocess.run([sys.executable, "-m", "service.cli", "demo"], capture_output=True, text=True, check=True)
    assert "68 (8 box_truck, 60 van)" in result.stdout and "TOU-8" in result.stdout


def test_plan_json_contract(capsys) -> None:
    code, out, _ = run(["plan", str(ROOT / "examples/demo_depot"), "--json", "--strategy", "llf"], capsys)
    assert code == 0
    d = json.loads(out)
    assert {"status", "plan", "cost", "violations", "solver"} <= set(d)
    assert {"vehicle_id", "charger_id", "sessions", "soc_at_departure"} <= set(d["plan"]["vehicles"][0])
    assert len(d["plan"]["site_load_kw"]) == 80
    assert set(d["cost"]) == {
        "energy_usd",
        "demand_usd",
        "fees_usd",
        "public_usd",
        "bill_usd",
        "wear_usd",
        "penalty_usd",
        "change_usd",
        "prefer_usd",
        "timing_usd",
        "end_usd",
        "lateness_usd",
        "objective_usd",
        "currency",
    }
    assert {"status", "gap", "seconds"} <= set(d["solver"])


def test_plan_bad_problem_exits_2(tmp_path: Path, capsys) -> None:
    code, _, err = run(["plan", str(tmp_path / "missing.yaml"), "--json"], capsys)
    assert code == 2 and "no such file" in err


def test_a_bug_exits_1_with_one_clear_line(monkeypatch, capsys) -> None:
    import engine.schedule.optimal as optimal

    def buggy_model(_x):
        raise KeyError("energy_balance: slot 96 of a 96-slot horizon")

    monkeypatch.setattr(optimal, "create_model", buggy_model)
    code, out, err = run(["plan", str(ROOT / "examples/demo_depot"), "--json"], capsys)
    assert code == 1 and out == ""
    assert err.startswith("fleetcharge plan: internal error: KeyError:") and "Traceback" not in err
    assert err.count("\n") == 1


def test_plan_with_previous_decision(tmp_path: Path, capsys) -> None:
    code, out, _ = run(["plan", str(ROOT / "examples/demo_depot"), "--json", "--strategy", "edf"], capsys)
    (tmp_path / "prev.json").write_text(out)
    code, out2, _ = run(
        [
            "plan",
            str(ROOT / "examples/demo_depot"),
            "--json",
            "--strategy",
            "edf",
            "--previous",
            str(tmp_path / "prev.json"),
        ],
        capsys,
    )
    assert code == 0 and json.loads(out2)["trace"]["previous_plan_hash"]
    (tmp_path / "bad.json").write_text('{"plan": 3}')
    code, _, err = run(["plan", str(ROOT / "examples/demo_depot"), "--previous", str(tmp_path / "bad.json")], capsys)
    assert code == 2 and str(tmp_path / "bad.json") in err


def test_keys_create_prints_the_key_alone_and_it_works(tmp_path, capsys) -> None:
    from service.store import Store

    db = tmp_path / "keys.db"
    assert main(["keys", "create", "--tenant", "acme", "--scopes", "read,plan", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.startswith("fc_")
    principal = Store(f"sqlite:///{db}").principal(out.strip())
    assert principal.tenant == "acme" and principal.scopes == {"read", "plan"}


def test_keys_create_refuses_unknown_scopes(tmp_path, capsys) -> None:
    db = tmp_path / "keys.db"
    assert main(["keys", "create", "--tenant", "acme", "--scopes", "read,fly", "--db", str(db)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "--scopes: unknown scopes ['fly']" in captured.err


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (
            ["plan", "examples/demo_depot", "--time-limit", "-5"],
            "argument --time-limit: '-5': give a number of seconds",
        ),
        (["plan", "examples/demo_depot", "--time-limit", "nan"], "argument --time-limit: 'nan': give a number"),
        (["serve", "--port", "70000"], "argument --port: '70000': give a whole number from 1 to 65535"),
        (["serve", "--workers", "-1"], "argument --workers: '-1': give a whole number at least 0"),
        (["ingest", "x.jsonl", "--batch", "0"], "argument --batch: '0': give a whole number at least 1"),
    ],
)
def test_numbers_out_of_range_are_refused_before_anything_runs(argv: list[str], said: str, capsys) -> None:
    """Bad input exits 2 naming the argument (``--time-limit -5`` was accepted and handed to the solver)."""
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    assert said in capsys.readouterr().err


def test_serve_on_a_taken_port_says_so_before_printing_a_key(tmp_path: Path, capsys) -> None:
    """A second server on the same port printed a fresh key and curl lines, then failed to start."""
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = main(["serve", "--port", str(port), "--db", str(tmp_path / "s.db"), "--no-summary"])
    out, err = capsys.readouterr()
    assert code == 2
    assert f"--port {port}: 127.0.0.1:{port} is already in use" in err
    assert "fc_" not in out and "curl" not in out and not (tmp_path / "s.db").exists()


def test_import_urdb_says_when_the_file_is_not_a_urdb_record(tmp_path: Path, capsys) -> None:
    """A JSON that is not a URDB record was read as our own tariff format ("name: required field is missing")."""
    other = tmp_path / "other.json"
    other.write_text('{"foo": 1}\n')
    code = main(["tariff", "import-urdb", str(other), "-o", str(tmp_path / "t.yaml"), "--timezone", "America/Denver"])
    assert code == 2 and not (tmp_path / "t.yaml").exists()
    assert f"{other}:1:1: not a URDB rate record" in capsys.readouterr().err


def test_import_urdb_needs_the_utilitys_timezone(tmp_path: Path, capsys) -> None:
    """URDB names no timezone: the import wrote UTC windows for a Los Angeles utility unless told."""
    record = ROOT / "data/tariffs/urdb/SCE_TOU-8_Option-D_Under-2-kV.json"
    with pytest.raises(SystemExit) as exit_:
        main(["tariff", "import-urdb", str(record), "-o", str(tmp_path / "t.yaml")])
    assert exit_.value.code == 2 and "--timezone" in capsys.readouterr().err
