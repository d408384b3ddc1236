"""Executing a decision: its plan's schedules sent to the chargers that follow it, as durable commands.

A decision is executed when it is made in ``automated`` mode or approved in ``assisted`` mode; a ``shadow`` one
never is. Its plan's sessions on registered chargers (the charger's OCPP identity is the problem's charger id)
become schedules (:func:`engine.control.profiles.charger_schedules`): a TxProfile bound to the transaction the
charger reports running, a TxDefaultProfile ahead of an arrival; per charger the earliest session's schedule is
sent now, and our TxDefaultProfile still ahead on a charger the new plan leaves without one is cleared (a re-plan
moved that session): one batch of durable commands (:mod:`service.ocpp.command_batches`). Every dispatch is
audited with its command ids.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from engine.control.profiles import ChargerSchedule, charger_schedules, next_schedules
from engine.results import Decision
from service.decisions import ReviewRefused, reviewable
from service.ocpp.command_batches import given, submit_batch
from service.ocpp.commands import Command, CommandResult, CommandRunner
from service.ocpp.sessions import ChargerSessions
from service.store import Store, StoredDecision, review_state

LOG = logging.getLogger("fleetcharge.ocpp")


class CommandsUnavailable(RuntimeError):
    """The service runs without a job store, so it cannot keep commands durable (the API answers 503)."""


@dataclass(frozen=True)
class Dispatched:
    """A command sent for a decision."""

    command_id: str
    charger_id: str
    vehicle_id: str
    purpose: str
    start: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "command_id": self.command_id,
            "charger_id": self.charger_id,
            "vehicle_id": self.vehicle_id,
            "purpose": self.purpose,
            "start": self.start.isoformat(),
        }


def executable(store: Store, tenant: str, decision_id: str) -> StoredDecision:
    """The decision if it may be executed now; :class:`ReviewRefused` for a shadow one or an assisted one not
    approved."""
    stored = reviewable(store, tenant, decision_id, "executed")
    if stored.mode == "assisted" and review_state(store.reviews_of(tenant, decision_id)) != "approved":
        raise ReviewRefused(f"decision {decision_id!r} is in assisted mode: approve it before it is executed")
    return stored


async def dispatch(
    runner: CommandRunner | None, store: Store, tenant: str, actor: str, stored: StoredDecision
) -> list[Dispatched]:
    """Send the decision's schedules (module doc); the commands sent, audited as ``decision.dispatch``."""
    if runner is None:
        raise CommandsUnavailable("charger commands need the job store (settings: jobs_db_url)")
    central = runner.central
    decision = Decision.model_validate(stored.decision)
    registered = await asyncio.to_thread(central.registry.list, tenant)
    running = await asyncio.to_thread(central.sessions.running, tenant)
    schedules = charger_schedules(
        decision.plan,
        {c.charger_id: c.electrics for c in registered},
        datetime.now(UTC),
        {charger: s.transaction_id for charger, s in running.items()},
    )
    nexts = next_schedules(schedules)
    commands = [
        Command(
            tenant=tenant,
            decision_id=stored.decision_id,
            charger_id=schedule.charger_id,
            kind="set_schedule",
            schedule=schedule,
            deadline=runner.deadline(),
        )
        for schedule in nexts.values()
    ]
    for old in await asyncio.to_thread(stale_defaults, central.sessions, tenant, nexts, datetime.now(UTC)):
        commands.append(
            Command(
                tenant=tenant,
                decision_id=stored.decision_id,
                charger_id=old.charger_id,
                kind="clear",
                cleared=old,
                deadline=runner.deadline(),
            )
        )
    await submit_batch(commands)
    sent = [
        Dispatched(c.command_id, c.charger_id, s.vehicle_id, s.purpose if c.kind != "clear" else "clear", s.start)
        for c in commands
        if (s := c.schedule or c.cleared) is not None
    ]
    detail = {"commands": [d.command_id for d in sent], "chargers": [d.charger_id for d in sent]}
    await asyncio.to_thread(store.audit, tenant, actor, "decision.dispatch", f"decision:{stored.decision_id}", detail)
    return sent


def stale_defaults(
    sessions: ChargerSessions, tenant: str, nexts: dict[str, ChargerSchedule], now: datetime
) -> list[ChargerSchedule]:
    """Our TxDefaultProfiles still ahead on chargers the new plan gives none: a re-plan moved their session, and
    left in place they would limit whichever vehicle plugs in there then. Per charger the latest one accepted,
    unless cleared since."""
    latest: dict[str, tuple[str, ChargerSchedule]] = {}
    for row in sessions.schedules(tenant):
        s = ChargerSchedule.model_validate(row["schedule"])
        if s.purpose == "tx_default" and row["answer"] in ("accepted", "cleared"):
            latest[s.charger_id] = (row["answer"], s)
    return [
        s
        for charger, (answer, s) in sorted(latest.items())
        if answer == "accepted"
        and s.start + timedelta(seconds=s.duration_s) > now
        and (charger not in nexts or nexts[charger].purpose != "tx_default")
    ]


async def commands_of(tenant: str, decision_id: str) -> list[dict[str, Any]]:
    """A decision's commands in the order given, with their state and, when done, their result."""
    out = []
    for g in await given(tenant, decision_id):
        command, result, own = g.command, g.result, g.own
        state = "failed" if g.batch_failed else "running"
        updated = result.finished if result is not None else None
        if own is not None:  # continued (or given) as its own workflow: its status is the command's
            result = CommandResult.model_validate_json(own.output) if own.status == "SUCCESS" and own.output else None
            state = "failed" if own.status == "ERROR" else "running"
            updated = datetime.fromtimestamp((own.updated_at or own.created_at or 0) / 1000, UTC)  # whole seconds
            if result is not None and result.finished is not None:
                updated = result.finished
        out.append(
            {
                "command_id": command.command_id,
                "state": "done" if result is not None else state,
                "result": None if result is None else result.model_dump(),
                "updated": None if updated is None else updated.isoformat(),
            }
        )
    return out


async def execute_if_due(runner: CommandRunner | None, store: Store, tenant: str, actor: str, decision_id: str) -> None:
    """Dispatch a decision that has just become executable (recorded in automated mode, or approved) when the
    service can send commands; a service without a job store leaves it to a later dispatch. The decision or
    approval stands whatever happens here: a dispatch that fails is logged and audited
    (``decision.dispatch_failed``, with the error), and ``POST /v1/decisions/{id}/dispatch`` sends it again."""
    if runner is None:
        return
    try:
        stored = await asyncio.to_thread(executable, store, tenant, decision_id)
    except ReviewRefused:
        return
    try:
        await dispatch(runner, store, tenant, actor, stored)
    except Exception as exc:
        LOG.exception("dispatch of decision %s failed", decision_id)
        detail = {"error": f"{type(exc).__name__}: {exc}"}
        await asyncio.to_thread(
            store.audit, tenant, actor, "decision.dispatch_failed", f"decision:{decision_id}", detail
        )
