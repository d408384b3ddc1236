"""Input errors that name the file, line and field, never a bare traceback.

Every loader in the engine raises :class:`InputError` with one :class:`Problem` per mistake found, so a user
fixing a file sees all of its mistakes at once, each as ``PATH:LINE:COL: field.path: message``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ValidationError

Location = tuple[int, int]  # (line, column), both 1-based
PathKey = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One mistake in one input: where it is and what is wrong."""

    message: str
    field: str = ""
    source: str = ""
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = self.source
        if where and self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        parts = [p for p in (where, self.field) if p]
        return ": ".join([*parts, self.message])


class InputError(ValueError):
    """Raised by every loader for bad input; ``problems`` lists each mistake with its location."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """``did you mean 'X'?`` for the known name closest to ``name``, or "" when none is close."""
    close = difflib.get_close_matches(name, sorted(known), n=1)
    return f"did you mean {close[0]!r}?" if close else ""


def field_path(loc: Iterable[str | int]) -> str:
    """Render a pydantic location as ``vehicles[3].battery_kwh``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _describe(error: Mapping[str, Any]) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    value = error.get("input")
    got = f", got {value!r}" if kind != "missing" and not isinstance(value, dict | list) else ""
    bounds = {
        "greater_than": "must be > {gt}",
        "greater_than_equal": "must be >= {ge}",
        "less_than": "must be < {lt}",
        "less_than_equal": "must be <= {le}",
    }
    if kind in bounds:
        bound = {k: (int(v) if isinstance(v, float) and v.is_integer() else v) for k, v in ctx.items()}
        return bounds[kind].format(**bound) + got
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "value_error":
        return str(ctx.get("error", error.get("msg", "")))
    return f"{error.get('msg', 'invalid value')[0].lower()}{error.get('msg', '')[1:]}{got}"


_STEP = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)((?:\[\d+\])*)")


def _path_key(path: str) -> PathKey | None:
    """``trips[2].to_site`` as ("trips", 2, "to_site"); None if ``path`` is not such a field path."""
    key: list[str | int] = []
    for step in path.split("."):
        m = _STEP.fullmatch(step)
        if m is None:
            return None
        key.append(m.group(1))
        key += [int(i) for i in re.findall(r"\[(\d+)\]", m.group(2))]
    return tuple(key) if key else None


def from_validation_error(
    exc: ValidationError,
    source: str = "",
    locations: Mapping[PathKey, Location] | None = None,
    prefix: PathKey = (),
    sources: Mapping[PathKey, str] | None = None,
    model: type[BaseModel] | None = None,
) -> InputError:
    """Turn a pydantic ValidationError into an InputError naming file, line and field path.

    ``locations`` maps a path tuple (as produced by :func:`engine.io.yaml_lines.load_yaml_with_lines`) to the
    (line, column) where that value starts; the nearest enclosing known path is used when the exact one is
    missing (e.g. a missing key is reported at its parent mapping). ``sources`` maps path prefixes to the file
    they came from, for inputs assembled from several files (a CSV folder). ``model``: the class validated, so
    an unknown key gets a did-you-mean among the fields of the model at its place.
    """

    def place(full: PathKey) -> tuple[str, int | None, int | None]:
        """(file, line, column) of the nearest enclosing path the inputs know."""
        line = col = None
        if locations:
            probe = full
            while probe and probe not in locations:
                probe = probe[:-1]
            if probe in locations:
                line, col = locations[probe]
        origin = source
        if sources:
            probe = full
            while probe and probe not in sources:
                probe = probe[:-1]
            origin = sources.get(probe, source)
        return origin, line, col

    problems = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        full = (*prefix, *loc)
        origin, line, col = place(full)
        if err.get("type") == "value_error":  # a model check: each line may name its own path ("trips[2].x: ...")
            parts = _describe(err).split("\n")
            named = [(part, *part.partition(": ")[::2]) for part in parts]
            if len(parts) > 1 or _path_key(named[0][1]) is not None:
                for part, path, message in named:
                    key = _path_key(path) if message else None
                    if key is None:
                        problems.append(Problem(part, field_path(full), origin, line, col))
                    else:
                        problems.append(Problem(message, field_path((*full, *key)), *place((*full, *key))))
                continue
        message = _describe(err)
        if err.get("type") == "extra_forbidden" and model is not None and loc and isinstance(loc[-1], str):
            near = difflib.get_close_matches(loc[-1], field_names(model, loc[:-1]), n=1)
            message += f"; did you mean {near[0]!r}?" if near else ""
        problems.append(Problem(message, field_path(full), origin, line, col))
    return InputError(problems)


def field_names(model: type[BaseModel], where: PathKey) -> list[str]:
    """Names (aliases where a field has one) of the fields of the model found at ``where`` inside ``model``
    (list indices and dict keys stepped through); [] when the path leads to no model."""
    current: Any = model
    for step in where:
        current = _inner(current)
        if isinstance(step, int):
            continue
        if not _is_model(current):
            return []
        field = next((f for n, f in current.model_fields.items() if step in (n, f.alias)), None)
        if field is None:
            return []
        current = field.annotation
    current = _inner(current)
    return [f.alias or n for n, f in current.model_fields.items()] if _is_model(current) else []


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _inner(annotation: Any) -> Any:
    """The model inside ``Optional[X]``, ``list[X]``, ``dict[str, X]``, ``Annotated[X, ...]``; else itself."""
    for _ in range(4):
        if _is_model(annotation):
            return annotation
        args = [a for a in get_args(annotation) if a is not type(None)]
        if not args:
            return annotation
        models = [a for a in args if _is_model(a)]
        annotation = models[0] if models else args[-1] if get_origin(annotation) is dict else args[0]
    return annotation
