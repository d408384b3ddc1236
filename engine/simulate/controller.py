"""The engine in the loop: what production does between telemetry and chargers, on simulated time.

The controller sees only what production sees: SOC reports as they arrive (late, twice or never: folded by the
production rule of :mod:`engine.telemetry.state`, so a duplicate changes nothing), the depot gate (a vehicle is in
the yard or not), the chargers' connector states and the scenario's incidents from when they are known. From
those it builds the problem at the next slot boundary (:mod:`engine.simulate.observe`), watches the production
triggers (:func:`engine.telemetry.triggers.detect`: ``soc_below_target``, ``late_arrival``; and charger faults,
sessions stopped early, arrivals without a planned session, incidents, the daily plan at the start of the day),
plans with :func:`engine.decision.decide.decide` under the policy, and executes approved plans on the chargers
through the connector interface (:func:`engine.control.profiles.charger_schedules`). The policy's mode decides
execution: ``shadow`` never, ``assisted`` after the scenario's approval delay, ``automated`` at once.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from engine.alerts import Alert, decision_alerts
from engine.control.profiles import PROFILE_ID_BASE, charger_schedules, next_schedules
from engine.decision.decide import decide
from engine.domain import PlanningProblem
from engine.policy.schema import Policy
from engine.results import Decision, Plan
from engine.simulate.observe import Observer
from engine.simulate.world import World
from engine.telemetry.events import TelemetryEvent
from engine.telemetry.state import VehicleTelemetry, view
from engine.telemetry.triggers import LATE_MIN, detect


@dataclass
class Executed:
    """A plan in force on the chargers from ``minute``."""

    minute: float
    decision: Decision


@dataclass
class DecisionRow:
    """One decision the loop made."""

    minute: float
    triggers: list[str]
    decision: Decision
    problem: PlanningProblem
    executed_min: float | None = None


@dataclass
class Controller:
    """The loop of the module doc for one depot."""

    world: World
    observer: Observer
    policy: Policy | None
    strategy: str
    base_dir: Path | None
    mode: str = "automated"
    approval_delay_min: float = 0.0
    telemetry: dict[str, VehicleTelemetry] = field(default_factory=dict)
    decisions: list[DecisionRow] = field(default_factory=list)
    executed: list[Executed] = field(default_factory=list)
    pending: list[DecisionRow] = field(default_factory=list)
    fired: set[str] = field(default_factory=set)
    alerts: dict[str, Alert] = field(default_factory=dict)  # key -> the alert as first raised
    _problem: PlanningProblem | None = None
    _transactions: dict[str, str | None] = field(default_factory=dict)
    _queued: list[str] = field(default_factory=list)
    _planned: dict = field(default_factory=dict)  # vehicle -> its plan in the latest decision
    _expected: dict[str, float] = field(default_factory=dict)  # vehicle -> its return the latest decision assumed

    @property
    def plan(self) -> Plan | None:
        """The plan in force on the chargers."""
        return self.executed[-1].decision.plan if self.executed else None

    @property
    def latest(self) -> DecisionRow | None:
        """The latest decision, executed or not."""
        return self.decisions[-1] if self.decisions else None

    # inputs ------------------------------------------------------------------------------------------------------
    def receive(self, event: TelemetryEvent, minute: float) -> None:
        """A SOC report arrives; the production triggers look at the change."""
        held = self.telemetry.setdefault(event.vehicle_id, VehicleTelemetry(vehicle_id=event.vehicle_id))
        now = self.world.at(minute)
        before = view(held, now)
        if not held.apply(event):
            return  # a duplicate or an older report: the state is unchanged
        row = self.latest
        if row is not None and self._problem is not None:
            after = view(held, now)
            for t in detect(event.vehicle_id, before, after, row.decision, self._problem, now):
                self.flag(t.key)

    def flag(self, key: str) -> None:
        """Queue a trigger (each key fires once)."""
        if key not in self.fired:
            self.fired.add(key)
            self._queued.append(key)

    def watch(self, minute: float) -> None:
        """Triggers from the yard and the chargers at ``minute``."""
        world, now = self.world, self.world.at(minute)
        for cid, charger in sorted(world.chargers.items()):
            if charger.faulted:
                self.flag(f"charger_fault:{cid}:{world.fault_started.get(cid, 0):.0f}")
            elif (
                charger.vehicle and charger.transaction is None and charger.stop_reason not in (None, "EVDisconnected")
            ):
                self.flag(f"stopped_early:{cid}:{charger.last_transaction}")
        row = self.latest
        for car in world.cars.values():
            if row is not None and not car.at_depot:
                vp = self._planned.get(car.vehicle.id)
                late = vp is not None and any(
                    s.plug_in.timestamp() + LATE_MIN * 60 <= now.timestamp() < s.plug_out.timestamp()
                    for s in vp.sessions
                )
                if late and self._problem is not None:
                    away = view(self.telemetry.get(car.vehicle.id) or VehicleTelemetry(vehicle_id=car.vehicle.id), now)
                    away.at_depot = False
                    for t in detect(car.vehicle.id, None, away, row.decision, self._problem, now):
                        if t.kind == "late_arrival":
                            self.flag(t.key)
            expected = self._expected.get(car.vehicle.id)
            if (
                car.at_depot
                and car.arrived_min is not None
                and expected is not None
                and abs(car.arrived_min - expected) > LATE_MIN
            ):
                self.flag(f"arrival_off_plan:{car.vehicle.id}:{car.arrived_min:.0f}")

    # the loop ----------------------------------------------------------------------------------------------------
    def tick(self, minute: float) -> None:
        """Approve what is due, re-plan on queued triggers, and keep the chargers on the plan."""
        self.watch(minute)
        for row in [r for r in self.pending if r.minute + self.approval_delay_min <= minute]:
            self.pending.remove(row)
            if row is self.latest:  # a newer decision supersedes one still waiting
                self.execute(row, minute)
        if self._queued:
            triggers, self._queued = self._queued, []
            self.replan(minute, triggers)
        self.sync(minute)

    def sync(self, minute: float) -> None:
        """Send the plan's next schedule to every charger whose transaction started or ended since the last
        dispatch (production does this on StartTransaction / StopTransaction)."""
        changed = {cid for cid, c in self.world.chargers.items() if self._transactions.get(cid) != c.transaction}
        if changed and self.plan is not None:
            self.dispatch(minute, changed)

    def replan(self, minute: float, triggers: list[str]) -> DecisionRow:
        """A decision at ``minute`` for ``triggers``."""
        problem = self.observer.problem_at(minute, self.telemetry)
        tariff = self.observer.tariff_at(minute, problem)
        previous = self.plan
        decision = decide(
            problem,
            self.strategy,
            policy=self.policy,
            base=self.base_dir,
            tariff=tariff,
            created=self.world.at(minute),
            previous=previous,
        )
        self._problem = problem
        self._expected = {
            s.vehicle_id: self.world.minute(s.available_from)
            for s in problem.states
            if not s.at_depot and s.available_from is not None
        }
        self._planned = {vp.vehicle_id: vp for vp in decision.plan.vehicles}
        row = DecisionRow(minute, sorted(triggers), decision, problem)
        self.decisions.append(row)
        for alert in decision_alerts(
            decision, problem, self.world.at(minute), row.triggers, previous, self.mode, tariff
        ):
            self.alerts.setdefault(alert.key, alert)  # one condition, one alert
        if self.mode == "automated" or (self.mode == "assisted" and self.approval_delay_min <= 0):
            self.execute(row, minute)
        elif self.mode == "assisted":
            self.pending.append(row)
        return row

    def execute(self, row: DecisionRow, minute: float) -> None:
        """Put an approved decision on the chargers."""
        row.executed_min = minute
        self.executed.append(Executed(minute, row.decision))
        self.dispatch(minute, set(self.world.chargers))

    def dispatch(self, minute: float, chargers: set[str]) -> None:
        """Send each of ``chargers`` its next schedule of the plan in force (clearing ours where it has none), and
        start a transaction where the plan charges a plugged vehicle whose transaction was stopped."""
        plan, world, now = self.plan, self.world, self.world.at(minute)
        if plan is None:
            return
        electrics = {cid: c.electrics for cid, c in world.chargers.items()}
        running = {cid: c.transaction for cid, c in world.chargers.items() if c.transaction is not None}
        schedules = next_schedules(charger_schedules(plan, electrics, now, running))
        charging_now = {
            (s.charger_id, vp.vehicle_id) for vp in plan.vehicles for s in vp.sessions if s.plug_in <= now < s.plug_out
        }

        async def send() -> None:
            for cid in sorted(chargers):
                charger = world.chargers[cid]
                if cid in schedules:
                    await charger.set_schedule(schedules[cid])
                else:
                    for profile_id in (PROFILE_ID_BASE["tx"] + 1, PROFILE_ID_BASE["tx_default"] + 1):
                        await charger.clear_schedule(1, profile_id)
                if charger.vehicle and charger.transaction is None and (cid, charger.vehicle) in charging_now:
                    await charger.start_session(1, charger.vehicle)

        asyncio.run(send())
        self._transactions = {cid: c.transaction for cid, c in world.chargers.items()}
