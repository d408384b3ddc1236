"""Durable charger commands: every command to a charger is a DBOS workflow with an idempotency key, retried with
backoff until it is answered or its deadline passes, and surviving a restart of the service.

The workflow id is the command id (``<tenant tag>/cmd/<decision>/<charger>/<kind>``): the same command given twice
is one workflow, never a second send. Each attempt is a workflow step, checkpointed when it ends; a step cut off by
a crash runs again after the restart, so a command may reach the charger twice, which is harmless by construction:
a charging profile with the same id, purpose and stack level replaces the one before (OCPP 1.6 section 3.13.2,
2.0.1 K01), and a remote start is skipped when the charger already reports a transaction running.

An attempt, on the app's event loop (where the charger's connection lives):

- the charger is not connected, or does not answer within ``ocpp_call_timeout_s``: ``retry`` after
  ``min(BACKOFF_S * 2**attempt, MAX_BACKOFF_S)`` seconds (a durable sleep), until ``deadline``; then ``expired``;
- the charger answers: its answer is the command's result (``accepted``, ``rejected``, ``not_supported``,
  ``error``). An accepted schedule is read back with GetCompositeSchedule: ``confirmed`` when the charger's own
  composite schedule matches ours slot by slot, ``differs`` when it does not (the detail says where).

A decision's commands make their first attempt together, in one batch (:mod:`service.ocpp.command_batches`); a
command the batch leaves for later continues here from attempt 1 under its own id.

The commands share the DBOS instance of the job runner (:mod:`service.jobs`): they need its job store.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from dbos import DBOS, SetWorkflowID
from pydantic import AwareDatetime, Field

from engine.control.connector import CompositeSchedule
from engine.control.profiles import ChargerSchedule
from engine.domain import _Model
from service.ocpp.central import CentralSystem
from service.ocpp.sessions import SentSchedule

BACKOFF_S = 1.0  # first wait before a retry [s]
MAX_BACKOFF_S = 60.0  # longest wait between attempts [s]
CommandKind = Literal["set_schedule", "clear", "start", "stop"]
Outcome = Literal["accepted", "confirmed", "differs", "rejected", "not_supported", "error", "expired"]


class Command(_Model):
    """One command to one charger."""

    tenant: str
    decision_id: str
    charger_id: str
    kind: CommandKind
    schedule: ChargerSchedule | None = None
    id_tag: str | None = None
    transaction_id: str | None = None
    cleared: ChargerSchedule | None = Field(None, description="The schedule a 'clear' removes from the charger.")
    deadline: AwareDatetime = Field(description="After this no attempt is made: the command expires.")

    @property
    def command_id(self) -> str:
        """The idempotency key: tenant, decision, charger, kind and, for a schedule or a clear, the purpose and
        start of the schedule it sends or removes (one decision may clear two profiles of one charger in turn)."""
        what = self.kind
        named = self.schedule or self.cleared
        if named is not None:
            what += f"/{named.purpose}-{int(named.start.timestamp())}"
        return f"{command_prefix(self.tenant, self.decision_id)}{self.charger_id}/{what}"


class CommandResult(_Model):
    """How a command ended."""

    outcome: Outcome
    attempts: int
    detail: str = ""
    finished: AwareDatetime | None = Field(None, description="When the outcome was known (the step's own clock).")


class CommandRunner:
    """Sends commands through the live connections of :class:`CentralSystem` (module doc)."""

    def __init__(self, central: CentralSystem, timeout_s: float, deadline_s: float) -> None:
        self.central, self.timeout_s, self.deadline_s = central, timeout_s, deadline_s
        self.loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        """Before the job runner launches DBOS: commands it recovers find this runner."""
        global _runner
        self.loop = asyncio.get_running_loop()
        _runner = self

    def stop(self) -> None:
        global _runner
        if _runner is self:
            _runner = None

    async def submit(self, command: Command) -> str:
        """Start the command's workflow (or find it: the command id is its idempotency key); its id."""
        await continue_command(command, 0)
        return command.command_id

    def deadline(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.deadline_s)

    async def result(self, command_id: str, wait_s: float = 0.0) -> CommandResult | None:
        """The command's result, None while it runs (waits up to ``wait_s`` [s] for it)."""
        end = asyncio.get_running_loop().time() + wait_s
        while True:
            status = await DBOS.get_workflow_status_async(command_id)
            if status is not None and status.status == "SUCCESS":
                return CommandResult.model_validate_json(status.output)
            if asyncio.get_running_loop().time() >= end:
                return None
            await asyncio.sleep(0.05)

    async def attempt(
        self, command: Command, attempt: int, sent: list[SentSchedule] | None = None
    ) -> CommandResult | None:
        """One attempt on the app's loop; None: try again later. A schedule the charger answered is recorded at
        once, or appended to ``sent`` for a batch to record with its others."""
        link = self.central.link(command.charger_id)
        if link is None:
            return None
        try:
            if command.kind == "set_schedule":
                assert command.schedule is not None
                answer = await asyncio.wait_for(link.set_schedule(command.schedule), self.timeout_s * 1.5)
                row = SentSchedule(
                    command.tenant, command.decision_id, command.command_id, command.schedule, answer.status
                )
                await self._record(sent, row)
                if answer.status != "accepted":
                    events = self.central.events
                    if events is not None and answer.status in ("rejected", "not_supported"):
                        detail = {"command_id": command.command_id, "answer": answer.detail}
                        events.fire(link.charger, "rejected_profile", detail, datetime.now(UTC))
                    return CommandResult(outcome=answer.status, attempts=attempt + 1, detail=answer.detail)
                return await self._read_back(link, command.schedule, attempt)
            if command.kind == "clear":
                assert command.cleared is not None
                old = command.cleared
                answer = await asyncio.wait_for(
                    link.clear_schedule(old.connector_id, old.profile_id), self.timeout_s * 1.5
                )
                gone = answer.status == "accepted" or answer.detail == "Unknown"  # removed now, or not there any more
                if gone:
                    await self._record(
                        sent, SentSchedule(command.tenant, command.decision_id, command.command_id, old, "cleared")
                    )
                outcome = "accepted" if gone else answer.status
                return CommandResult(outcome=outcome, attempts=attempt + 1, detail=answer.detail)
            if command.kind == "start":
                assert command.id_tag is not None
                running = await asyncio.to_thread(self.central.sessions.running, command.tenant)
                if command.charger_id in running:  # a start sent again after a crash: the first one took effect
                    detail = f"transaction {running[command.charger_id].transaction_id} already runs"
                    return CommandResult(outcome="accepted", attempts=attempt + 1, detail=detail)
                answer = await asyncio.wait_for(link.start_session(1, command.id_tag), self.timeout_s * 1.5)
            else:
                assert command.transaction_id is not None
                answer = await asyncio.wait_for(link.stop_session(command.transaction_id), self.timeout_s * 1.5)
        except TimeoutError:
            return None
        return CommandResult(outcome=answer.status, attempts=attempt + 1, detail=answer.detail)

    async def _record(self, sent: list[SentSchedule] | None, row: SentSchedule) -> None:
        if sent is None:
            await asyncio.to_thread(self.central.sessions.schedules_sent, [row])
        else:
            sent.append(row)

    async def _read_back(self, link: Any, schedule: ChargerSchedule, attempt: int) -> CommandResult:
        now = datetime.now(UTC)
        remaining = int((schedule.start + timedelta(seconds=schedule.duration_s) - now).total_seconds())
        if remaining <= 0:
            return CommandResult(outcome="accepted", attempts=attempt + 1, detail="schedule already over")
        composite = await asyncio.wait_for(
            link.composite_schedule(schedule.connector_id, remaining, schedule.rate_unit), self.timeout_s * 1.5
        )
        differences = schedule_differences(schedule, composite)
        outcome: Outcome = "differs" if differences else "confirmed"
        return CommandResult(outcome=outcome, attempts=attempt + 1, detail="; ".join(differences[:5]))


def schedule_differences(ours: ChargerSchedule, theirs: CompositeSchedule | None) -> list[str]:
    """Where the charger's composite schedule departs from ours within our schedule: both are piecewise
    constant, so they are compared one second after every boundary of either (times [s] from our start)."""
    if theirs is None:
        return ["the charger reports no composite schedule"]
    if theirs.rate_unit != ours.rate_unit:
        return [f"unit {theirs.rate_unit}, ours {ours.rate_unit}"]
    shift = (theirs.start - ours.start).total_seconds()  # where the charger's 0 s lies on our axis
    first = max(shift, 0.0)
    bounds = {float(p.start_s) for p in ours.periods} | {p.start_s + shift for p in theirs.periods} | {first}
    out = []
    for t in sorted(b + 1.0 for b in bounds):
        if t < first or t >= ours.duration_s:
            continue
        mine = ours.limit_at(t)
        limits = [p.limit for p in theirs.periods if p.start_s <= t - shift]
        charger = limits[-1] if limits else None
        if mine is not None and (charger is None or abs(charger - mine) > 1e-6):
            out.append(f"at +{t - 1:.0f} s the charger holds {charger} {ours.rate_unit}, the plan {mine}")
    return out


_runner: CommandRunner | None = None


def command_prefix(tenant: str, decision_id: str) -> str:
    """The start of the ids of a decision's commands (a fixed-length tag of the tenant, as for jobs)."""
    return f"{hashlib.sha256(tenant.encode()).hexdigest()[:16]}/cmd/{decision_id}/"


def expired(command: Command, attempt: int) -> CommandResult | None:
    """``expired`` once the command's deadline has passed, else None."""
    now = datetime.now(UTC)
    if now < command.deadline:
        return None
    return CommandResult(outcome="expired", attempts=attempt, detail="deadline passed", finished=now)


def stamped(result: CommandResult | None) -> dict[str, Any] | None:
    """A result as a step records it, with when it was known."""
    return None if result is None else result.model_copy(update={"finished": datetime.now(UTC)}).model_dump(mode="json")


async def attempt_stamped(
    runner: CommandRunner, command: Command, attempt: int, sent: list[SentSchedule] | None = None
) -> dict[str, Any] | None:
    """``expired`` once the deadline has passed, else one attempt on the runner's loop; the result as a step
    records it, with when it was known (None: try again later)."""
    if (late := expired(command, attempt)) is not None:
        return late.model_dump(mode="json")
    return stamped(await runner.attempt(command, attempt, sent))


@DBOS.step(name="fleetcharge.charger_command.attempt")
async def _attempt(command_json: str, attempt: int) -> dict[str, Any] | None:
    command = Command.model_validate_json(command_json)
    runner = _runner
    if runner is None or runner.loop is None:
        late = expired(command, attempt)
        return None if late is None else late.model_dump(mode="json")
    future = asyncio.run_coroutine_threadsafe(attempt_stamped(runner, command, attempt), runner.loop)
    return await asyncio.wrap_future(future)


def current_runner() -> CommandRunner | None:
    """The runner of this process, once started (recovered workflows find it here)."""
    return _runner


def backoff_s(attempt: int) -> float:
    """The wait after attempt ``attempt`` (0 the first) before the next [s]."""
    return min(BACKOFF_S * 2**attempt, MAX_BACKOFF_S)


@DBOS.workflow(name="fleetcharge.charger_command")
async def _command_workflow(command_json: str, first_attempt: int = 0) -> str:
    """Attempts with durable sleeps in between until a result (module doc); the result as JSON. A command whose
    first attempt a batch made (:mod:`service.ocpp.command_batches`) starts here at attempt 1, after its wait."""
    attempt = first_attempt
    if attempt > 0:
        await DBOS.sleep_async(backoff_s(attempt - 1))
    while True:
        result = await _attempt(command_json, attempt)
        if result is not None:
            return CommandResult.model_validate(result).model_dump_json()
        await DBOS.sleep_async(backoff_s(attempt))
        attempt += 1


async def continue_command(command: Command, attempt: int) -> None:
    """Go on with ``command`` as its own workflow (id: its command id) from ``attempt``."""
    with SetWorkflowID(command.command_id):
        await DBOS.start_workflow_async(_command_workflow, command.model_dump_json(), attempt)
