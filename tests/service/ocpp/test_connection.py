"""Charge points connect over real WebSockets in both versions: boot, status, authorisation, a transaction with
meter values, and the refusals of security profile 1."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
import websockets
from sqlalchemy import select

from service.ocpp.simulated import basic_auth, charge_slots, connected
from service.ocpp.tables import charger_status
from tests.service.ocpp.conftest import TENANT, Live


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_a_charger_boots_reports_status_and_a_session_closes_with_its_metered_energy(live: Live, version: str) -> None:
    async def run() -> tuple[str, float]:
        async with connected(live.ws, "ac0", live.keys["ac0"], version) as sim:
            sim.model.vehicle_max_kw = 7.2
            tx = await sim.plug_in("v1")
            added = await charge_slots(sim, 4, 900, datetime.now(UTC))  # no profile: the vehicle's max
            await sim.unplug()
            return tx, added

    tx, added = asyncio.run(run())
    assert added == pytest.approx(4 * 7.2 * 250)  # 4 quarter hours at 7.2 kW = 7.2 kWh
    central = live.app.state.central
    session = central.sessions.get("ac0", tx)
    assert session is not None and session.vehicle_id == "v1" and session.stopped is not None
    assert session.energy_wh == pytest.approx(7200, abs=1)
    assert session.stop_reason == "EVDisconnected"
    registered = central.registry.get("ac0")
    assert registered.protocol == ("ocpp1.6" if version == "1.6" else "ocpp2.0.1") and registered.last_seen
    with live.store.engine.connect() as conn:
        statuses = [r.status for r in conn.execute(select(charger_status).order_by(charger_status.c.id))]
    assert statuses[0] == "Available" and statuses[-1] == "Available" and len(statuses) == 3
    events = live.app.state.telemetry.events_of(TENANT, "v1")
    states = [e["values"]["state"] for e in events]
    assert states[0] == "started" and states[-1] == "stopped" and states.count("charging") >= 4
    assert events[-1]["values"]["energy_kwh"] == pytest.approx(7.2, abs=0.001)


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_a_repeated_start_or_stop_changes_nothing(live: Live, version: str) -> None:
    """A charger that did not get our answer sends the same message again: one session, energy counted once."""

    async def run() -> str:
        async with connected(live.ws, "ac0", live.keys["ac0"], version) as sim:
            sim.model.meter_wh = 1000.0
            tx = await sim.plug_in("v2")
            sim.model.meter_wh = 4000.0
            await sim.report_meter(3000.0)
            await sim.report_meter(3000.0)
            saved = sim.model.transaction_id
            await sim.unplug()
            sim.model.transaction_id = saved
            await sim.unplug()  # the same stop again
            return tx

    tx = asyncio.run(run())
    sessions = live.app.state.central.sessions.of_tenant(TENANT)
    assert [s.transaction_id for s in sessions] == [tx]
    assert sessions[0].energy_wh == pytest.approx(3000.0)
    stopped = [e for e in live.app.state.telemetry.events_of(TENANT, "v2") if e["values"]["state"] == "stopped"]
    assert len(stopped) == 1


def _refused(live: Live, path: str, headers: dict[str, str], protocol: str = "ocpp1.6") -> int:
    async def run() -> int:
        try:
            async with websockets.connect(f"{live.ws}{path}", subprotocols=[protocol], additional_headers=headers):
                return 101
        except websockets.InvalidStatus as exc:
            return exc.response.status_code

    return asyncio.run(run())


def test_unknown_and_wrongly_authenticated_charge_points_are_refused_before_the_upgrade(live: Live) -> None:
    good = live.keys["ac1"]
    assert _refused(live, "/ocpp/1.6/ac1", {"Authorization": basic_auth("ac1", good)}) == 101
    assert _refused(live, "/ocpp/1.6/nobody", {"Authorization": basic_auth("nobody", good)}) == 403
    assert _refused(live, "/ocpp/1.6/ac1", {}) == 403
    assert _refused(live, "/ocpp/1.6/ac1", {"Authorization": basic_auth("ac1", "0" * 40)}) == 403
    # ac0 with its own key on ac1's URL: a charger cannot claim another's identity
    assert _refused(live, "/ocpp/1.6/ac1", {"Authorization": basic_auth("ac0", live.keys["ac0"])}) == 403
    # ac1's key under another username: the username must be the identity of the URL
    assert _refused(live, "/ocpp/1.6/ac1", {"Authorization": basic_auth("ac0", good)}) == 403
    assert _refused(live, "/ocpp/2.0.1/ac1", {"Authorization": basic_auth("ac1", good)}, "ocpp2.0.1") == 101
    audited = [e for e in live.store.audit_log(TENANT)[0] if e["action"] == "charger.refused"]
    assert len(audited) == 4 and {e["resource"] for e in audited} == {"ac1"}  # no key, wrong key, ac0 as ac1 (twice)


def test_a_charger_offering_another_version_is_closed_after_the_handshake(live: Live) -> None:
    async def run() -> tuple[str | None, int | None]:
        headers = {"Authorization": basic_auth("ac1", live.keys["ac1"])}
        async with websockets.connect(
            f"{live.ws}/ocpp/1.6/ac1", subprotocols=["ocpp2.0.1"], additional_headers=headers
        ) as ws:
            with pytest.raises(websockets.ConnectionClosed):
                await ws.recv()
            return ws.subprotocol, ws.close_code

    subprotocol, code = asyncio.run(run())
    assert subprotocol is None and code == 1002


def test_a_rotated_key_replaces_the_old_one_at_once(live: Live) -> None:
    registry = live.app.state.central.registry
    new = registry.rotate_key(TENANT, "ac1")
    assert _refused(live, "/ocpp/1.6/ac1", {"Authorization": basic_auth("ac1", live.keys["ac1"])}) == 403
    assert _refused(live, "/ocpp/1.6/ac1", {"Authorization": basic_auth("ac1", new)}) == 101
    with pytest.raises(LookupError):
        registry.rotate_key("globex", "ac1")  # another tenant's charger
