"""A public charging network's stations in the shape of OCPI 2.2.1 ``locations`` (with their ``tariffs``), mapped
to the planner's public stations: a Location becomes a :class:`engine.domain.Depot` with one
:class:`engine.domain.Charger` per EVSE, and its tariff a :class:`engine.tariffs.Tariff` of the planner's price
model.

- Connectors: ``IEC_62196_T1`` J1772, ``IEC_62196_T1_COMBO`` CCS1, ``IEC_62196_T2`` Type2,
  ``IEC_62196_T2_COMBO`` CCS2, ``CHADEMO`` CHAdeMO, ``TESLA_S`` NACS; other standards are left out (the EVSE
  too, if none of its connectors is one of these).
- Power [kW]: ``max_electric_power`` / 1000, else ``max_voltage x max_amperage x phases`` / 1000 (phases 3 for
  ``AC_3_PHASE``, 1 otherwise; DC one). An EVSE is DC if any connector is; its rating is its largest connector's.
- Status: ``AVAILABLE`` available; ``CHARGING``, ``BLOCKED`` occupied; ``RESERVED`` reserved; ``OUTOFORDER``,
  ``INOPERATIVE`` faulted; ``UNKNOWN`` offline; ``PLANNED`` and ``REMOVED`` EVSEs are not stations yet or any more.
- The depot: id ``ocpi:<location id>``, the Location's ``time_zone``, a grid limit of all its chargers at once,
  and as ``availability`` the share of its EVSEs available now (at least 5 %).
- Price: the OCPI tariff of the EVSEs' connectors (the first ``tariff_ids``) excluding VAT: per local hour the
  first ``ENERGY`` component in force (first match wins; restrictions by time of day and day of week honoured,
  others noted and ignored) as energy charges; ``FLAT`` as the session fee, ``TIME`` per minute charging,
  ``PARKING_TIME`` per idle minute. The exact price of a session under the OCPI tariff is
  :func:`engine.tariffs.ocpi.session_price`; the plan's model is the approximation each note names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field

from engine.domain import Charger, ChargerKind, ChargerStatus, Connector, Depot
from engine.tariffs import Tariff
from engine.tariffs.ocpi import Moment, OcpiObject, OcpiTariff, holds

STANDARDS = {
    "IEC_62196_T1": Connector.J1772,
    "IEC_62196_T1_COMBO": Connector.CCS1,
    "IEC_62196_T2": Connector.TYPE2,
    "IEC_62196_T2_COMBO": Connector.CCS2,
    "CHADEMO": Connector.CHADEMO,
    "TESLA_S": Connector.NACS,
}
STATUS = {
    "AVAILABLE": ChargerStatus.AVAILABLE,
    "CHARGING": ChargerStatus.OCCUPIED,
    "BLOCKED": ChargerStatus.OCCUPIED,
    "RESERVED": ChargerStatus.RESERVED,
    "OUTOFORDER": ChargerStatus.FAULTED,
    "INOPERATIVE": ChargerStatus.FAULTED,
    "UNKNOWN": ChargerStatus.OFFLINE,
}
TIME_RESTRICTIONS = {"start_time", "end_time", "day_of_week"}  # what the planner's price model can follow


class OcpiConnector(OcpiObject):
    id: str
    standard: str
    power_type: Literal["AC_1_PHASE", "AC_2_PHASE", "AC_2_PHASE_SPLIT", "AC_3_PHASE", "DC"]
    max_voltage: int = Field(ge=0)
    max_amperage: int = Field(ge=0)
    max_electric_power: int | None = Field(None, ge=0, description="[W]")
    tariff_ids: list[str] = Field(default_factory=list)

    @property
    def kw(self) -> float:
        if self.max_electric_power is not None:
            return self.max_electric_power / 1000
        phases = 3 if self.power_type == "AC_3_PHASE" else 1
        return self.max_voltage * self.max_amperage * phases / 1000


class OcpiEvse(OcpiObject):
    uid: str
    evse_id: str | None = None
    status: str
    connectors: list[OcpiConnector] = Field(min_length=1)


class OcpiLocation(OcpiObject):
    id: str
    name: str | None = None
    time_zone: str
    evses: list[OcpiEvse] = Field(default_factory=list)


@dataclass
class PublicStation:
    """A Location in the planner's terms, and what the mapping approximated."""

    depot: Depot
    chargers: list[Charger]
    tariff: Tariff | None
    notes: list[str] = field(default_factory=list)


def public_station(location: OcpiLocation, tariffs: dict[str, OcpiTariff]) -> PublicStation:
    """The Location as a public station (module doc); ``tariffs`` by id."""
    notes: list[str] = []
    chargers: list[Charger] = []
    available = 0
    tariff_id: str | None = None
    for evse in location.evses:
        if evse.status in ("PLANNED", "REMOVED"):
            continue
        usable = [c for c in evse.connectors if c.standard in STANDARDS]
        if not usable:
            notes.append(f"EVSE {evse.uid}: no connector the planner knows ({[c.standard for c in evse.connectors]})")
            continue
        status = STATUS.get(evse.status, ChargerStatus.OFFLINE)
        available += status == ChargerStatus.AVAILABLE
        tariff_id = tariff_id or next((t for c in usable for t in c.tariff_ids), None)
        chargers.append(
            Charger(
                id=f"ocpi:{location.id}:{evse.uid}",
                depot_id=f"ocpi:{location.id}",
                kind=ChargerKind.DC if any(c.power_type == "DC" for c in usable) else ChargerKind.AC,
                max_kw=max(c.kw for c in usable),
                connectors=sorted({STANDARDS[c.standard] for c in usable}),
                status=status,
            )
        )
    if not chargers:
        raise ValueError(f"location {location.id!r}: no EVSE the planner can use")
    tariff = None
    if tariff_id is not None and tariff_id in tariffs:
        tariff, approximated = planner_tariff(tariffs[tariff_id], location.time_zone)
        notes += approximated
    elif tariff_id is not None:
        notes.append(f"tariff {tariff_id!r} not among the tariffs given: no price")
    depot = Depot(
        id=f"ocpi:{location.id}",
        name=location.name or location.id,
        timezone=location.time_zone,
        grid_limit_kw=sum(c.max_kw for c in chargers),
        availability=max(available / len(chargers), 0.05),
        tariff=None if tariff is None else tariff.name,
    )
    return PublicStation(depot, chargers, tariff, notes)


def planner_tariff(t: OcpiTariff, timezone: str) -> tuple[Tariff, list[str]]:
    """The OCPI tariff in the planner's price model, excluding VAT, and what it approximates (module doc)."""
    notes = []
    for i, element in enumerate(t.elements):
        set_fields = set() if element.restrictions is None else set(element.restrictions.model_dump(exclude_none=True))
        ignored = sorted(set_fields - TIME_RESTRICTIONS)
        if ignored:
            notes.append(f"element {i}: restrictions {ignored} ignored (the plan prices by time only)")
        fees = sorted({c.type for c in element.price_components} - {"ENERGY"})
        if fees and set_fields & TIME_RESTRICTIONS:
            timed = sorted(set_fields & TIME_RESTRICTIONS)
            notes.append(f"element {i}: {'/'.join(fees)} restricted by {timed}: the plan prices it at all hours")
    energy = []
    for day_type, day in (("weekday", datetime(2024, 1, 1)), ("weekend", datetime(2024, 1, 6))):  # a Monday, Saturday
        rates = [_energy_rate(t, day + timedelta(minutes=30 * k), timezone) for k in range(48)]
        k = 0
        while k < 48:
            end = k
            while end < 48 and rates[end] == rates[k]:
                end += 1
            if rates[k]:
                energy.append(
                    {
                        "name": f"energy {day_type} {k / 2:g}-{end / 2:g}h",
                        "rate": rates[k],
                        "when": [
                            {
                                "day_types": [day_type, "holiday"] if day_type == "weekend" else [day_type],
                                "hours": [[k / 2, end / 2]],
                            }
                        ],
                    }
                )
            k = end
    fees = {"session_fee": _first_price(t, "FLAT"), "per_minute": _first_price(t, "TIME") / 60}
    fees["idle_fee_per_min"] = _first_price(t, "PARKING_TIME") / 60
    tariff = Tariff.model_validate(
        {
            "name": f"ocpi-{t.id}",
            "source": "OCPI 2.2.1 tariff (prices excluding VAT)",
            "currency": t.currency,
            "timezone": timezone,
            "energy": energy,
            "public_fees": fees,
        }
    )
    return tariff, notes


def _energy_rate(t: OcpiTariff, local: datetime, timezone: str) -> float:
    moment = Moment(local.replace(tzinfo=ZoneInfo(timezone)), 0.0, 0.0, 0.0, 0.0)
    for element in t.elements:
        component = next((c for c in element.price_components if c.type == "ENERGY"), None)
        if component is None:
            continue
        r = element.restrictions
        timed = (
            None if r is None else r.model_copy(update={k: None for k in set(type(r).model_fields) - TIME_RESTRICTIONS})
        )
        if holds(timed, moment):
            return component.price
    return 0.0


def _first_price(t: OcpiTariff, dimension: str) -> float:
    for element in t.elements:
        for c in element.price_components:
            if c.type == dimension:
                return c.price
    return 0.0
