"""A decision's commands sent as one durable batch: one DBOS workflow whose single step makes every command's first
attempt at once and checkpoints all their results together.

200 commands as 200 workflows cost DBOS a workflow start, a step record and an end each, about half of the
service's CPU when a re-plan reaches 200 chargers (``bench/ocpp.py``, bench/RESULTS.md). A batch costs one of each.
A command whose first attempt leaves it for later (the charger was not connected or did not answer in time)
continues as its own command workflow (:mod:`service.ocpp.commands`, id: its command id) from attempt 1, after the
same wait and with the same deadline as if it had started alone; the batch starts those in its command order, so
its replay after a crash starts the same ones.

Idempotency: a batch's id is derived from its command ids, and commands a decision has already given (in an earlier
batch or as their own workflow) are left out of a new batch, so a command given twice is still one command. A batch
cut off by a crash makes its step again after the restart: its commands may reach the chargers twice, which is
harmless as for a single command (a profile with the same id, purpose and stack level replaces the one before).
A batch that fails (the store refuses its record) leaves its commands without a result: they are listed as failed,
and dispatching the decision again gives them again, in a new batch.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass, replace
from typing import Any

from dbos import DBOS, SetWorkflowID

from service.ocpp.commands import (
    Command,
    CommandResult,
    CommandRunner,
    attempt_stamped,
    command_prefix,
    continue_command,
    current_runner,
    stamped,
)
from service.ocpp.sessions import SentSchedule


def batch_prefix(tenant: str, decision_id: str) -> str:
    """The start of the ids of a decision's batches (a fixed-length tag of the tenant, as for commands)."""
    return command_prefix(tenant, decision_id).replace("/cmd/", "/batch/", 1)


@dataclass(frozen=True)
class Given:
    """A command a decision has given, and how far it is."""

    command: Command
    result: CommandResult | None  # None while it runs, or once its batch or own workflow failed
    own: Any  # its own workflow's status; None when its batch settled it (or has not yet)
    batch_failed: bool = False  # its batch failed before it had a result or a workflow of its own


async def given(tenant: str, decision_id: str) -> list[Given]:
    """The commands a decision has given so far, in its batches or as their own workflows, in the order given."""
    batched: dict[str, Given] = {}
    for batch in await DBOS.list_workflows_async(workflow_id_prefix=batch_prefix(tenant, decision_id)):
        results = json.loads(batch.output) if batch.status == "SUCCESS" and batch.output else {}
        for c in json.loads(batch.input["args"][0]) if batch.input is not None else []:
            command = Command.model_validate(c)
            result = results.get(command.command_id)
            batched[command.command_id] = Given(
                command,
                None if result is None else CommandResult.model_validate(result),
                None,
                batch.status == "ERROR",
            )
    own = {
        w.workflow_id: w
        for w in await DBOS.list_workflows_async(workflow_id_prefix=command_prefix(tenant, decision_id))
    }
    out = [replace(g, own=own.pop(command_id, None)) for command_id, g in batched.items()]
    for workflow in own.values():
        if workflow.input is not None:
            out.append(Given(Command.model_validate_json(workflow.input["args"][0]), None, workflow))
    return out


async def submit_batch(commands: list[Command]) -> list[str]:
    """Give a decision's ``commands`` as one batch (module doc), leaving out those it has given before; the ids of
    all of them."""
    if not commands:
        return []
    first = commands[0]
    if any((c.tenant, c.decision_id) != (first.tenant, first.decision_id) for c in commands):
        raise ValueError("a batch holds the commands of one decision")
    prefix = batch_prefix(first.tenant, first.decision_id)
    known = {g.command.command_id for g in await given(first.tenant, first.decision_id) if g.own or not g.batch_failed}
    new = [c for c in commands if c.command_id not in known]
    if new:
        ids = "\n".join(sorted(c.command_id for c in new))
        failed = await DBOS.list_workflows_async(
            workflow_id_prefix=prefix, status="ERROR", load_input=False, load_output=False
        )
        # the same commands again after n failed batches: a new batch, not the failed one found again
        batch_id = f"{prefix}{hashlib.sha256(ids.encode()).hexdigest()[:16]}-{len(failed)}"
        body = json.dumps([c.model_dump(mode="json") for c in new])
        with SetWorkflowID(batch_id):
            await DBOS.start_workflow_async(_batch_workflow, body)
    return [c.command_id for c in commands]


async def _attempt_all(runner: CommandRunner, commands: list[Command]) -> dict[str, dict[str, Any] | None]:
    """Every command's first attempt, concurrently on the runner's loop; the schedules the chargers answered are
    recorded together at the end."""
    sent: list[SentSchedule] = []

    async def one(command: Command) -> dict[str, Any] | None:
        try:
            return await attempt_stamped(runner, command, 0, sent)
        except Exception as exc:  # one charger's failure is its command's result, not the batch's
            return stamped(CommandResult(outcome="error", attempts=1, detail=f"{type(exc).__name__}: {exc}"))

    results = await asyncio.gather(*(one(c) for c in commands))
    await asyncio.to_thread(runner.central.sessions.schedules_sent, sent)
    return {c.command_id: r for c, r in zip(commands, results, strict=True)}


@DBOS.step(name="fleetcharge.charger_batch.first_attempts")
async def _first_attempts(commands_json: str) -> dict[str, dict[str, Any] | None]:
    commands = [Command.model_validate(c) for c in json.loads(commands_json)]
    runner = current_runner()
    if runner is None or runner.loop is None:  # recovered before the runner started: each goes on alone
        return {c.command_id: None for c in commands}
    future = asyncio.run_coroutine_threadsafe(_attempt_all(runner, commands), runner.loop)
    return await asyncio.wrap_future(future)


@DBOS.workflow(name="fleetcharge.charger_batch")
async def _batch_workflow(commands_json: str) -> str:
    """First attempts in one step, then the commands left for later as their own workflows (module doc); the
    first-attempt results by command id as JSON."""
    results = await _first_attempts(commands_json)
    for c in json.loads(commands_json):
        command = Command.model_validate(c)
        if results[command.command_id] is None:
            await continue_command(command, 1)
    return json.dumps(results)
