"""A public charging network read over OCPI 2.2.1 (as an eMSP client of a CPO's or hub's ``locations`` and
``tariffs`` modules) and mapped to the planner's public stations (:mod:`engine.io.ocpi_locations`).

Requests carry ``Authorization: Token <base64 of the token>`` (OCPI 2.2.1); lists are paged: the response's
``Link: <...>; rel="next"`` header is followed until there is none. A response whose ``status_code`` is not
1000 (success) or whose body is not OCPI's envelope is an error naming the URL; an object that does not parse
is left out and named in the notes, never silently dropped.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from typing import Any

import httpx
from pydantic import ValidationError

from engine.io.ocpi_locations import OcpiLocation, PublicStation, public_station
from engine.tariffs.ocpi import OcpiTariff

NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')
MAX_PAGES = 10_000


class OcpiError(RuntimeError):
    """The platform answered something other than a successful OCPI response."""


@dataclass
class Network:
    """Stations read from a platform, and what could not be used."""

    stations: list[PublicStation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "depots": [s.depot.model_dump(mode="json") for s in self.stations],
            "chargers": [c.model_dump(mode="json") for s in self.stations for c in s.chargers],
            "tariffs": {s.tariff.name: s.tariff.model_dump(mode="json") for s in self.stations if s.tariff},
            "notes": self.notes + [f"{s.depot.id}: {n}" for s in self.stations for n in s.notes],
        }


def _pages(client: httpx.Client, url: str, headers: dict[str, str]) -> list[Any]:
    items: list[Any] = []
    for _ in range(MAX_PAGES):
        response = client.get(url, headers=headers)
        try:
            body = response.json()
        except ValueError:
            raise OcpiError(f"GET {url}: {response.status_code}, not JSON") from None
        if response.status_code != 200 or not isinstance(body, dict) or body.get("status_code") != 1000:
            message = body.get("status_message", "") if isinstance(body, dict) else ""
            raise OcpiError(
                f"GET {url}: HTTP {response.status_code}, OCPI status {body.get('status_code') if isinstance(body, dict) else '?'} {message}".strip()
            )
        items += body.get("data") or []
        found = NEXT.search(response.headers.get("link", ""))
        if found is None:
            return items
        url = found.group(1)
    raise OcpiError(f"more than {MAX_PAGES} pages from {url}")


def read_network(base_url: str, token: str, client: httpx.Client | None = None) -> Network:
    """Every Location and Tariff of the platform at ``base_url`` (its 2.2.1 module root, e.g.
    ``https://cpo.example.com/ocpi/2.2.1``) as public stations."""
    headers = {"Authorization": f"Token {base64.b64encode(token.encode()).decode()}"}
    client = client or httpx.Client(timeout=30)
    root = base_url.rstrip("/")
    network = Network()
    tariffs: dict[str, OcpiTariff] = {}
    for raw in _pages(client, f"{root}/tariffs", headers):
        try:
            t = OcpiTariff.model_validate(raw)
            tariffs[t.id] = t
        except ValidationError as exc:
            network.notes.append(
                f"tariff {raw.get('id', '?') if isinstance(raw, dict) else '?'} left out: {_first(exc)}"
            )
    for raw in _pages(client, f"{root}/locations", headers):
        ident = raw.get("id", "?") if isinstance(raw, dict) else "?"
        try:
            network.stations.append(public_station(OcpiLocation.model_validate(raw), tariffs))
        except ValidationError as exc:
            network.notes.append(f"location {ident} left out: {_first(exc)}")
        except ValueError as exc:
            network.notes.append(f"location {ident} left out: {exc}")
    return network


def _first(exc: ValidationError) -> str:
    err = exc.errors()[0]
    return f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
