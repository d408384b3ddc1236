"""``POST /v1/tco`` and ``POST /v1/tco/sensitivity``: the total cost of ownership of a fleet, its tornado and
Monte Carlo percentiles (:mod:`engine.tco`), the same engine function as ``fleetcharge tco``."""

from __future__ import annotations

from typing import Any, Literal

from litestar import Controller, Request, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK
from pydantic import BaseModel, Field

from engine.errors import InputError, Problem
from engine.tco.assumptions import TcoAssumptions
from engine.tco.sweeps import METRICS
from service.auth import Principal
from service.security import provide_principal, requires

MAX_API_SAMPLES = 10_000  # Monte Carlo draws one request may ask for (run in the request's thread) [-]


class TcoRequest(BaseModel):
    """The assumptions: the name of a shipped assumptions file (``demo_depot``, whose depot may be calibrated
    from its plan on this server) or an assumptions document (its depots priced in the document: a posted
    document may not make the server read files)."""

    assumptions: str | dict[str, Any] = Field(description="A shipped assumptions file's name or a document.")
    scenario: str | None = Field(None, description="A named scenario of the assumptions.")


class SensitivityRequest(TcoRequest):
    sensitivity: bool = Field(True, description="One-at-a-time sensitivity (tornado) over every ranged quantity.")
    monte_carlo: int = Field(0, ge=0, le=MAX_API_SAMPLES, description="Monte Carlo draws (0: none).")
    seed: int = Field(0, ge=0, description="Monte Carlo seed.")
    metric: Literal[METRICS] | None = Field(None, description="What the tornado ranks by.")  # type: ignore[valid-type]


def requested_assumptions(request: Request, data: TcoRequest) -> TcoAssumptions:
    """The request's assumptions, validated (every problem as ``assumptions:LINE:COL`` or by field) and, for a
    shipped file, calibrated from its depot plan."""
    from engine.tco.calibrate import calibrated
    from engine.tco.load import assumptions_from_data, load_assumptions
    from service.shipped_paths import TCO_DIR

    if isinstance(data.assumptions, str):
        names = sorted(p.stem for p in TCO_DIR.glob("*.yaml"))
        if data.assumptions not in names:
            raise InputError(
                [Problem(f"no shipped assumptions {data.assumptions!r} (shipped: {', '.join(names)})", "assumptions")]
            )
        path = TCO_DIR / f"{data.assumptions}.yaml"
        return calibrated(load_assumptions(path, data.scenario), path.parent, request.app.state.settings.policies_dir)
    a = assumptions_from_data(data.assumptions, "assumptions", None, data.scenario)
    refused = [
        Problem("calibrate reads files on the server: give price and demand", f"depots[{i}].energy.calibrate")
        for i, d in enumerate(a.depots)
        if d.energy.calibrate is not None
    ]
    if refused:
        raise InputError(refused)
    return a


class TcoController(Controller):
    """TCO for the caller's tenant."""

    path = "/v1/tco"
    tags = ["tco"]
    dependencies = {"principal": Provide(provide_principal)}

    @post(
        "",
        operation_id="tco",
        summary="Total cost of ownership: NPV, cost per km and mile, cash flow by year, EV against diesel",
        guards=[requires("plan")],
        status_code=HTTP_200_OK,
        sync_to_thread=True,
    )
    def tco(
        self, request: Request, principal: NamedDependency[Principal], data: JSONBody[TcoRequest]
    ) -> dict[str, Any]:
        """NPV and levelised cost per km and per mile by depot and class, the breakdown by component, cash flow
        by year, EV minus diesel and the payback year, and every assumption with its unit and source."""
        from engine.tco.report import tco_report

        return tco_report(requested_assumptions(request, data), data.scenario)

    @post(
        "/sensitivity",
        operation_id="tcoSensitivity",
        summary="TCO sensitivity: the tornado over every ranged assumption and Monte Carlo P10/P50/P90",
        guards=[requires("plan")],
        status_code=HTTP_200_OK,
        sync_to_thread=True,
    )
    def sensitivity(
        self, request: Request, principal: NamedDependency[Principal], data: JSONBody[SensitivityRequest]
    ) -> dict[str, Any]:
        """The TCO with its tornado (each ranged quantity at its low and its high, the others at their value) and
        with ``monte_carlo`` > 0 the percentiles of the draws and the distributions drawn from."""
        from engine.tco.report import tco_report

        a = requested_assumptions(request, data)
        try:
            return tco_report(a, data.scenario, data.sensitivity, data.monte_carlo, data.seed, data.metric)
        except ValueError as err:
            raise InputError([Problem(str(err), "monte_carlo")]) from None
