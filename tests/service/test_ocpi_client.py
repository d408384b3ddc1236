"""Reading a network over OCPI 2.2.1 (a mock platform serving our fixture in pages): every page followed, the
token sent as OCPI asks, bad objects named and left out, a failing platform a clear error."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import httpx
import pytest

from service.ocpi_client import OcpiError, read_network

FIXTURE = json.loads((Path(__file__).parents[1] / "data" / "ocpi" / "harbour_hub.json").read_text())
ROOT = "https://cpo.example.com/ocpi/2.2.1"
TOKEN = "secret-token"


def platform(locations: list, tariffs: list, status: int = 1000) -> httpx.Client:
    """Locations one per page (Link rel=next), tariffs in one page."""
    seen_auth = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen_auth.append(request.headers["authorization"])
        if request.url.path.endswith("/tariffs"):
            return httpx.Response(200, json={"data": tariffs, "status_code": status, "status_message": "no"})
        k = int(request.url.params.get("offset", 0))
        headers = {"Link": f'<{ROOT}/locations?offset={k + 1}&limit=1>; rel="next"'} if k + 1 < len(locations) else {}
        return httpx.Response(200, json={"data": locations[k : k + 1], "status_code": 1000}, headers=headers)

    client = httpx.Client(transport=httpx.MockTransport(handler))
    client.seen_auth = seen_auth  # type: ignore[attr-defined]
    return client


def test_every_page_is_read_and_mapped() -> None:
    second = {**FIXTURE["location"], "id": "LOC2", "evses": FIXTURE["location"]["evses"][:1]}
    client = platform([FIXTURE["location"], second], FIXTURE["tariffs"])
    network = read_network(ROOT, TOKEN, client)
    assert [s.depot.id for s in network.stations] == ["ocpi:LOC1", "ocpi:LOC2"]
    assert {a for a in client.seen_auth} == {f"Token {base64.b64encode(TOKEN.encode()).decode()}"}  # type: ignore[attr-defined]
    out = network.as_json()
    assert len(out["chargers"]) == 4 and set(out["tariffs"]) == {"ocpi-T-AC"}
    assert any("DOMESTIC_F" in n for n in out["notes"])


def test_an_object_that_does_not_parse_is_named_not_dropped() -> None:
    broken = {
        "id": "LOC9",
        "time_zone": "Europe/Amsterdam",
        "evses": [{"uid": "X", "status": "AVAILABLE", "connectors": []}],
    }
    network = read_network(ROOT, TOKEN, platform([FIXTURE["location"], broken], FIXTURE["tariffs"]))
    assert [s.depot.id for s in network.stations] == ["ocpi:LOC1"]
    assert any(n.startswith("location LOC9 left out: evses.0.connectors") for n in network.notes)


def test_a_failing_platform_is_a_clear_error() -> None:
    with pytest.raises(OcpiError, match="OCPI status 2001"):
        read_network(ROOT, TOKEN, platform([FIXTURE["location"]], FIXTURE["tariffs"], status=2001))
