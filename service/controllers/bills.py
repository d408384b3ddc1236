"""``/v1/bills``: bill a load profile under a shipped tariff (the engine's ``bill``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pandas as pd
from litestar import Controller, post
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK

from engine.errors import InputError, Problem
from engine.tariffs import bill
from service.named_files import shipped_tariff
from service.schemas import BillRequest
from service.security import requires


class BillController(Controller):
    """Bills."""

    path = "/v1/bills"
    tags = ["bills"]

    @post(
        "/",
        operation_id="createBill",
        summary="Bill a load profile",
        guards=[requires("read")],
        status_code=HTTP_200_OK,
    )
    async def create(self, data: JSONBody[BillRequest]) -> dict[str, Any]:
        """Bill ``load_kw`` (one value per ``step_minutes`` from ``start``) under ``tariff``: same JSON as
        ``fleetcharge bill --json``."""
        tariff = shipped_tariff(data.tariff)
        index = pd.date_range(data.start, periods=len(data.load_kw), freq=timedelta(minutes=data.step_minutes))
        load = pd.Series(data.load_kw, index=index.tz_convert(tariff.timezone))
        try:
            result = bill(load, tariff, step_minutes=data.step_minutes)
        except ValueError as exc:
            raise InputError([Problem(str(exc), "load_kw")]) from None
        return result.to_cli_json()
