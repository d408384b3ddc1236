"""Named policies (the policies folder) and shipped tariffs, each file read and checked once per version of it."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from engine.errors import InputError, Problem
from engine.policy import check_policy_file
from engine.policy.schema import Policy
from engine.tariffs import Tariff, load_tariff
from engine.tariffs.files import TARIFF_DIR


class UnknownPolicy(LookupError):
    """A policy name that is not a file in the policies folder."""

    def __init__(self, name: str, available: list[str]) -> None:
        self.name, self.available = name, available
        super().__init__(f"unknown policy {name!r}; available: {', '.join(available)}")


def policy_names(folder: Path) -> list[str]:
    """Names of the policy files in ``folder`` (file stems), sorted."""
    return sorted(p.stem for p in folder.glob("*.yaml"))


@lru_cache(maxsize=64)
def _checked_policy(path: str, mtime_ns: int, size: int) -> tuple[Policy | None, tuple[Problem, ...]]:
    """A policy file checked once per version of the file (``mtime_ns`` and ``size`` are the cache key: an
    edited file is read again)."""
    policy, problems = check_policy_file(Path(path))
    return policy, tuple(problems)


@lru_cache(maxsize=64)
def _tariff_file(path: str, mtime_ns: int, size: int) -> Tariff:
    """A tariff file loaded once per version of the file."""
    return load_tariff(Path(path))


def _version(path: Path) -> tuple[str, int, int]:
    st = path.stat()
    return str(path), st.st_mtime_ns, st.st_size


def named_policy(folder: Path, name: str) -> Policy:
    """The policy file ``name`` of ``folder``; raises UnknownPolicy or InputError. Parsed once per version of the
    file (about 6 ms a request saved; the caller must not change the returned policy)."""
    names = policy_names(folder)
    if name not in names:
        raise UnknownPolicy(name, names)
    policy, problems = _checked_policy(*_version(folder / f"{name}.yaml"))
    if problems or policy is None:
        raise InputError(list(problems))
    return policy


def shipped_tariff(name: str) -> Tariff:
    """A tariff shipped in ``tariffs/`` by name; the API never reads other paths."""
    shipped = sorted(p.stem for p in TARIFF_DIR.glob("*.yaml"))
    stem = name.removesuffix(".yaml")
    if stem not in shipped:
        raise InputError([Problem(f"unknown tariff; shipped tariffs: {', '.join(shipped)}", "problem.tariff")])
    return _tariff_file(*_version(TARIFF_DIR / f"{stem}.yaml"))
