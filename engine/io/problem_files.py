"""Load a PlanningProblem from one YAML/JSON file or a folder of CSVs, and write it back losslessly.

Folder layout: ``depot.yaml`` (problem header and depots), ``vehicles.csv``, ``chargers.csv``, ``trips.csv``
and optionally ``stops.csv``, ``states.csv``, ``shifts.csv``, ``pins.csv`` (dispatchers' overrides). List cells are ``;``-separated; a charge curve
is ``soc:kw;soc:kw``; an empty cell means "use the default". Every mistake is reported as
``FILE:LINE: field.path: message``.
"""

from __future__ import annotations

import csv
import difflib
import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from engine.domain import PlanningProblem
from engine.errors import InputError, Location, PathKey, Problem, field_path, from_validation_error
from engine.io.yaml_lines import load_yaml_with_lines
from engine.tariffs.files import resolve_tariff_path

LIST_COLUMNS = {"connectors", "vehicle_classes", "trip_ids"}
TABLES: dict[str, list[str]] = {
    "vehicles": [
        "id",
        "class",
        "depot_id",
        "battery_kwh",
        "max_ac_kw",
        "max_dc_kw",
        "connectors",
        "charge_efficiency",
        "charge_curve",
    ],
    "chargers": ["id", "depot_id", "kind", "max_kw", "connectors", "status", "reliability", "min_kw"],
    "trips": [
        "id",
        "depot_id",
        "vehicle_classes",
        "vehicle_id",
        "departure",
        "return",
        "distance_km",
        "energy_kwh_p50",
        "energy_kwh_p90",
        "priority",
        "to_site",
    ],
    "states": [
        "vehicle_id",
        "soc",
        "soc_confidence",
        "soc_p10",
        "last_seen",
        "at_depot",
        "depot_id",
        "plugged",
        "charger_id",
        "available_from",
        "lat",
        "lon",
    ],
    "shifts": ["id", "depot_id", "start", "end", "trip_ids", "driver_id"],
    "pins": ["vehicle_id", "charger_id", "start", "end"],
}
STOP_COLUMNS = ["trip_id", "id", "window_start", "window_end", "dwell_minutes", "lat", "lon"]
REQUIRED_TABLES = ("vehicles", "chargers", "trips")


def _cell(column: str, text: str) -> Any:
    if column in LIST_COLUMNS:
        return [x.strip() for x in text.split(";") if x.strip()]
    if column == "charge_curve":
        points = []
        for part in text.split(";"):
            soc, _, kw = part.partition(":")
            points.append({"soc": soc.strip(), "max_kw": kw.strip()})
        return points
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text


def _read_table(path: Path, prefix: str, locations: dict, sources: dict) -> list[dict]:
    rows: list[dict] = []
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        expected = TABLES.get(prefix, STOP_COLUMNS)
        unknown = [c for c in reader.fieldnames or [] if c not in expected]
        if unknown:
            near = {c: difflib.get_close_matches(c, expected, n=1) for c in unknown}
            hints = ", ".join(f"{m[0]!r} for {c!r}" for c, m in near.items() if m)
            hint = f" (did you mean {hints}?)" if hints else ""
            raise InputError([Problem(f"unknown column(s) {unknown}{hint}; expected {expected}", "", str(path), 1)])
        for row in reader:
            i = len(rows)
            line = reader.line_num
            key: PathKey = (prefix, i)
            locations[key] = (line, None)
            sources[key] = str(path)
            record = {}
            for column, text in row.items():
                if column is None:
                    raise InputError([Problem("row has more cells than the header", "", str(path), line)])
                if text is None or text.strip() == "":
                    continue
                record[column] = _cell(column, text.strip())
                locations[(*key, column)] = (line, None)
            rows.append(record)
    return rows


def _load_folder(folder: Path) -> PlanningProblem:
    header_path = folder / "depot.yaml"
    if not header_path.is_file():
        raise InputError([Problem("missing depot.yaml (problem header and depots)", "", str(folder))])
    data, yaml_locs = load_yaml_with_lines(header_path)
    if not isinstance(data, dict):
        raise InputError([Problem("depot.yaml must hold a mapping", "", str(header_path), 1, 1)])
    locations: dict[PathKey, Location] = dict(yaml_locs)
    sources: dict[PathKey, str] = {(): str(header_path)}
    for name in TABLES:
        path = folder / f"{name}.csv"
        if path.is_file():
            data[name] = _read_table(path, name, locations, sources)
        elif name in REQUIRED_TABLES:
            raise InputError([Problem(f"missing {name}.csv", "", str(folder))])
    stops_path = folder / "stops.csv"
    if stops_path.is_file():
        stops_locs: dict = {}
        stops = _read_table(stops_path, "stops", stops_locs, {})
        trip_index = {t.get("id"): i for i, t in enumerate(data.get("trips", []))}
        for j, stop in enumerate(stops):
            trip_id = stop.pop("trip_id", None)
            if trip_id not in trip_index:
                line = stops_locs[("stops", j)][0]
                raise InputError([Problem(f"unknown trip {trip_id!r}", "trip_id", str(stops_path), line)])
            ti = trip_index[trip_id]
            trip_stops = data["trips"][ti].setdefault("stops", [])
            key = ("trips", ti, "stops", len(trip_stops))
            locations[key] = stops_locs[("stops", j)]
            sources[key] = str(stops_path)
            trip_stops.append(stop)
    try:
        problem = PlanningProblem.model_validate(data)
    except ValidationError as exc:
        raise from_validation_error(exc, str(header_path), locations, sources=sources, model=PlanningProblem) from None
    _check_tariffs(problem, folder, str(header_path), locations)
    return problem


def load_problem(path: str | Path) -> PlanningProblem:
    """Load a PlanningProblem from a ``.yaml``/``.json`` file or a CSV folder; raise InputError on mistakes."""
    p = Path(path)
    if p.is_dir():
        return _load_folder(p)
    if not p.exists():
        raise InputError([Problem("no such file or folder", "", str(p))])
    data, locations = load_yaml_with_lines(p)
    if not isinstance(data, dict):
        raise InputError([Problem("a problem file must hold a mapping", "", str(p), 1, 1)])
    try:
        problem = PlanningProblem.model_validate(data)
    except ValidationError as exc:
        raise from_validation_error(exc, str(p), locations, model=PlanningProblem) from None
    _check_tariffs(problem, p.parent, str(p), locations)
    return problem


def _check_tariffs(problem: PlanningProblem, base: Path, file: str, locations: dict[PathKey, Location]) -> None:
    """Every tariff the problem names (its own, and each depot's) is a file beside it or a shipped one; else
    InputError at the line that names it, with a did-you-mean (the message named only the tariff before)."""
    named: list[tuple[PathKey, str]] = [(("tariff",), problem.tariff)]
    named += [(("depots", i, "tariff"), d.tariff) for i, d in enumerate(problem.depots) if d.tariff]
    problems = []
    for key, ref in named:
        try:
            resolve_tariff_path(ref, base)
        except InputError as exc:
            line, column = locations.get(key, (None, None))
            problems += [Problem(p.message, field_path(key), file, line, column) for p in exc.problems]
    if problems:
        raise InputError(problems)


def problem_to_json(problem: PlanningProblem) -> str:
    """Canonical JSON of a problem (the API's input format)."""
    return json.dumps(problem.model_dump(mode="json", by_alias=True), indent=2, sort_keys=False)


def _format_cell(column: str, value: Any) -> str:
    if value is None:
        return ""
    if column in LIST_COLUMNS:
        return ";".join(str(v) for v in value)
    if column == "charge_curve":
        return ";".join(f"{p['soc']}:{p['max_kw']}" for p in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def write_problem_folder(problem: PlanningProblem, folder: str | Path) -> None:
    """Write ``problem`` as a CSV folder that :func:`load_problem` reads back to an equal problem."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    data = problem.model_dump(mode="json", by_alias=True)
    stops = []
    for trip in data["trips"]:
        for stop in trip.pop("stops"):
            stops.append({"trip_id": trip["id"], **stop})
    for name, columns in TABLES.items():
        rows = data.pop(name, [])  # pins are left out of the dump when there are none
        if name not in REQUIRED_TABLES and not rows:
            continue
        with (out / f"{name}.csv").open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(columns)
            for row in rows:
                writer.writerow([_format_cell(c, row.get(c)) for c in columns])
    if stops:
        with (out / "stops.csv").open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(STOP_COLUMNS)
            for stop in stops:
                writer.writerow([_format_cell(c, stop.get(c)) for c in STOP_COLUMNS])
    (out / "depot.yaml").write_text(
        yaml.safe_dump(data, sort_keys=False, default_flow_style=None, width=110), encoding="utf-8"
    )
