"""Charger events feed decisions: a charger that goes offline, reports a fault or unavailability, rejects a profile
or sees its session stop early re-plans its depot.

Each event is audited once (``charger.event``, keyed by charger, kind and time), lowers or raises the charger's
reliability score, and re-plans the latest decision of the charger's depot from now with the telemetry states
(as a telemetry trigger does, :mod:`service.triggers`), the charger marked faulted unless the vehicle merely
left early, and every registered charger's score as its ``reliability`` (the planner gives sessions to the most
reliable free charger of a pool first). With a charger out of service the engine walks the policy's
``charger_unavailable`` fallback chain before its ``infeasible`` one (:mod:`engine.decision.fallbacks`). The new
decision carries ``trace.trigger`` (kind ``charger_unavailable``, the event, the decision it re-planned) and is
executed as any: at once in automated mode, after approval in assisted mode.

Reliability: ``(1 + completed) / (2 + completed + failures)`` over the charger's history, where a session that
ended normally counts as completed and a fault, an offline spell, a rejected profile or a session cut short by
the charger counts as a failure (a Laplace estimate: 0.5 for a new charger, towards the observed share).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Literal

from engine.domain import PlanningProblem
from engine.policy.schema import Policy
from engine.results import Decision
from engine.telemetry.triggers import Trigger, updated_problem
from service.ocpp.registry import ChargerRegistry, RegisteredCharger
from service.ocpp.sessions import ChargerSessions, Session
from service.store import Store
from service.triggers import Replan, TriggerWatch
from service.webhooks.delivery import WebhookSender

LOG = logging.getLogger("fleetcharge.ocpp")
EventKind = Literal["offline", "faulted", "unavailable", "rejected_profile", "stopped_early"]
CHARGER_FAILURES = ("offline", "faulted", "unavailable", "rejected_profile")
VEHICLE_REASONS = ("EVDisconnected", "Local", "Remote", "DeAuthorized")  # a stop the charger is not to blame for
ACTOR = "charger"

Replanner = Callable[[str, list[Replan]], Awaitable[None]]


class ChargerEvents:
    """Audits events, keeps reliability scores and re-plans (module doc)."""

    def __init__(
        self,
        store: Store,
        registry: ChargerRegistry,
        sessions: ChargerSessions,
        triggers: TriggerWatch,
        replan: Replanner,
        webhooks: WebhookSender | None = None,
    ) -> None:
        self.store, self.registry, self.sessions = store, registry, sessions
        self.triggers, self.replan, self.webhooks = triggers, replan, webhooks
        self.tasks: set[asyncio.Task] = set()
        self.closing = False  # the service is stopping: its chargers dropping off are no events

    def fire(self, charger: RegisteredCharger, kind: EventKind, detail: dict, at: datetime) -> None:
        """Handle an event in the background (the charger's message is answered at once)."""
        if not self.closing:
            self._background(self.handle(charger, kind, detail, at))

    def offline_unless_back(self, charger: RegisteredCharger, grace_s: float, back: Callable[[], bool]) -> None:
        """An ``offline`` event if the charger has not connected again ``grace_s`` [s] after it dropped (a
        network blip is no event), dated when it dropped."""
        dropped = datetime.now(UTC)

        async def later() -> None:
            await asyncio.sleep(grace_s)
            if not back() and not self.closing:
                await self.handle(charger, "offline", {"grace_s": grace_s}, dropped)

        if not self.closing:
            self._background(later())

    def close(self) -> None:
        """The service is stopping: no more events, pending ones cancelled."""
        self.closing = True
        for task in list(self.tasks):
            task.cancel()

    def _background(self, coro: Awaitable[object]) -> None:
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def handle(self, charger: RegisteredCharger, kind: EventKind, detail: dict, at: datetime) -> bool:
        """Audit, score and re-plan; False if this event was handled before."""
        key = f"charger_unavailable:{charger.charger_id}:{kind}:{at.astimezone(UTC).isoformat()}"
        try:
            first = await asyncio.to_thread(self._audit_once, charger, key, kind, detail)
            if not first:
                return False
            if self.webhooks is not None:
                data = {"charger_id": charger.charger_id, "depot_id": charger.depot_id, "event": kind, **detail}
                await self.webhooks.publish(charger.tenant, "charger.unavailable", key, data)
            scores = await asyncio.to_thread(self._score, charger)
            replan = await asyncio.to_thread(self._replan, charger, kind, key, detail, scores, at)
            if replan is not None:
                await self.replan(charger.tenant, [replan])
        except Exception:  # an event must not vanish: it is logged and audited already
            LOG.exception("charger event %s failed", key)
        return True

    def _audit_once(self, charger: RegisteredCharger, key: str, kind: str, detail: dict) -> bool:
        if self.store.audited(charger.tenant, "charger.event", key):
            return False
        self.store.audit(charger.tenant, ACTOR, "charger.event", key, {"kind": kind, **detail})
        return True

    def _score(self, charger: RegisteredCharger) -> dict[str, float]:
        """Every registered charger's reliability (this one's recomputed from its history)."""
        history = [s for s in self.sessions.of_tenant(charger.tenant) if s.charger_id == charger.charger_id]
        completed = sum(1 for s in history if s.stopped is not None and s.stop_reason in VEHICLE_REASONS)
        failures = sum(1 for s in history if s.stopped is not None and s.stop_reason not in VEHICLE_REASONS)
        prefix = f"charger_unavailable:{charger.charger_id}:"
        events = self.store.audited_resources(charger.tenant, "charger.event", prefix)
        failures += sum(1 for resource in events if resource[len(prefix) :].split(":", 1)[0] in CHARGER_FAILURES)
        self.registry.set_reliability(charger.charger_id, (1 + completed) / (2 + completed + failures))
        return {c.charger_id: c.reliability for c in self.registry.list(charger.tenant)}

    def _replan(
        self,
        charger: RegisteredCharger,
        kind: EventKind,
        key: str,
        detail: dict,
        scores: dict[str, float],
        at: datetime,
    ) -> Replan | None:
        if charger.depot_id is None:
            return None
        rows, _n = self.store.list_decisions(charger.tenant, depot=charger.depot_id, limit=1)
        if not rows:
            return None
        base = rows[0]
        problem = PlanningProblem.model_validate(base.problem)
        if charger.charger_id not in {c.id for c in problem.chargers}:
            return None
        now = datetime.now(UTC)
        views = self.triggers.snapshot(charger.tenant, [v.id for v in problem.vehicles], now)
        out = frozenset() if kind == "stopped_early" else frozenset([charger.charger_id])
        problem = updated_problem(problem, views, now, out)
        problem = problem.model_copy(
            update={
                "chargers": [
                    c.model_copy(update={"reliability": scores[c.id]}) if c.id in scores else c
                    for c in problem.chargers
                ]
            }
        )
        vehicle = planned_vehicle(Decision.model_validate(base.decision), charger.charger_id, at) or ""
        trigger = Trigger(
            "charger_unavailable", vehicle, key, {"charger_id": charger.charger_id, "event": kind, **detail}
        )
        return Replan(trigger, base, problem, Policy.model_validate(base.policy))

    async def stopped(self, charger: RegisteredCharger, session: Session) -> None:
        """A session ended: an ``stopped_early`` event if it ended more than a slot before the latest plan's
        plug-out for its vehicle on this charger (or the session planned there at the time), ``by`` the charger
        (a failure in its score) or the vehicle (it left: re-plan only)."""
        if session.stopped is None:
            return
        planned = await asyncio.to_thread(self._planned_plug_out, charger, session)
        if planned is None:
            return
        plug_out, slot = planned
        if plug_out - session.stopped <= slot:
            return
        by_charger = session.stop_reason not in VEHICLE_REASONS
        detail = {
            "transaction_id": session.transaction_id,
            "reason": session.stop_reason,
            "planned_plug_out": plug_out.isoformat(),
            "by": "charger" if by_charger else "vehicle",
        }
        self.fire(charger, "stopped_early", detail, session.stopped)

    def _planned_plug_out(self, charger: RegisteredCharger, session: Session) -> tuple[datetime, timedelta] | None:
        if charger.depot_id is None:
            return None
        rows, _n = self.store.list_decisions(charger.tenant, depot=charger.depot_id, limit=1)
        if not rows:
            return None
        plan = Decision.model_validate(rows[0].decision).plan
        stopped = session.stopped
        assert stopped is not None
        ends = [
            s.plug_out
            for vp in plan.vehicles
            for s in vp.sessions
            if s.charger_id == charger.charger_id
            and s.plug_out > stopped
            and (vp.vehicle_id == session.vehicle_id or s.plug_in <= stopped)
        ]
        return (min(ends), timedelta(minutes=plan.slot_minutes)) if ends else None


def planned_vehicle(decision: Decision, charger_id: str, at: datetime) -> str | None:
    """The vehicle the plan puts on the charger at ``at`` (or next after it)."""
    best: tuple[datetime, str] | None = None
    for vp in decision.plan.vehicles:
        for s in vp.sessions:
            if s.charger_id == charger_id and s.plug_out > at and (best is None or s.plug_in < best[0]):
                best = (s.plug_in, vp.vehicle_id)
    return None if best is None else best[1]
