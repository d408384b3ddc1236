"""Everything random in a simulation, drawn once from the seed before the first event.

The draws do not depend on what the controller does, so every strategy and policy meets the same late returns,
the same faults and the same lost telemetry, and the same seed gives the same world: ``numpy``'s PCG64 generator,
one stream per kind of draw (``default_rng([seed, stream])``), so adding a draw of one kind never shifts another.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.simulate.scenario import Scenario

DAY_MIN = 1440.0
ENERGY_FACTOR_FLOOR = 0.3  # a route never uses less than this share of its forecast [-]
STREAMS = {"returns": 1, "energy": 2, "aborts": 3, "faults": 4, "reports": 5, "arrival_reports": 6, "firmware": 7}


@dataclass(frozen=True)
class ReportFate:
    """What happens to one SOC report: ``copies`` sent (0: lost), each ``delay_min`` [min] late."""

    copies: int
    delay_min: float


@dataclass(frozen=True)
class Draws:
    """The world's randomness for ``days`` days of ``vehicles`` and ``chargers`` (in the problem's order)."""

    return_delay_min: np.ndarray  # [days + 1, V]: return on day d (day 0: the first afternoon) [min]
    energy_factor: np.ndarray  # [days, V]: the route leaving on the morning after day d [-]
    abort_share: np.ndarray  # [days + 1, V]: a session after the return of day d stops at this share (NaN: no)
    charger_faults: list[tuple[str, float, float]]  # charger, from, to [sim min]
    firmware: tuple[tuple[str, ...], ...]  # per firmware_fault incident (in file order): the chargers it hits
    report_copies: np.ndarray  # [V, K] periodic reports
    report_delay: np.ndarray  # [V, K] [min]
    arrival_copies: np.ndarray  # [days + 1, V]
    arrival_delay: np.ndarray  # [days + 1, V] [min]

    def report(self, vehicle: int, k: int) -> ReportFate:
        """The fate of the ``k``-th periodic report of a vehicle."""
        k = k % self.report_copies.shape[1]
        return ReportFate(int(self.report_copies[vehicle, k]), float(self.report_delay[vehicle, k]))

    def arrival(self, vehicle: int, day: int) -> ReportFate:
        """The fate of the report a vehicle sends on its return of ``day``."""
        return ReportFate(int(self.arrival_copies[day, vehicle]), float(self.arrival_delay[day, vehicle]))


def _rng(seed: int, stream: str) -> np.random.Generator:
    return np.random.default_rng([seed, STREAMS[stream]])


def _fates(rng: np.random.Generator, shape: tuple[int, ...], scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    t = scenario.telemetry
    u_missing, u_duplicate, u_jitter = rng.random(shape), rng.random(shape), rng.random(shape)
    copies = np.where(u_missing < t.missing_share, 0, np.where(u_duplicate < t.duplicate_share, 2, 1))
    return copies, t.delay_min + t.jitter_min * u_jitter


def draw(
    scenario: Scenario, vehicles: int, chargers: list[str], charger_kinds: list[str], days: int, seed: int
) -> Draws:
    """The draws of the module doc."""
    r, e, c = scenario.returns, scenario.energy, scenario.chargers
    delays = _rng(seed, "returns").normal(r.mean_min, r.sd_min, size=(days + 1, vehicles))
    factors = np.maximum(_rng(seed, "energy").normal(e.mean, e.sd, size=(days, vehicles)), ENERGY_FACTOR_FLOOR)
    rng = _rng(seed, "aborts")
    u_abort, at = rng.random((days + 1, vehicles)), rng.uniform(0.1, 0.9, (days + 1, vehicles))
    abort = np.where(u_abort < c.session_abort_share, at, np.nan)
    faults: list[tuple[str, float, float]] = []
    rng = _rng(seed, "faults")
    u_fault, start = rng.random((days, len(chargers))), rng.uniform(0, DAY_MIN, (days, len(chargers)))
    for d in range(days):
        for i, charger in enumerate(chargers):
            if u_fault[d, i] < c.fault_share_per_day:
                begin = d * DAY_MIN + float(start[d, i])
                faults.append((charger, begin, begin + c.repair_hours * 60))
    rng = _rng(seed, "firmware")
    firmware = []
    for inc in (i for i in scenario.incidents if i.kind == "firmware_fault"):
        pool = [ch for ch, kind in zip(chargers, charger_kinds, strict=True) if inc.charger_kind in (None, kind)]
        count = round((inc.share or 0.0) * len(pool))
        hit = sorted(rng.choice(len(pool), size=count, replace=False).tolist()) if count else []
        firmware.append(tuple(pool[i] for i in hit))
    per_day = max(1, int(DAY_MIN // scenario.telemetry.every_min))
    copies, delay = _fates(_rng(seed, "reports"), (vehicles, per_day * (days + 1)), scenario)
    a_copies, a_delay = _fates(_rng(seed, "arrival_reports"), (days + 1, vehicles), scenario)
    return Draws(delays, factors, abort, faults, tuple(firmware), copies, delay, a_copies, a_delay)
