"""Service settings, from the environment (``FLEETCHARGE_*``) or passed to :func:`service.app.create_app`."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, Field

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
    dask_scheduler: str | None = Field(
        None,
        description="Address of a Dask scheduler (e.g. 'tcp://10.0.0.5:8786'): depot groups are solved on its "
        "workers (one thread each) instead of the local solver processes.",
    )

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Settings from ``FLEETCHARGE_DB`` and friends; ``overrides`` win."""
        env = {
            "db_url": os.environ.get("FLEETCHARGE_DB"),
            "solver_workers": os.environ.get("FLEETCHARGE_SOLVER_WORKERS"),
            "time_limit_s": os.environ.get("FLEETCHARGE_TIME_LIMIT_S"),
            "dask_scheduler": os.environ.get("FLEETCHARGE_DASK_SCHEDULER"),
            "jobs_db_url": os.environ.get("FLEETCHARGE_JOBS_DB"),
            "max_sync_vehicle_slots": os.environ.get("FLEETCHARGE_MAX_SYNC_VEHICLE_SLOTS"),
            "requests_per_key_s": os.environ.get("FLEETCHARGE_REQUESTS_PER_KEY_S"),
            "burst_per_key": os.environ.get("FLEETCHARGE_BURST_PER_KEY"),
        }
        values = {k: v for k, v in env.items() if v is not None}
        values.update({k: v for k, v in overrides.items() if v is not None})
        for key in ("db_url", "jobs_db_url"):
            if values.get(key):
                values[key] = database_url(str(values[key]))
        return cls.model_validate(values)

    @property
    def job_store(self) -> str | None:
        """The job store's URL (``jobs_db_url``, or derived from the decision store's); None: no asynchronous
        plans."""
        if self.jobs_db_url is not None:
            return self.jobs_db_url or None
        return job_store_url(self.db_url)


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
