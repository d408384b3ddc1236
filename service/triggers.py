"""From telemetry to a new decision: after each ingested batch, compare the changed vehicles' state with the
latest decision of their depot (:mod:`engine.telemetry.triggers`); each trigger not seen before re-plans that
decision's problem from now with the telemetry states, under the same policy and strategy, and stores the new
decision (its ``trace.trigger`` says why) under the policy's mode. Fired trigger keys are kept in the audit log
(``telemetry.trigger``), so one condition makes one decision."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from engine.domain import PlanningProblem
from engine.policy.schema import Policy
from engine.results import Decision, TriggerRef
from engine.telemetry.state import StateView
from engine.telemetry.triggers import Trigger, detect, updated_problem
from service.decisions import plan_here, record_decision
from service.store import Store, StoredDecision
from service.telemetry_store import Outcome, TelemetryStore

ACTOR = "trigger"


@dataclass
class Replan:
    """A trigger and what the new decision is planned from."""

    trigger: Trigger
    based_on: StoredDecision
    problem: PlanningProblem
    policy: Policy


class TriggerWatch:
    """Detects triggers around an ingest and plans their decisions."""

    def __init__(self, store: Store, telemetry: TelemetryStore) -> None:
        self.store, self.telemetry = store, telemetry

    def active(self, tenant: str) -> bool:
        """Triggers need a decision to compare with: none for a tenant without decisions (ingest stays fast)."""
        return self.store.has_decisions(tenant)

    def ingest(self, tenant: str, payloads: list, now: datetime | None = None) -> tuple[list[Outcome], list[Replan]]:
        """``TelemetryStore.ingest`` with trigger detection around it: the outcomes and the re-plans to make."""
        now = now or datetime.now(UTC)
        if not self.active(tenant):
            return self.telemetry.ingest(tenant, payloads), []
        fleet = self.telemetry.fleet_vehicles(tenant)  # read once for the checks, both snapshots and the re-plans
        before: dict[str, StateView] = {}

        def snap(vehicles: set[str]) -> None:
            before.update(self.snapshot(tenant, vehicles, now, fleet))

        outcomes = self.telemetry.ingest(tenant, payloads, known=set(fleet), before_write=snap)
        changed = {o.vehicle_id for o in outcomes if o.status == "accepted" and o.vehicle_id}
        if not changed:
            return outcomes, []
        return outcomes, self.replans(tenant, before, self.snapshot(tenant, changed, now, fleet), now, fleet)

    def snapshot(
        self, tenant: str, vehicle_ids: Iterable[str], now: datetime, fleet: dict[str, dict] | None = None
    ) -> dict[str, StateView]:
        """Current state views of ``vehicle_ids`` (call before and after an ingest)."""
        return self.telemetry.views(tenant, sorted(set(vehicle_ids)), now, fleet=fleet)

    def replans(
        self,
        tenant: str,
        before: dict[str, StateView],
        after: dict[str, StateView],
        now: datetime,
        fleet: dict[str, dict] | None = None,
    ) -> list[Replan]:
        """New triggers (marked fired in the audit log) with the problem each re-plans."""
        out: list[Replan] = []
        fleet = self.telemetry.fleet_vehicles(tenant) if fleet is None else fleet
        bases: dict[str, tuple[StoredDecision, Decision, PlanningProblem] | None] = {}  # per depot, parsed once
        for vid, view in sorted(after.items()):
            vehicle = fleet.get(vid)
            if vehicle is None:
                continue
            depot = vehicle.get("depot_id", "")
            if depot not in bases:
                rows, _n = self.store.list_decisions(tenant, depot=depot, limit=1)
                bases[depot] = (
                    (
                        rows[0],
                        Decision.model_validate(rows[0].decision),
                        PlanningProblem.model_validate(rows[0].problem),
                    )
                    if rows
                    else None
                )
            if bases[depot] is None:
                continue
            base, decision, problem = bases[depot]
            for trig in detect(vid, before.get(vid), view, decision, problem, now):
                if self.store.audited(tenant, "telemetry.trigger", trig.key):
                    continue
                self.store.audit(tenant, ACTOR, "telemetry.trigger", trig.key, {"kind": trig.kind, **trig.detail})
                views = self.snapshot(tenant, [v.id for v in problem.vehicles], now, fleet)
                faulted = frozenset([trig.detail["charger_id"]]) if trig.kind == "charger_fault" else frozenset()
                out.append(
                    Replan(
                        trig, base, updated_problem(problem, views, now, faulted), Policy.model_validate(base.policy)
                    )
                )
        return out

    def record(
        self, tenant: str, replan: Replan, decision: Decision, raised: list[dict] | None = None
    ) -> StoredDecision:
        """Store the re-planned decision with its trigger in the trace (its new alerts appended to ``raised``)."""
        trigger = TriggerRef(
            kind=replan.trigger.kind,
            vehicle_id=replan.trigger.vehicle_id,
            key=replan.trigger.key,
            based_on=replan.based_on.decision_id,
            **replan.trigger.detail,
        )
        decision = decision.model_copy(update={"trace": decision.trace.model_copy(update={"trigger": trigger})})
        return record_decision(
            self.store,
            tenant,
            ACTOR,
            decision,
            replan.problem,
            replan.policy,
            replan.based_on.policy_name,
            replan.based_on.strategy,
            raised,
        )

    def plan_now(
        self,
        tenant: str,
        replans: list[Replan],
        time_limit_s: float | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> list[StoredDecision]:
        """Plan each replan in this process (CLI and MQTT ingest) and store it."""
        out = []
        for r in replans:
            decision = plan_here(r.problem, r.policy, r.based_on.strategy, time_limit_s, clock())
            out.append(self.record(tenant, r, decision))
        return out
