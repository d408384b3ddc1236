"""The central system reads a tenant's vehicles at most every KNOWN_VEHICLES_S seconds."""

from __future__ import annotations

import asyncio

from service.ocpp import central as central_module
from service.ocpp.central import KNOWN_VEHICLES_S, CentralSystem


class Fleets:
    def __init__(self) -> None:
        self.reads = 0
        self.vehicles = {"v1"}

    def known_vehicles(self, tenant: str) -> set[str]:
        self.reads += 1
        return set(self.vehicles)


def test_vehicles_are_read_once_per_period_and_a_new_one_is_known_after_it(monkeypatch) -> None:
    fleets = Fleets()
    central = CentralSystem(registry=None, sessions=None, telemetry=fleets)  # type: ignore[arg-type]
    clock = [1000.0]
    monkeypatch.setattr(central_module.time, "monotonic", lambda: clock[0])

    async def run() -> list[set[str]]:
        seen = [await central.known_vehicles("acme") for _ in range(50)]
        fleets.vehicles.add("v2")
        clock[0] += KNOWN_VEHICLES_S / 2
        seen.append(await central.known_vehicles("acme"))
        clock[0] += KNOWN_VEHICLES_S
        seen.append(await central.known_vehicles("acme"))
        return seen

    seen = asyncio.run(run())
    assert seen[0] == {"v1"} and seen[-2] == {"v1"} and seen[-1] == {"v1", "v2"}
    assert fleets.reads == 2
