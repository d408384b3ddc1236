"""Reconciliation in the service: the store's facts turned into the engine's terms and checked
(:mod:`engine.control.reconcile`). ``GET /v1/reconciliation``, ``fleetcharge reconcile`` and the periodic task
all call :func:`reconcile_tenant`.

- Planned sessions: the schedules we sent (``charger_schedules``), per charger and vehicle; where a later one
  overlaps an earlier one (a re-plan), the later holds from its start. Their limits, in the charger's unit, give
  the planned energy; the tariff of the decision that sent them prices it.
- Metered sessions: the sessions the chargers reported (``charger_sessions``) with the meter readings that came
  in as telemetry (``charge_session`` events of the transaction).
- SOC changes: the vehicle's last SOC reading at or before the start and its first at or after the stop (each
  within half an hour), times its battery size, with its charge efficiency (the tenant's fleets).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

from engine.control.profiles import ChargerElectrics, ChargerSchedule
from engine.control.reconcile import (
    Drift,
    MeteredSession,
    MeterPoint,
    PlannedSession,
    SocChange,
    Tolerances,
    reconcile,
)
from engine.domain import PlanningProblem
from engine.errors import InputError
from engine.tariffs.bill import price_series
from service.named_files import shipped_tariff
from service.ocpp.registry import ChargerRegistry
from service.ocpp.sessions import ChargerSessions, Session
from service.store import Store
from service.telemetry_store import TelemetryStore
from service.webhooks.delivery import WebhookSender

LOG = logging.getLogger("fleetcharge.ocpp")
SOC_WINDOW = timedelta(minutes=30)
PRICE_STEP = timedelta(minutes=15)


@dataclass(frozen=True)
class Report:
    """A reconciliation run."""

    since: datetime
    until: datetime
    sessions: int
    drifts: list[Drift]

    def as_json(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "sessions": self.sessions,
            "drifts": [d.model_dump(mode="json") for d in self.drifts],
        }


def reconcile_tenant(
    store: Store,
    telemetry: TelemetryStore,
    tenant: str,
    since: datetime,
    now: datetime,
    tol: Tolerances | None = None,
) -> Report:
    """Every drift of ``tenant``'s sessions and schedules from ``since`` to ``now`` (module doc)."""
    registry, sessions = ChargerRegistry(store.engine), ChargerSessions(store.engine)
    electrics = {c.charger_id: c.electrics for c in registry.list(tenant)}
    sent = [s for s in sessions.schedules(tenant) if _end(s["schedule"]) > since]
    prices = _price_lookups(store, tenant, {s["decision_id"] for s in sent}, since, now)
    planned = _planned(sent, electrics, prices)
    reported = sessions.of_tenant(tenant, since - timedelta(days=1))
    reported = [s for s in reported if (s.stopped or now) > since]
    fleet = telemetry.fleet_vehicles(tenant)
    metered, soc = [], {}
    for s in reported:
        events = telemetry.events_of(tenant, s.vehicle_id or s.id_tag)
        meter = meter_points(events, s)
        metered.append(
            MeteredSession(
                charger_id=s.charger_id,
                vehicle_id=s.vehicle_id,
                transaction_id=s.transaction_id,
                started=s.started,
                stopped=s.stopped,
                energy_kwh=s.energy_wh / 1000.0,
                meter=meter,
            )
        )
        change = _soc_change(events, fleet.get(s.vehicle_id or ""), s.started, s.stopped)
        if change is not None:
            soc[s.transaction_id] = change
    price_at = prices.get("*")
    drifts = reconcile(planned, metered, soc, price_at, now, tol)
    return Report(since=since, until=now, sessions=len(metered), drifts=drifts)


def meter_points(events: list[dict[str, Any]], s: Session) -> list[MeterPoint]:
    """The session's meter readings among a vehicle's telemetry events, in time order."""
    points = [
        MeterPoint(time=_time(e["event_time"]), register_kwh=float(e["values"]["meter_kwh"]))
        for e in events
        if e["type"] == "charge_session"
        and e["values"].get("transaction_id") == s.transaction_id
        and e["values"].get("charger_id") == s.charger_id
        and e["values"].get("meter_kwh") is not None
    ]
    return sorted(points, key=lambda p: p.time)


def _end(schedule: dict[str, Any]) -> datetime:
    return _time(schedule["start"]) + timedelta(seconds=schedule["duration_s"])


def _time(text: str | datetime) -> datetime:
    return text if isinstance(text, datetime) else datetime.fromisoformat(text)


def _price_lookups(
    store: Store, tenant: str, decision_ids: set[str], since: datetime, now: datetime
) -> dict[str, Callable[[datetime], float]]:
    """Per decision id the energy price of its problem's shipped tariff [$/kWh]; ``"*"``: the newest decision's
    (metered energy is priced by the tariff in force)."""
    out: dict[str, Callable[[datetime], float]] = {}
    newest: tuple[datetime, Callable[[datetime], float]] | None = None
    for decision_id in sorted(decision_ids):
        stored = store.get_decision(tenant, decision_id)
        if stored is None:
            continue
        problem = PlanningProblem.model_validate(stored.problem)
        try:
            tariff = shipped_tariff(problem.tariff)
        except InputError:
            continue  # an inline or unknown tariff: no cost check
        start = _quarter(min(since, problem.now)) - PRICE_STEP
        end = max(now, problem.now + timedelta(hours=problem.horizon_hours)) + PRICE_STEP
        series = price_series(tariff, start, end, PRICE_STEP)
        lookup = _lookup(series)
        out[decision_id] = lookup
        if newest is None or stored.created > newest[0]:
            newest = (stored.created, lookup)
    if newest is not None:
        out["*"] = newest[1]
    return out


def _lookup(series: Any) -> Callable[[datetime], float]:
    index, values = series.index, series.to_numpy()

    def price_at(t: datetime) -> float:
        k = int(index.searchsorted(t, side="right")) - 1
        return float(values[min(max(k, 0), len(values) - 1)])

    return price_at


Segment = tuple[datetime, datetime, float, float]  # start, end, planned kW, $/kWh


def planned_segments(
    sent: list[dict[str, Any]],
    electrics: dict[str, ChargerElectrics],
    prices: dict[str, Callable[[datetime], float]],
) -> dict[tuple[str, str], list[Segment]]:
    """Per (charger, vehicle) what the accepted schedules asked, cut on quarter hours and period bounds, a later
    schedule holding from its start; a TxDefaultProfile cleared by a later dispatch asks nothing."""
    groups: dict[tuple[str, str], list[tuple[int, ChargerSchedule, str]]] = {}
    cleared = {
        ChargerSchedule.model_validate(r["schedule"]).charger_id: k
        for k, r in enumerate(sent)
        if r["answer"] == "cleared"
    }
    for k, row in enumerate(sent):
        if row["answer"] != "accepted":
            continue
        s = ChargerSchedule.model_validate(row["schedule"])
        if s.purpose == "tx_default" and cleared.get(s.charger_id, -1) > k:
            continue  # cleared by a later dispatch: no longer asked
        groups.setdefault((s.charger_id, s.vehicle_id), []).append((k, s, row["decision_id"]))
    out: dict[tuple[str, str], list[Segment]] = {}
    for (charger, vehicle), rows in sorted(groups.items()):
        e = electrics.get(charger)
        if e is None:
            continue
        bounds = {t for _k, s, _d in rows for t in _bounds(s)}
        quarter = _quarter(min(bounds))
        while quarter < max(bounds):  # prices change on quarter hours at most
            bounds.add(quarter)
            quarter += PRICE_STEP
        segments: list[Segment] = []
        for a, b in pairwise(sorted(bounds)):
            holding = [(k, s, d) for k, s, d in rows if s.start <= a < s.start + timedelta(seconds=s.duration_s)]
            if not holding:
                continue
            _k, s, d = max(holding, key=lambda r: r[0])  # the latest sent
            limit = s.limit_at((a - s.start).total_seconds())
            segments.append((a, b, e.kw(limit or 0.0), prices.get(d, lambda _t: 0.0)(a)))
        out[(charger, vehicle)] = segments
    return out


def _planned(
    sent: list[dict[str, Any]],
    electrics: dict[str, ChargerElectrics],
    prices: dict[str, Callable[[datetime], float]],
) -> list[PlannedSession]:
    """Per charger and vehicle the sent schedules as sessions (contiguous runs of planned segments)."""
    out = []
    for (charger, vehicle), segments in planned_segments(sent, electrics, prices).items():
        for run in _contiguous(segments):
            kwh = sum(kw * (b - a).total_seconds() / 3600 for a, b, kw, _p in run)
            cost = sum(kw * (b - a).total_seconds() / 3600 * p for a, b, kw, p in run)
            out.append(
                PlannedSession(
                    charger_id=charger,
                    vehicle_id=vehicle,
                    plug_in=run[0][0],
                    plug_out=run[-1][1],
                    energy_kwh=kwh,
                    cost_usd=cost,
                )
            )
    return out


def _quarter(t: datetime) -> datetime:
    """``t`` floored to the quarter hour."""
    return t.replace(minute=t.minute - t.minute % 15, second=0, microsecond=0)


def _bounds(s: ChargerSchedule) -> list[datetime]:
    return [s.start + timedelta(seconds=p.start_s) for p in s.periods] + [s.start + timedelta(seconds=s.duration_s)]


def _contiguous(segments: list[tuple[datetime, datetime, float, float]]) -> list[list]:
    runs: list[list] = []
    for seg in segments:
        if runs and runs[-1][-1][1] == seg[0]:
            runs[-1].append(seg)
        else:
            runs.append([seg])
    return runs


def _soc_change(
    events: list[dict[str, Any]], vehicle: dict[str, Any] | None, started: datetime, stopped: datetime | None
) -> SocChange | None:
    if vehicle is None or stopped is None:
        return None
    socs = [(_time(e["event_time"]), float(e["values"]["soc_pct"])) for e in events if e["type"] == "soc"]
    before = [(t, v) for t, v in socs if started - SOC_WINDOW <= t <= started]
    after = [(t, v) for t, v in socs if stopped <= t <= stopped + SOC_WINDOW]
    if not before or not after:
        return None
    gained = (after[0][1] - before[-1][1]) / 100.0 * float(vehicle["battery_kwh"])
    return SocChange(
        vehicle_id=vehicle["id"], battery_kwh=max(gained, 0.0), efficiency=float(vehicle.get("charge_efficiency", 0.92))
    )


def audit_new_drifts(store: Store, tenant: str, report: Report) -> list[tuple[str, dict[str, Any]]]:
    """Audit each drift not audited before (``reconciliation.drift``, keyed by check, charger and session or
    vehicle); the new ones, (key, drift)."""
    new = []
    for d in report.drifts:
        key = f"{d.check}:{d.charger_id}:{d.transaction_id or d.vehicle_id}"
        if not store.audited(tenant, "reconciliation.drift", key):
            drift = d.model_dump(mode="json")
            store.audit(tenant, "reconciliation", "reconciliation.drift", key, drift)
            new.append((key, drift))
    return new


async def reconcile_periodically(
    store: Store, telemetry: TelemetryStore, every_s: float, window: timedelta, webhooks: WebhookSender | None = None
) -> None:
    """Every ``every_s`` [s]: reconcile each tenant with chargers over the last ``window``, audit new drifts
    (logged as a warning) and send each to the webhooks subscribed to ``reconciliation.drift``. Runs until
    cancelled."""
    registry = ChargerRegistry(store.engine)
    while True:
        await asyncio.sleep(every_s)
        now = datetime.now(UTC)
        for tenant in await asyncio.to_thread(registry.tenants):
            try:
                report = await asyncio.to_thread(reconcile_tenant, store, telemetry, tenant, now - window, now)
                fresh = await asyncio.to_thread(audit_new_drifts, store, tenant, report)
                for key, drift in fresh if webhooks is not None else []:
                    await webhooks.publish(tenant, "reconciliation.drift", key, drift)  # type: ignore[union-attr]
                new = len(fresh)
            except Exception:  # one tenant's failure must not stop the others' reconciliation
                LOG.exception("reconciliation of tenant %s failed", tenant)
                continue
            if new:
                LOG.warning("reconciliation: %d new drifts for tenant %s (GET /v1/reconciliation)", new, tenant)
