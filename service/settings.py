"""Service settings in one place: defaults, a TOML settings file, the environment (one prefix, ``FLEETCHARGE_``) and
command-line flags, in that order of precedence from last to first; or passed to :func:`service.app.create_app`."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from engine.errors import InputError, Problem, did_you_mean
from service.shipped_paths import POLICIES_DIR


class Settings(BaseModel):
    """What the decision API needs to start."""

    db_url: str = Field("sqlite:///./fleetcharge.db", description="SQLAlchemy URL of the store.")
    policies_dir: Path = Field(POLICIES_DIR, description="Folder of named policy files (default: the shipped ones).")
    solver_workers: int = Field(2, ge=0, le=64, description="Solver processes; 0 solves in threads.")
    time_limit_s: float = Field(60.0, gt=0, le=3600, description="Solver time limit per decision [s].")
    max_body_bytes: int = Field(8 * 1024 * 1024, gt=0, description="Largest request body [bytes].")
    max_vehicle_slots: int = Field(500_000, gt=0, description="Largest problem: vehicles x slots [-].")
    max_sync_vehicle_slots: int = Field(
        50_000,
        gt=0,
        description="Largest problem planned while the request waits (vehicles x slots) [-]; larger ones must be "
        "sent with 'Prefer: respond-async'.",
    )
    jobs_db_url: str | None = Field(
        None,
        description="Where asynchronous plans are kept (a SQLAlchemy URL; '' turns them off). Default: a SQLite "
        "file beside a SQLite store (fleetcharge.db -> fleetcharge-jobs.db), the store's own PostgreSQL database, "
        "none for an in-memory store.",
    )
    requests_per_key_s: float = Field(50.0, gt=0, description="Sustained requests per API key [1/s].")
    burst_per_key: int = Field(200, ge=1, description="Requests a key may send at once beyond its rate [-].")
    failed_auth_per_client_s: float = Field(
        2.0, gt=0, description="Sustained requests with a bad key per client address [1/s]."
    )
    failed_auth_burst: int = Field(20, ge=1, description="Bad-key requests a client may send at once [-].")
    log_format: Literal["json", "text"] = Field(
        "json", description="Log lines as JSON objects with the request id (json) or as plain text (text)."
    )
    ocpp_heartbeat_s: int = Field(
        300, ge=1, le=86_400, description="Heartbeat interval a charger is given at boot [s]."
    )
    ocpp_call_timeout_s: float = Field(
        30.0, gt=0, le=600, description="How long a charger may take to answer one of our calls [s]."
    )
    ocpp_offline_grace_s: float = Field(
        120.0, gt=0, le=86_400, description="How long a dropped charger has to connect again before it is offline [s]."
    )
    reconcile_every_s: float = Field(
        900.0,
        ge=0,
        le=86_400,
        description="How often the last 24 h are reconciled and new drifts audited [s]; 0 = never.",
    )
    ocpp_command_deadline_s: float = Field(
        900.0, gt=0, le=86_400, description="How long a charger command is retried before it expires [s]."
    )
    webhook_timeout_s: float = Field(
        10.0, gt=0, le=300, description="How long a webhook subscriber may take to answer [s]."
    )
    webhook_backoff_s: float = Field(
        1.0, gt=0, le=3600, description="Wait before a webhook's first retry; it doubles per attempt up to 1 h [s]."
    )
    dask_scheduler: str | None = Field(
        None,
        description="Address of a Dask scheduler (e.g. 'tcp://10.0.0.5:8786'): depot groups are solved on its "
        "workers (one thread each) instead of the local solver processes.",
    )

    @classmethod
    def from_env(cls, config: str | Path | None = None, **overrides: object) -> Settings:
        """Settings in one place, each from the first of: ``overrides`` (command-line flags), the environment
        (``FLEETCHARGE_<SETTING>``, e.g. ``FLEETCHARGE_SOLVER_WORKERS``; the stores ``FLEETCHARGE_DB`` and
        ``FLEETCHARGE_JOBS_DB``), the settings file (``config`` or ``FLEETCHARGE_CONFIG``: TOML, the settings by
        name at the top or under ``[fleetcharge]``), the defaults. A bad value or an unknown name raises
        InputError naming where it came from."""
        values: dict[str, object] = {}
        origin: dict[str, str] = {}
        path = config or os.environ.get("FLEETCHARGE_CONFIG")
        if path:
            for name, value in read_settings_file(Path(path)).items():
                values[name], origin[name] = value, f"{path}: {name}"
        for name in cls.model_fields:
            env = env_name(name)
            if env in os.environ:
                values[name], origin[name] = os.environ[env], env
        for name, value in overrides.items():
            if value is not None:
                values[name], origin[name] = value, name
        for key in ("db_url", "jobs_db_url"):
            if values.get(key):
                values[key] = database_url(str(values[key]))
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            problems = []
            for err in exc.errors():
                name = str(err["loc"][0]) if err["loc"] else ""
                problems.append(Problem(f"{origin.get(name, name)}: {err['msg']}", name))
            raise InputError(problems) from None

    def public(self) -> dict[str, object]:
        """The settings as a start-up line may show them: passwords in store URLs masked."""
        out = self.model_dump(mode="json")
        for key in ("db_url", "jobs_db_url"):
            if out.get(key):
                out[key] = masked_url(str(out[key]))
        out["job_store"] = masked_url(self.job_store) if self.job_store else None
        return out

    @property
    def job_store(self) -> str | None:
        """The job store's URL (``jobs_db_url``, or derived from the decision store's); None: no asynchronous
        plans."""
        if self.jobs_db_url is not None:
            return self.jobs_db_url or None
        return job_store_url(self.db_url)


ENV_NAMES = {"db_url": "FLEETCHARGE_DB", "jobs_db_url": "FLEETCHARGE_JOBS_DB"}  # the others: FLEETCHARGE_<NAME>


def env_name(setting: str) -> str:
    """The environment variable of a setting: ``FLEETCHARGE_`` and its name in capitals (the stores: ``_DB``)."""
    return ENV_NAMES.get(setting, f"FLEETCHARGE_{setting.upper()}")


def read_settings_file(path: Path) -> dict[str, object]:
    """A TOML settings file: the settings by name, at the top or under ``[fleetcharge]``. InputError naming the
    file for a file that is missing or not TOML, and for an unknown name (with a did-you-mean)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError([Problem(f"cannot read the settings file ({exc.strerror})", "", str(path))]) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError([Problem(f"not TOML: {exc}", "", str(path))]) from None
    table = data.get("fleetcharge", data)
    known = list(Settings.model_fields)
    problems = []
    for name in table:
        if name not in known:
            hint = "; " + (did_you_mean(name, known) or f"settings: {', '.join(known)}")
            problems.append(Problem(f"unknown setting {name!r}{hint}", name, str(path)))
    if problems:
        raise InputError(problems)
    return dict(table)


def masked_url(url: str) -> str:
    """``scheme://user:***@host/db`` for a URL with a password; other URLs unchanged."""
    head, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    credentials, _, place = rest.rpartition("@")
    user, colon, _password = credentials.partition(":")
    return f"{head}://{user}{':***' if colon else ''}@{place}"


def database_url(value: str) -> str:
    """A SQLAlchemy URL from a URL or a bare SQLite file path (``./fleetcharge.db``)."""
    if "://" in value:
        if value.startswith("postgresql://"):
            return "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value
    return f"sqlite:///{value}"


def job_store_url(db_url: str) -> str | None:
    """Where jobs are kept for a decision store at ``db_url``: a SQLite file beside it, the same PostgreSQL
    database, none for an in-memory store (jobs would not outlive the process)."""
    if db_url.startswith("sqlite"):
        path = db_url.split("///", 1)[1] if "///" in db_url else ""
        if path in ("", ":memory:"):
            return None
        stem = path[:-3] if path.endswith(".db") else path
        return f"sqlite:///{stem}-jobs.db"
    if db_url.startswith("postgresql+psycopg://"):
        return "postgresql://" + db_url.removeprefix("postgresql+psycopg://")
    return db_url
