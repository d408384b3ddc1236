"""A simulation scenario: which depot, how its days go wrong, and when (``examples/scenarios/*.yaml``).

Everything random is a distribution here and drawn from the seed (:mod:`engine.simulate.draws`):

- ``returns``: how late a vehicle comes back from its route, ``normal(mean_min, sd_min)`` [min] (negative: early);
- ``energy``: the route's real energy over its forecast (P50), ``normal(mean, sd)`` [-], at least 0.3;
- ``telemetry``: a SOC report arrives ``delay_min`` [min] late (plus ``jitter_min`` [min] uniform), is sent twice
  with probability ``duplicate_share`` and never with probability ``missing_share``;
- ``chargers``: each charger faults on a day with probability ``fault_share_per_day`` and is repaired after
  ``repair_hours`` [h]; a session stops early (the charger ends it, the vehicle stays plugged) with probability
  ``session_abort_share``, after a uniform share of its dwell;
- ``incidents``: one-off events on a day at a local time: ``price_spike`` (``price_usd_per_kwh`` added to every
  kWh for ``hours``, known ``notice_hours`` ahead), ``grid_outage`` (the depot loses ``share`` of its grid
  connection for ``hours``), ``firmware_fault`` (``share`` of the chargers, of ``charger_kind`` when given, fault
  for ``hours``), ``extra_trip`` (``vehicle`` must leave at the time for ``hours`` and ``energy_kwh``, announced
  ``notice_hours`` ahead).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from engine.domain import PlanningProblem
from engine.errors import InputError, Problem, from_validation_error
from engine.io.yaml_lines import load_yaml_with_lines
from engine.shipped import DEMO_DEPOT, shipped_dir
from engine.tariffs import Tariff

Share = Annotated[float, Field(ge=0.0, le=1.0)]
DEMO = "demo"  # the shipped demo depot (examples/demo_depot)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Returns(_Strict):
    """How late vehicles come back [min]."""

    mean_min: float = Field(0.0, ge=-240, le=600)
    sd_min: float = Field(0.0, ge=0, le=600)


class Energy(_Strict):
    """Real route energy over its forecast P50 [-]."""

    mean: float = Field(1.0, gt=0, le=3)
    sd: float = Field(0.0, ge=0, le=1)


class Telemetry(_Strict):
    """What happens to SOC reports on their way."""

    delay_min: float = Field(0.0, ge=0, le=1440, description="Fixed delay of every report [min].")
    jitter_min: float = Field(0.0, ge=0, le=1440, description="Extra delay, uniform in [0, jitter] [min].")
    duplicate_share: Share = 0.0
    missing_share: Share = 0.0
    every_min: float = Field(60.0, ge=5, le=1440, description="Report interval at the depot [min].")


class ChargerFaults(_Strict):
    """Random charger faults and early session stops."""

    fault_share_per_day: Share = 0.0
    repair_hours: float = Field(4.0, gt=0, le=240)
    session_abort_share: Share = 0.0


class Incident(_Strict):
    """A one-off event (module doc)."""

    kind: Literal["price_spike", "grid_outage", "firmware_fault", "extra_trip"]
    day: int = Field(ge=0, le=365, description="Simulation day (0 = the first).")
    at: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="Local time HH:MM.")
    hours: float = Field(gt=0, le=240)
    notice_hours: float = Field(0.0, ge=0, le=48)
    price_usd_per_kwh: float | None = Field(None, gt=0, le=100)
    share: Share | None = None
    charger_kind: Literal["AC", "DC"] | None = None
    vehicle: str | None = None
    energy_kwh: float | None = Field(None, gt=0, le=2000)
    distance_km: float = Field(0.0, ge=0, le=2000)

    @model_validator(mode="after")
    def _fields_of_kind(self) -> Incident:
        needs = {
            "price_spike": ("price_usd_per_kwh",),
            "grid_outage": ("share",),
            "firmware_fault": ("share",),
            "extra_trip": ("vehicle", "energy_kwh"),
        }[self.kind]
        missing = [name for name in needs if getattr(self, name) is None]
        if missing:
            raise ValueError(f"a {self.kind} needs {', '.join(missing)}")
        return self

    @property
    def minute_of_day(self) -> int:
        """Local minutes after midnight [min]."""
        hh, mm = self.at.split(":")
        return int(hh) * 60 + int(mm)


class Scenario(_Strict):
    """A depot and what goes wrong in its days."""

    name: str = Field(min_length=1)
    description: str = ""
    depot: str = Field(DEMO, description="Problem folder or file (relative to the scenario file), or 'demo'.")
    days: int = Field(1, ge=1, le=366)
    seed: int = Field(0, ge=0)
    approval_delay_min: float = Field(0.0, ge=0, le=1440, description="Assisted mode: until a plan is approved.")
    returns: Returns = Returns()
    energy: Energy = Energy()
    telemetry: Telemetry = Telemetry()
    chargers: ChargerFaults = ChargerFaults()
    incidents: list[Incident] = Field(default_factory=list)


def load_scenario(path: str | Path) -> Scenario:
    """A scenario file, or InputError naming file, line and field."""
    p = Path(path)
    if not p.is_file():
        raise InputError([Problem("no such scenario file", "", str(p))])
    data, locations = load_yaml_with_lines(p)
    if not isinstance(data, dict):
        raise InputError([Problem("a scenario file must hold a mapping", "", str(p), 1, 1)])
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise from_validation_error(exc, str(p), locations, model=Scenario) from None


def depot_path(scenario: Scenario, scenario_file: Path | None) -> Path:
    """Where the scenario's depot is."""
    if scenario.depot == DEMO:
        checkout = Path(__file__).resolve().parents[2] / "examples" / "demo_depot"
        return checkout if checkout.is_dir() else shipped_dir(DEMO_DEPOT)  # installed: the package data
    base = scenario_file.parent if scenario_file is not None else Path.cwd()
    return (base / scenario.depot).resolve()


@dataclass(frozen=True)
class ScenarioInputs:
    """A scenario with what it runs on: its depot problem, the depot's tariff and the folder the depot's files
    are relative to."""

    scenario: Scenario
    problem: PlanningProblem
    tariff: Tariff
    base: Path


def scenario_inputs(path: str | Path) -> ScenarioInputs:
    """Load a scenario file, its depot (:func:`depot_path`) and the tariff the depot (else its problem) names."""
    from engine.io.problem_files import load_problem
    from engine.tariffs import load_tariff, resolve_tariff_path

    scenario = load_scenario(path)
    folder = depot_path(scenario, Path(path))
    problem = load_problem(folder)
    base = folder if folder.is_dir() else folder.parent
    tariff = load_tariff(
        resolve_tariff_path(problem.depots[0].tariff or problem.tariff, base), problem.depots[0].timezone
    )
    return ScenarioInputs(scenario, problem, tariff, base)
