"""Problem files: CSV folder and JSON load, lossless write-back, FILE:LINE errors."""

import shutil
from pathlib import Path

import pytest

from engine.errors import InputError
from engine.io.problem_files import load_problem, problem_to_json, write_problem_folder

ROOT = Path(__file__).resolve().parents[3]
DEMO = ROOT / "examples/demo_depot"


def test_demo_loads_with_expected_shape() -> None:
    p = load_problem(DEMO)
    assert len(p.vehicles) == 68 and len(p.chargers) == 34 and len(p.trips) == 68
    assert sum(c.max_kw for c in p.chargers if c.kind == "AC") == pytest.approx(30 * 19.2)
    assert p.depots[0].grid_limit_kw == 600


def test_folder_and_json_round_trip_losslessly(tmp_path: Path) -> None:
    p = load_problem(DEMO)
    write_problem_folder(p, tmp_path / "folder")
    assert load_problem(tmp_path / "folder") == p
    (tmp_path / "p.json").write_text(problem_to_json(p))
    assert load_problem(tmp_path / "p.json") == p


def test_new_fields_survive_json_csv_json(tmp_path: Path) -> None:
    """Charger minimum power, a depot's own tariff and availability: JSON -> CSV folder -> JSON unchanged."""
    p = load_problem(DEMO)
    p = p.model_copy(
        update={
            "chargers": [p.chargers[0].model_copy(update={"min_kw": 4.2}), *p.chargers[1:]],
            "depots": [p.depots[0].model_copy(update={"tariff": "pge_a10", "availability": 0.7})],
        }
    )
    (tmp_path / "a.json").write_text(problem_to_json(p))
    write_problem_folder(load_problem(tmp_path / "a.json"), tmp_path / "folder")
    again = load_problem(tmp_path / "folder")
    assert again == p and again.chargers[0].min_kw == 4.2 and again.depots[0].tariff == "pge_a10"
    assert again.depots[0].availability == 0.7


def test_stops_csv_joins_trips(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    shutil.copytree(DEMO, folder)
    (folder / "stops.csv").write_text("trip_id,id,dwell_minutes\nR-V-01,s1,5\nR-V-01,s2,7\n")
    p = load_problem(folder)
    trip = next(t for t in p.trips if t.id == "R-V-01")
    assert [s.id for s in trip.stops] == ["s1", "s2"]
    write_problem_folder(p, tmp_path / "again")
    assert load_problem(tmp_path / "again") == p


def test_bad_csv_cell_names_file_line_and_field(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    shutil.copytree(DEMO, folder)
    lines = (folder / "vehicles.csv").read_text().splitlines()
    cells = lines[4].split(",")
    cells[3] = "-5"
    lines[4] = ",".join(cells)
    (folder / "vehicles.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as info:
        load_problem(folder)
    assert str(info.value) == f"{folder / 'vehicles.csv'}:5: vehicles[3].battery_kwh: must be > 0, got '-5'"


def test_bad_yaml_field_names_line(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    shutil.copytree(DEMO, folder)
    text = (folder / "depot.yaml").read_text().replace("grid_limit_kw: 600.0", "grid_limit_kw: lots")
    (folder / "depot.yaml").write_text(text)
    line = next(i for i, s in enumerate(text.splitlines(), 1) if "grid_limit_kw" in s)
    with pytest.raises(InputError, match=rf"depot.yaml:{line}:\d+: depots\[0\]\.grid_limit_kw: "):
        load_problem(folder)


def test_unknown_column_and_missing_table(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    shutil.copytree(DEMO, folder)
    (folder / "chargers.csv").write_text("id,depot_id,kind,max_kw,connectors,colour\n")
    with pytest.raises(InputError, match=r"chargers.csv:1: unknown column\(s\) \['colour'\]"):
        load_problem(folder)
    shutil.copy(DEMO / "chargers.csv", folder / "chargers.csv")
    (folder / "trips.csv").unlink()
    with pytest.raises(InputError, match=r"missing trips\.csv"):
        load_problem(folder)


def test_yaml_control_characters_are_an_input_error_with_position() -> None:
    from engine.errors import InputError
    from engine.io.yaml_lines import parse_yaml_with_lines

    with pytest.raises(InputError) as info:
        parse_yaml_with_lines("a: 1\nb: x\x0by\n", "p.yaml")
    assert [str(p) for p in info.value.problems] == [
        "p.yaml:2:5: invalid YAML: control character U+000B is not allowed"
    ]


def test_model_check_names_the_row_of_its_own_file(tmp_path: Path) -> None:
    """A check across tables (a trip's unknown to_site) points at that trip's line in trips.csv, not at the folder."""
    folder = tmp_path / "d"
    shutil.copytree(DEMO, folder)
    lines = (folder / "trips.csv").read_text().splitlines()
    assert "to_site" not in lines[0]  # the demo's trips all return home: add the column, one trip going elsewhere
    lines = [f"{lines[0]},to_site", *(f"{row}," for row in lines[1:])]
    lines[3] += "nowhere"
    (folder / "trips.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as info:
        load_problem(folder)
    assert str(info.value) == f"{folder / 'trips.csv'}:4: trips[2].to_site: unknown site 'nowhere'"


def test_an_unknown_tariff_is_named_at_its_line_with_a_did_you_mean(tmp_path) -> None:
    """A typo'd tariff name in depot.yaml said only "sce_tou_8_x: tariff: tariff not found" (no file, no line)."""
    folder = tmp_path / "depot"
    shutil.copytree(ROOT / "examples" / "demo_depot", folder)
    header = folder / "depot.yaml"
    lines = header.read_text().splitlines()
    line = next(i for i, text in enumerate(lines, 1) if text.startswith("tariff:"))
    lines[line - 1] = "tariff: sce_tou_8_x"
    header.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as err:
        load_problem(folder)
    assert [str(p) for p in err.value.problems] == [
        f"{header}:{line}:1: tariff: tariff 'sce_tou_8_x' not found; did you mean 'sce_tou_8_d'? shipped tariffs: "
        "pge_a10, pge_eeco, pnm_4b, sce_tou_8_d, sce_tou_ev_4, sdge_al_tou"
    ]


def test_a_typod_key_or_column_gets_a_did_you_mean(tmp_path) -> None:
    """Unknown keys in depot.yaml and unknown CSV columns are named with the closest field the model has at that
    place (a depot's, the problem's, a vehicle's): they said only 'unknown field'."""
    folder = tmp_path / "depot"
    shutil.copytree(DEMO, folder)
    header = folder / "depot.yaml"
    text = header.read_text()
    header.write_text(text.replace("  grid_limit_kw:", "  grid_limt_kw:").replace("horizon_hours:", "horizon_hour:"))
    with pytest.raises(InputError) as err:
        load_problem(folder)
    said = [p.message for p in err.value.problems]
    assert "unknown field; did you mean 'grid_limit_kw'?" in said
    assert "unknown field; did you mean 'horizon_hours'?" in said
    header.write_text(text)
    vehicles = folder / "vehicles.csv"
    vehicles.write_text(vehicles.read_text().replace("battery_kwh", "batery_kwh", 1))
    with pytest.raises(InputError, match=r"\['batery_kwh'\] \(did you mean 'battery_kwh' for 'batery_kwh'\?\)"):
        load_problem(folder)


def test_field_names_follow_lists_options_and_aliases() -> None:
    from engine.domain import PlanningProblem
    from engine.errors import field_names

    assert "grid_limit_kw" in field_names(PlanningProblem, ("depots", 0))
    assert "return" in field_names(PlanningProblem, ("trips", 3))  # the alias, as files spell it
    assert "values_kw" in field_names(PlanningProblem, ("depots", 0, "building_load_kw"))  # an Optional model
    assert field_names(PlanningProblem, ("depots", 0, "id")) == [] and field_names(PlanningProblem, ("nope",)) == []
