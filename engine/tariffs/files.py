"""Read and write tariff files: our YAML, URDB JSON, acnportal JSON, eeco CSV."""

from __future__ import annotations

import csv
import difflib
import json
import math
from datetime import datetime
from pathlib import Path

import yaml
from pydantic import ValidationError

from engine.errors import InputError, Problem, from_validation_error
from engine.io.yaml_lines import load_yaml_with_lines
from engine.shipped import TARIFFS, shipped_dir
from engine.tariffs.acn import tariff_from_acn
from engine.tariffs.model import Tariff
from engine.tariffs.urdb import tariff_from_urdb

TARIFF_DIR = shipped_dir(TARIFFS)  # the shipped tariffs, found by name


def resolve_tariff_path(ref: str | Path, base: Path | None = None) -> Path:
    """Find a tariff by path, by path relative to ``base``, or by name in the shipped ``tariffs/`` folder."""
    candidates = [Path(ref)]
    if base is not None:
        candidates.append(base / ref)
    candidates += [TARIFF_DIR / str(ref), TARIFF_DIR / f"{ref}.yaml"]
    for c in candidates:
        if c.is_file():
            return c
    shipped = sorted(p.stem for p in TARIFF_DIR.glob("*.yaml"))
    close = difflib.get_close_matches(Path(str(ref)).stem, shipped, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise InputError(
        [Problem(f"tariff {str(ref)!r} not found; {hint}shipped tariffs: {', '.join(shipped)}", "tariff", str(ref))]
    )


def load_tariff(path: str | Path, timezone: str | None = None) -> Tariff:
    """Load a tariff file. YAML is our format; JSON may be ours, a URDB record or an acnportal tariff.

    ``timezone`` applies to formats that carry none (URDB, acnportal); our YAML names its own.
    Raises InputError naming the file, line and field of every mistake.
    """
    p = Path(path)
    data, locations = load_yaml_with_lines(p)  # JSON is YAML: one parser, line numbers for both
    if not isinstance(data, dict | list | str):
        raise InputError([Problem("a tariff file must hold a mapping", "", str(p), 1, 1)])
    try:
        if isinstance(data, dict) and "schedule" in data and "energy" not in data:
            return tariff_from_acn(data, timezone or "America/Los_Angeles")
        if not isinstance(data, dict) or "items" in data or "energyratestructure" in data:
            return tariff_from_urdb(data, timezone or "UTC")
        if isinstance(data.get("price_series"), dict) and "file" in data["price_series"]:
            data = {**data, "price_series": _with_prices(data["price_series"], p.parent)}
        return Tariff.model_validate(data)
    except ValidationError as exc:
        raise from_validation_error(exc, str(p), locations) from None
    except InputError:
        raise
    except (ValueError, KeyError, TypeError, json.JSONDecodeError) as exc:
        raise InputError([Problem(f"cannot import tariff: {exc}", "", str(p))]) from None


def load_urdb_tariff(path: str | Path, timezone: str) -> Tariff:
    """A tariff from an OpenEI URDB JSON record (or an API answer holding one), in ``timezone`` (URDB names
    none); InputError naming the file when it is not such a record (``load_tariff`` would read it as our own
    format and list our fields as missing)."""
    p = Path(path)
    data, _locations = load_yaml_with_lines(p)
    try:
        return tariff_from_urdb(data, timezone)
    except ValidationError as exc:
        raise from_validation_error(exc, str(p)) from None
    except (ValueError, KeyError, TypeError, json.JSONDecodeError) as exc:
        raise InputError([Problem(f"{exc}; is this an OpenEI URDB record?", "", str(p), 1, 1)]) from None


def _with_prices(spec: dict, folder: Path) -> dict:
    """A ``price_series`` that names a CSV ``file`` (columns ``start``, ISO 8601 with its offset, and ``price``,
    relative to the tariff file) with the file's starts and prices in place of the name."""
    path = folder / str(spec["file"])
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(
            [Problem(f"cannot read price series: {exc.strerror}", "price_series.file", str(path))]
        ) from None
    rows = list(csv.DictReader(text.splitlines()))
    if not rows or not {"start", "price"} <= set(rows[0]):
        raise InputError([Problem("needs columns start and price", "", str(path), 1)])
    starts, prices, problems = [], [], []
    for line, row in enumerate(rows, start=2):
        try:
            when = datetime.fromisoformat(row["start"].strip())
            if when.tzinfo is None:
                raise ValueError
            starts.append(when)
        except (ValueError, AttributeError):
            problems.append(
                Problem(f"not an ISO 8601 time with its offset: {row['start']!r}", "start", str(path), line)
            )
        try:
            price = float(row["price"])
            if not math.isfinite(price):
                raise ValueError
            prices.append(price)
        except (TypeError, ValueError):
            problems.append(Problem(f"not a finite number: {row['price']!r}", "price", str(path), line))
    if problems:
        raise InputError(problems)
    rest = {k: v for k, v in spec.items() if k != "file"}
    return {"source": str(spec["file"]), **rest, "starts": starts, "prices": prices}


def tariff_to_dict(tariff: Tariff) -> dict:
    """Plain data for YAML: defaults left out so the file stays readable."""
    data = tariff.model_dump(mode="json", exclude_defaults=True)
    for kind in ("energy", "demand"):
        for charge in data.get(kind, []):
            for window in charge.get("when", []):
                if "hours" in window:
                    window["hours"] = [[_num(a), _num(b)] for a, b in window["hours"]]
    return data


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else x


def dump_tariff(tariff: Tariff, path: str | Path, header: str = "") -> None:
    """Write ``tariff`` as our YAML, with an optional comment ``header`` (source and license lines)."""
    text = yaml.safe_dump(tariff_to_dict(tariff), sort_keys=False, default_flow_style=None, width=110)
    comment = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    Path(path).write_text(comment + text, encoding="utf-8")
