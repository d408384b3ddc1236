"""The OCPP endpoints of the service: ``/ocpp/1.6/{charge_point_id}`` and ``/ocpp/2.0.1/{charge_point_id}``.

Before the upgrade completes: the charger must be registered and send HTTP Basic credentials whose username is
the identity of the URL and whose password is its key (security profile 1; profile 2 is the same behind TLS, see
README "Charger control"); otherwise the handshake is refused (HTTP 403) and a wrong key for a known charger is
audited for its tenant; failures count against the client address like bad API keys do. The
charger must offer the path's subprotocol (``ocpp1.6`` / ``ocpp2.0.1``); if it does not, the handshake finishes
without one and the socket closes at once (OCPP-J 2.0.1 Part 4 section 3.2).

Then the ``ocpp`` library's ChargePoint of that version reads and answers messages over the socket
(:class:`SocketConnection` gives it the ``recv`` / ``send`` it expects) until the charger goes.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from litestar import WebSocket, websocket
from litestar.exceptions import WebSocketDisconnect
from litestar.params import FromPath

from service.ocpp.central import CentralSystem
from service.ocpp.registry import ChargerRefused, ChargerRegistry
from service.ocpp.v16 import CentralV16
from service.ocpp.v201 import CentralV201

LOG = logging.getLogger("fleetcharge.ocpp")
logging.getLogger("ocpp").setLevel(logging.WARNING)  # the library logs every frame at INFO
VERSIONS: dict[str, tuple[str, Any]] = {"1.6": ("ocpp1.6", CentralV16), "2.0.1": ("ocpp2.0.1", CentralV201)}
SERVICE_RESTART = 1012  # the close code uvicorn sends its WebSockets when the server stops
REFUSED = 4003  # close code before accept: the server answers the handshake with HTTP 403


class SocketConnection:
    """A Litestar WebSocket as the connection the ``ocpp`` library reads and writes."""

    def __init__(self, socket: WebSocket) -> None:
        self.socket = socket

    async def recv(self) -> str:
        return await self.socket.receive_text()

    async def send(self, message: str) -> None:
        await self.socket.send_text(message)


async def serve_charger(socket: WebSocket, charge_point_id: str, version: str) -> None:
    """Authenticate, negotiate the subprotocol, then serve the charger until it disconnects (module doc)."""
    state = socket.app.state
    central: CentralSystem = state.central
    registry: ChargerRegistry = central.registry
    client = socket.client.host if socket.client else "unknown"
    try:
        charger = await asyncio.to_thread(registry.authenticate, charge_point_id, socket.headers.get("authorization"))
    except ChargerRefused as exc:
        over = state.rate_limits.failed.take(f"ocpp:{client}") is not None
        known = await asyncio.to_thread(registry.get, charge_point_id)
        if known is not None:
            await asyncio.to_thread(
                state.store.audit, known.tenant, "charger", "charger.refused", charge_point_id, {"client": client}
            )
        LOG.warning(
            "charge point %r from %s refused: %s%s", charge_point_id, client, exc, " (over its failure rate)" * over
        )
        await socket.close(code=REFUSED)
        return
    protocol, handler = VERSIONS[version]
    if protocol not in socket.scope.get("subprotocols", []):
        await socket.accept()
        await socket.close(code=1002, reason=f"this endpoint speaks {protocol} only")
        return
    await socket.accept(subprotocols=protocol)
    settings = state.settings
    link = handler(charger, SocketConnection(socket), central, settings.ocpp_heartbeat_s, settings.ocpp_call_timeout_s)
    central.connected(charger, link, protocol)
    stopping = False
    try:
        await link.start()
    except WebSocketDisconnect as exc:
        stopping = exc.code == SERVICE_RESTART
    finally:
        central.disconnected(charger, link, stopping)


@websocket("/ocpp/1.6/{charge_point_id:str}", name="ocpp16")
async def ocpp16(socket: WebSocket, charge_point_id: FromPath[str]) -> None:
    """OCPP 1.6J charge points."""
    await serve_charger(socket, charge_point_id, "1.6")


@websocket("/ocpp/2.0.1/{charge_point_id:str}", name="ocpp201")
async def ocpp201(socket: WebSocket, charge_point_id: FromPath[str]) -> None:
    """OCPP 2.0.1 charging stations."""
    await serve_charger(socket, charge_point_id, "2.0.1")
