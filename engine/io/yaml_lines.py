"""YAML loading that remembers where every value came from.

:func:`load_yaml_with_lines` returns the plain Python data and a map from each value's path, e.g.
``("vehicles", 3, "battery_kwh")``, to its (line, column), so validation errors can say
``depot.yaml:14:7: vehicles[3].battery_kwh: must be > 0, got -5``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from engine.errors import InputError, Location, PathKey, Problem


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys instead of silently keeping the last one."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[Any, yaml.Node] = {}
    for key_node, _value in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key {key!r} (first defined on line {seen[key].start_mark.line + 1})",
                key_node.start_mark,
            )
        seen[key] = key_node
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _walk(node: yaml.Node, path: PathKey, out: dict[PathKey, Location]) -> None:
    out[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            # the key's own position is more useful than the value's for "unknown field" messages
            out[(*path, key)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            _walk(value_node, (*path, key), out)
            out[(*path, key)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*path, i), out)


def _line_col(text: str, position: int) -> tuple[int, int]:
    """1-based line and column of a character offset."""
    before = text[:position]
    return before.count("\n") + 1, position - (before.rfind("\n") + 1) + 1


MAX_YAML_CHARS = 4 * 1024 * 1024  # largest YAML text read [characters]
MAX_YAML_DEPTH = 64  # deepest nesting of mappings and sequences [-]
MAX_YAML_NODES = 2_000_000  # most scalars, mappings and sequences in one text [-]


def _check_shape(text: str, source: str) -> None:
    """Refuse, before anything is built, YAML whose size could explode: anchors and aliases (an alias bomb of a
    few hundred bytes expands to gigabytes), nesting deeper than ``MAX_YAML_DEPTH``, more than
    ``MAX_YAML_NODES`` nodes, texts longer than ``MAX_YAML_CHARS``. One pass over the parser's events: time
    and memory linear in the text."""
    if len(text) > MAX_YAML_CHARS:
        raise InputError([Problem(f"YAML text too long: {len(text)} characters > {MAX_YAML_CHARS}", "", source)])
    depth = nodes = 0
    for event in yaml.parse(text, Loader=_UniqueKeyLoader):
        mark = event.start_mark
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise InputError(
                [
                    Problem(
                        "YAML anchors and aliases (&name, *name) are not allowed: write the value out",
                        "",
                        source,
                        mark.line + 1,
                        mark.column + 1,
                    )
                ]
            )
        if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                raise InputError(
                    [
                        Problem(
                            f"YAML nested deeper than {MAX_YAML_DEPTH} levels",
                            "",
                            source,
                            mark.line + 1,
                            mark.column + 1,
                        )
                    ]
                )
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            depth -= 1
        if isinstance(event, yaml.NodeEvent):
            nodes += 1
            if nodes > MAX_YAML_NODES:
                raise InputError(
                    [
                        Problem(
                            f"YAML text has more than {MAX_YAML_NODES} values",
                            "",
                            source,
                            mark.line + 1,
                            mark.column + 1,
                        )
                    ]
                )


def parse_yaml_with_lines(text: str, source: str = "<string>") -> tuple[Any, dict[PathKey, Location]]:
    """Parse YAML text; return (data, locations). Syntax errors raise InputError with line and column; so do
    anchors and aliases, nesting and sizes beyond the limits above (:func:`_check_shape`)."""
    try:
        _check_shape(text, source)
        node = yaml.compose(text, Loader=_UniqueKeyLoader)
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        col = mark.column + 1 if mark else None
        raise InputError([Problem(f"invalid YAML: {exc.problem or exc}", "", source, line, col)]) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (control characters, ...)
        line, col = _line_col(text, exc.position)
        raise InputError(
            [Problem(f"invalid YAML: control character U+{exc.character:04X} is not allowed", "", source, line, col)]
        ) from None
    except yaml.YAMLError as exc:
        raise InputError([Problem(f"invalid YAML: {exc}", "", source, 1, 1)]) from None
    locations: dict[PathKey, Location] = {}
    if node is not None:
        _walk(node, (), locations)
    return data, locations


def load_yaml_with_lines(path: str | Path) -> tuple[Any, dict[PathKey, Location]]:
    """Read a YAML (or JSON, which is YAML) file; return (data, locations)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError([Problem(f"cannot read file: {exc.strerror}", "", str(p))]) from None
    return parse_yaml_with_lines(text, str(p))
