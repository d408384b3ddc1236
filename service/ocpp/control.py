"""A dispatcher's direct control of a charger: a remote start for a vehicle or a remote stop of the running
transaction, sent as a durable command like the plan's profiles (:mod:`service.ocpp.commands`).

Refused (409) when the charger's depot is in shadow mode (the mode of its latest decision: a shadow depot is
never acted on) and, for a stop, when no transaction runs; audited as ``charger.start`` / ``charger.stop``. An
``Accepted`` answer only says the charger took the request: the session exists once the charger reports its
transaction. The caller's idempotency key makes a repeated request the same command.
"""

from __future__ import annotations

import asyncio
import uuid
from functools import partial
from typing import Any, Literal

from litestar.exceptions import NotFoundException

from service.decisions import ReviewRefused
from service.ocpp.central import CentralSystem
from service.ocpp.commands import Command, CommandRunner
from service.ocpp.dispatch import CommandsUnavailable
from service.store import Store


async def remote(
    runner: CommandRunner | None,
    central: CentralSystem,
    store: Store,
    tenant: str,
    actor: str,
    charger_id: str,
    action: Literal["start", "stop"],
    vehicle_id: str | None = None,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """Send a remote start (for ``vehicle_id``) or stop; the command id and, if the charger answered within its
    call timeout, the result."""
    charger = await asyncio.to_thread(central.registry.get, charger_id)
    if charger is None or charger.tenant != tenant:
        raise NotFoundException(f"no charger {charger_id!r} for this tenant")
    if charger.depot_id is not None:
        rows, _n = await asyncio.to_thread(partial(store.list_decisions, tenant, depot=charger.depot_id, limit=1))
        if rows and rows[0].mode == "shadow":
            raise ReviewRefused(f"depot {charger.depot_id!r} is in shadow mode: its chargers are not controlled")
    transaction = None
    if action == "stop":
        running = (await asyncio.to_thread(central.sessions.running, tenant)).get(charger_id)
        if running is None:
            raise ReviewRefused(f"no transaction runs on charger {charger_id!r}")
        transaction = running.transaction_id
    elif not vehicle_id:
        raise ReviewRefused("a remote start needs the vehicle_id whose token starts the transaction")
    if runner is None:  # after the checks a caller can act on: 404 and 409 come first
        raise CommandsUnavailable("charger commands need the job store (settings: jobs_db_url)")
    command = Command(
        tenant=tenant,
        decision_id=f"manual-{idempotency_key or uuid.uuid4().hex}",
        charger_id=charger_id,
        kind=action,
        id_tag=vehicle_id if action == "start" else None,
        transaction_id=transaction,
        deadline=runner.deadline(),
    )
    await runner.submit(command)
    detail = {"command_id": command.command_id, "vehicle_id": vehicle_id, "transaction_id": transaction}
    await asyncio.to_thread(store.audit, tenant, actor, f"charger.{action}", charger_id, detail)
    result = await runner.result(command.command_id, wait_s=runner.timeout_s)
    return {"command_id": command.command_id, "result": None if result is None else result.model_dump(mode="json")}
