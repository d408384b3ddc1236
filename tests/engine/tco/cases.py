"""Small assumptions with round numbers, worked by hand in the tests that use them."""

from __future__ import annotations

import copy
from typing import Any


def qty(value: Any, unit: str, **extra: Any) -> dict[str, Any]:
    return {"value": value, "unit": unit, "source": "hand-made test case", **extra}


HAND: dict[str, Any] = {
    "name": "hand case",
    "analysis": {"start_year": 2030, "period": qty(3, "yr"), "discount_rate": qty(10, "%/yr", range=[0, 20])},
    "depots": [
        {
            "id": "d1",
            "chargers": {
                "count": qty(1, "count"),
                "hardware": qty(3000, "USD/charger", range=[2000, 4000]),
                "installation": qty(2000, "USD/charger"),
                "life": qty(10, "yr"),
                "maintenance": qty(100, "USD/charger/yr"),
                "network_fee": qty(60, "USD/charger/yr"),
            },
            "energy": {"price": qty(0.20, "USD/kWh", range=[0.1, 0.3]), "demand": qty(300, "USD/vehicle/yr")},
        }
    ],
    "vehicle_classes": [
        {
            "id": "van",
            "depot": "d1",
            "count": qty(2, "count"),
            "annual_distance": qty(20000, "km/yr", range=[15000, 25000]),
            "operating_days": qty(250, "days/yr"),
            "ev": {
                "acquisition": {
                    "price": qty(50000, "USD", range=[45000, 60000]),
                    "incentives": qty(5000, "USD"),
                    "financing": {"share": qty(60, "%"), "rate": qty(5, "%/yr"), "term": qty(2, "yr")},
                    "residual_value": qty(20, "%", range=[10, 30]),
                },
                "battery": {
                    "capacity": qty(80, "kWh"),
                    "degradation": qty(0, "1/yr"),
                    "replace_below": qty(0.7, "fraction"),
                    "replacement_price": qty(100, "USD/kWh"),
                },
                "consumption": qty(0.25, "kWh/km", range=[0.2, 0.3]),
                "maintenance": qty(0.05, "USD/km"),
                "insurance": qty(2000, "USD/vehicle/yr"),
            },
            "diesel": {
                "acquisition": {"price": qty(40000, "USD"), "residual_value": qty(25, "%")},
                "consumption": qty(10, "L/100km"),
                "fuel_price": qty(1.5, "USD/L", range=[1.0, 2.0]),
                "maintenance": qty(0.08, "USD/km"),
                "insurance": qty(1800, "USD/vehicle/yr"),
            },
        }
    ],
    "scenarios": {
        "dear_power": {"description": "energy at 0.30", "set": {"depots.d1.energy.price": 0.30}},
    },
}


def hand(**changes: Any) -> dict[str, Any]:
    """A deep copy of HAND with dotted-path keys (list items by id) replaced."""
    data = copy.deepcopy(HAND)
    for dotted, value in changes.items():
        node: Any = data
        parts = dotted.split("__")
        for part in parts[:-1]:
            if isinstance(node, list):
                node = next(x for x in node if x["id"] == part)
            elif part in node:
                node = node[part]
            else:  # an item's id under one of the lists: "van" for vehicle_classes[id=van]
                node = next(x for v in node.values() if isinstance(v, list) for x in v if x["id"] == part)
        if value is None:
            node.pop(parts[-1], None)
        else:
            node[parts[-1]] = value
    return data
