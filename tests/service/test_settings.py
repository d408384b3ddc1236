"""Settings in one place (issue 18.7): defaults < settings file < environment (FLEETCHARGE_) < flags, every bad
value named where it came from, shown at start without passwords."""

from __future__ import annotations

import pytest

from engine.errors import InputError
from service.settings import Settings, env_name, masked_url


@pytest.fixture(autouse=True)
def clean_env(monkeypatch) -> None:
    for name in Settings.model_fields:
        monkeypatch.delenv(env_name(name), raising=False)
    monkeypatch.delenv("FLEETCHARGE_CONFIG", raising=False)


def test_file_then_environment_then_flags(tmp_path, monkeypatch) -> None:
    config = tmp_path / "fleetcharge.toml"
    config.write_text('[fleetcharge]\nsolver_workers = 3\ntime_limit_s = 30\ndb_url = "./from-file.db"\n')
    s = Settings.from_env(config)
    assert (s.solver_workers, s.time_limit_s, s.db_url) == (3, 30.0, "sqlite:///./from-file.db")
    monkeypatch.setenv("FLEETCHARGE_TIME_LIMIT_S", "45")
    monkeypatch.setenv("FLEETCHARGE_DB", "postgresql://app:secret@db.local/fleet")
    s = Settings.from_env(config, solver_workers=1)
    assert (s.solver_workers, s.time_limit_s) == (1, 45.0)
    assert s.db_url == "postgresql+psycopg://app:secret@db.local/fleet"
    monkeypatch.setenv("FLEETCHARGE_CONFIG", str(config))  # the file named by the environment
    assert Settings.from_env().time_limit_s == 45.0 and Settings.from_env().solver_workers == 3


def test_every_setting_has_its_variable_with_the_one_prefix(monkeypatch) -> None:
    monkeypatch.setenv("FLEETCHARGE_MAX_SYNC_VEHICLE_SLOTS", "1234")
    monkeypatch.setenv("FLEETCHARGE_LOG_FORMAT", "text")
    s = Settings.from_env()
    assert (s.max_sync_vehicle_slots, s.log_format) == (1234, "text")
    assert all(env_name(name).startswith("FLEETCHARGE_") for name in Settings.model_fields)


def test_an_unknown_name_in_the_file_is_named_with_a_did_you_mean(tmp_path) -> None:
    config = tmp_path / "fleetcharge.toml"
    config.write_text("solver_worker = 3\n")
    with pytest.raises(InputError, match=r"unknown setting 'solver_worker'; did you mean 'solver_workers'\?") as err:
        Settings.from_env(config)
    assert err.value.problems[0].source == str(config)
    config.write_text("solver_workers = [\n")
    with pytest.raises(InputError, match="not TOML"):
        Settings.from_env(config)


def test_a_bad_value_is_named_where_it_came_from(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("FLEETCHARGE_SOLVER_WORKERS", "many")
    with pytest.raises(InputError, match=r"FLEETCHARGE_SOLVER_WORKERS: Input should be a valid integer"):
        Settings.from_env()
    monkeypatch.delenv("FLEETCHARGE_SOLVER_WORKERS")
    config = tmp_path / "fleetcharge.toml"
    config.write_text("time_limit_s = -1\n")
    with pytest.raises(InputError, match=rf"{config}: time_limit_s: Input should be greater than 0"):
        Settings.from_env(config)


def test_passwords_are_not_shown() -> None:
    s = Settings(db_url="postgresql+psycopg://app:secret@db.local/fleet")
    shown = s.public()
    assert shown["db_url"] == "postgresql+psycopg://app:***@db.local/fleet"
    assert shown["job_store"] == "postgresql://app:***@db.local/fleet"
    assert "secret" not in str(shown)
    assert masked_url("sqlite:///./fleetcharge.db") == "sqlite:///./fleetcharge.db"


def test_the_readme_names_every_settings_variable() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert [n for n in Settings.model_fields if f"`{env_name(n)}`" not in readme] == []
