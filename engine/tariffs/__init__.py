"""Tariffs: the model, loaders and importers, billing, and price series for the scheduler."""

from engine.tariffs.bill import Bill, BillLine, bill, demand_windows, infer_step, price_series, slot_index
from engine.tariffs.files import dump_tariff, load_tariff, resolve_tariff_path, tariff_to_dict
from engine.tariffs.model import (
    Charge,
    FixedCharge,
    PriceSeries,
    PublicStationFees,
    Season,
    Tariff,
    Tier,
    Window,
)
from engine.tariffs.urdb import tariff_from_urdb

__all__ = [
    "Bill",
    "BillLine",
    "Charge",
    "FixedCharge",
    "PriceSeries",
    "PublicStationFees",
    "Season",
    "Tariff",
    "Tier",
    "Window",
    "bill",
    "demand_windows",
    "dump_tariff",
    "infer_step",
    "load_tariff",
    "price_series",
    "resolve_tariff_path",
    "slot_index",
    "tariff_from_urdb",
    "tariff_to_dict",
]
