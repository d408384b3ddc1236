"""``/v1/decisions``: plan, read, trace, explain, replay, approve and override."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import Annotated, Any

import anyio
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import ClientException, NotFoundException
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_202_ACCEPTED

from engine.domain import PlanningProblem
from engine.policy.schema import Policy
from engine.results import Decision
from service.auth import Principal
from service.controllers.jobs import job_info, jobs_of, wants_async
from service.decisions import (
    approve,
    check_size,
    check_sync_size,
    compare_replay,
    record_decision,
    requested_policy,
    stored_for_request,
    stored_inputs,
    stored_or_404,
)
from service.exports import Format, table_response
from service.ocpp.dispatch import execute_if_due
from service.overrides import override_decision
from service.schemas import (
    DecisionPage,
    DecisionRequest,
    DecisionSummary,
    Explanation,
    JobInfo,
    OverrideRequest,
    OverrideResult,
    ReplayResult,
    ReviewRequest,
    ReviewResult,
)
from service.security import provide_principal, requires
from service.store import Store, StoredDecision, review_state


class DecisionController(Controller):
    """Decisions of the caller's tenant."""

    path = "/v1/decisions"
    tags = ["decisions"]
    dependencies = {"principal": Provide(provide_principal)}

    def _get(self, store: Store, principal: Principal, decision_id: str) -> StoredDecision:
        return stored_or_404(store, principal.tenant, decision_id)

    async def _run(self, request: Request, problem: PlanningProblem, policy: Policy, strategy: str) -> Decision:
        app = request.app
        check_size(problem, app.state.settings.max_vehicle_slots)
        decision = await app.state.planner.decide(problem, policy, strategy, datetime.now(UTC))
        app.state.metrics.solve.labels(strategy).observe(decision.solver.seconds)
        return decision

    @post(
        "/",
        operation_id="createDecision",
        summary="Plan a problem under a policy",
        description="Plans while the request waits, or with the header `Prefer: respond-async` answers 202 with a "
        "job to follow (`GET /v1/jobs/{job_id}`). A request identical to one already planned (same problem, policy "
        "and strategy) is answered at once with the stored decision.",
        guards=[requires("plan")],
        status_code=HTTP_201_CREATED,
        responses={
            HTTP_202_ACCEPTED: ResponseSpec(
                JobInfo, description="Queued as an asynchronous plan (`Prefer: respond-async`); see Location"
            )
        },
    )
    async def create(
        self, request: Request, principal: NamedDependency[Principal], data: JSONBody[DecisionRequest]
    ) -> Response[Decision]:
        """Plan ``problem`` under ``policy`` and store the Decision (same JSON as ``fleetcharge plan --json``)."""
        app = request.app
        store: Store = app.state.store
        policy, policy_name = requested_policy(app.state.settings.policies_dir, data.policy)
        check_size(data.problem, app.state.settings.max_vehicle_slots)
        found = await anyio.to_thread.run_sync(
            stored_for_request, store, principal.tenant, data.problem, policy, data.strategy
        )
        if found is not None:
            await anyio.to_thread.run_sync(
                partial(
                    store.audit,
                    principal.tenant,
                    principal.key_prefix,
                    "decision.create",
                    f"decision:{found.decision_id}",
                    {"policy": policy_name, "strategy": data.strategy, "status": found.status, "stored": True},
                )
            )
            return Response(
                Decision.model_validate(found.decision),
                status_code=HTTP_201_CREATED,
                headers={"Location": f"/v1/decisions/{found.decision_id}"},
            )
        runner = jobs_of(app)
        if runner is not None and wants_async(request.headers.get("prefer")):
            job = await runner.submit(
                principal.tenant, principal.key_prefix, data.problem, policy, policy_name, data.strategy
            )
            return Response(
                job_info(job),  # type: ignore[arg-type]
                status_code=HTTP_202_ACCEPTED,
                headers={"Location": f"/v1/jobs/{job.job_id}", "Preference-Applied": "respond-async"},
            )
        check_sync_size(data.problem, app.state.settings.max_sync_vehicle_slots, runner is not None)
        decision = await self._run(request, data.problem, policy, data.strategy)

        def record() -> Decision:  # JSON dumps, the insert and the stored copy's validation: off the event loop
            stored = record_decision(
                store,
                principal.tenant,
                principal.key_prefix,
                decision,
                data.problem,
                policy,
                policy_name,
                data.strategy,
            )
            return Decision.model_validate(stored.decision)

        recorded = await anyio.to_thread.run_sync(record)
        await execute_if_due(app.state.commands, store, principal.tenant, principal.key_prefix, recorded.decision_id)
        return Response(
            recorded, status_code=HTTP_201_CREATED, headers={"Location": f"/v1/decisions/{recorded.decision_id}"}
        )

    @get("/", operation_id="listDecisions", summary="List decisions", guards=[requires("read")], sync_to_thread=True)
    def list(
        self,
        request: Request,
        principal: NamedDependency[Principal],
        depot: FromQuery[str | None] = None,
        since: Annotated[
            str | None,
            QueryParameter(description="ISO 8601 time with its offset, e.g. 2025-07-14T00:00:00Z", max_length=64),
        ] = None,
        status: FromQuery[str | None] = None,
        page: Annotated[int, QueryParameter(ge=1, le=1_000_000)] = 1,
        page_size: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        fmt: Annotated[
            Format, QueryParameter(name="format", description="json, csv or parquet (the page's items)")
        ] = "json",
    ) -> Response[DecisionPage]:
        """The tenant's decisions, newest first, filtered by depot, creation time and status; with
        ``format=csv|parquet`` the page's items as a file, one row per decision."""
        store: Store = request.app.state.store
        after = None if since is None else _iso_time(since)
        rows, total = store.decision_summaries(
            principal.tenant, depot, after, status, limit=page_size, offset=(page - 1) * page_size
        )
        reviews = store.reviews_of_many(principal.tenant, [r.decision_id for r in rows])
        items = [
            DecisionSummary(
                decision_id=r.decision_id,
                created=r.created,
                status=r.status,
                mode=r.mode,
                review=review_state(reviews[r.decision_id]),
                depots=r.depots,
                strategy=r.strategy,
                policy=r.policy_name,
                bill_usd=r.bill_usd,
            )
            for r in rows
        ]
        if fmt != "json":
            return table_response([i.model_dump(mode="json") for i in items], fmt, "decisions")
        return Response(DecisionPage(items=items, page=page, page_size=page_size, total=total))

    @get(
        "/{decision_id:str}",
        operation_id="getDecision",
        summary="One decision",
        guards=[requires("read")],
        sync_to_thread=True,
    )
    def get_one(self, request: Request, principal: NamedDependency[Principal], decision_id: FromPath[str]) -> Decision:
        """The stored Decision."""
        return Decision.model_validate(self._get(request.app.state.store, principal, decision_id).decision)

    @get(
        "/{decision_id:str}/trace",
        operation_id="getDecisionTrace",
        summary="Full trace",
        guards=[requires("read")],
        sync_to_thread=True,
    )
    def trace(
        self, request: Request, principal: NamedDependency[Principal], decision_id: FromPath[str]
    ) -> dict[str, Any]:
        """Inputs (stored copy and content hash), policy, engine version, rules fired, constraints and their
        status, solver statistics, objective split, fallback steps and per-vehicle explanations."""
        store: Store = request.app.state.store
        s = self._get(store, principal, decision_id)
        d = Decision.model_validate(s.decision)
        t = d.trace

        return {
            "decision_id": s.decision_id,
            "created": s.created.isoformat(),
            "status": s.status,
            "mode": s.mode,
            "review": review_state(reviews := store.reviews_of(principal.tenant, decision_id)),
            "reviews": reviews,
            "inputs": {"problem_hash": s.problem_hash, "problem": s.problem, "strategy": s.strategy},
            "policy": {
                "name": s.policy_name,
                "version": s.policy_version,
                "hash": s.policy_hash,
                "document": s.policy,
            },
            "engine_version": s.engine_version,
            "rules_fired": [r.model_dump(mode="json") for r in t.rules_fired],
            "constraints": t.constraints,
            "constraint_status": t.constraint_status,
            "constraint_cost_usd": t.constraint_cost_usd,
            "binding_limits": [b.model_dump(mode="json") for b in t.binding_limits],
            "solver": d.solver.model_dump(mode="json"),
            "repair_steps": t.repair_steps,  # JSON records already
            "objective": {
                "cost": d.cost.model_dump(mode="json"),
                "terms": t.objective_terms,
                "bills": {k: b.model_dump(mode="json") for k, b in t.bills.items()},
            },
            "fallbacks": t.fallbacks,
            "manual_review": t.manual_review,
            "violations": [v.model_dump(mode="json") for v in d.violations],
            "explanations": t.explanations,
        }

    @get(
        "/{decision_id:str}/explain",
        operation_id="explainDecision",
        summary="Why this charger, why now",
        guards=[requires("read")],
        sync_to_thread=True,
    )
    def explain(
        self,
        request: Request,
        principal: NamedDependency[Principal],
        decision_id: FromPath[str],
        vehicle: FromQuery[str],
    ) -> Explanation:
        """The plain-words explanation for one vehicle of the decision."""
        d = Decision.model_validate(self._get(request.app.state.store, principal, decision_id).decision)
        text = d.trace.explanations.get(vehicle)
        plan = next((v for v in d.plan.vehicles if v.vehicle_id == vehicle), None)
        if text is None or plan is None:
            raise NotFoundException(f"decision {decision_id!r} has no vehicle {vehicle!r}")
        rules = [r.model_dump(mode="json") for r in d.trace.rules_fired if r.entity.split("/")[0] == vehicle]
        return Explanation(
            decision_id=decision_id,
            vehicle_id=vehicle,
            explanation=text,
            charger_id=plan.charger_id,
            sessions=[x.model_dump(mode="json") for x in plan.sessions],
            rules=rules,
            constraints=d.trace.constraint_status.get(vehicle, {}),
        )

    @post(
        "/{decision_id:str}/replay",
        operation_id="replayDecision",
        summary="Re-run the stored inputs",
        guards=[requires("plan")],
        status_code=HTTP_200_OK,
    )
    async def replay(
        self, request: Request, principal: NamedDependency[Principal], decision_id: FromPath[str]
    ) -> ReplayResult:
        """Re-run the stored problem with the stored policy and strategy; the plan must be identical."""
        store: Store = request.app.state.store
        s = self._get(store, principal, decision_id)
        problem, policy, strategy = stored_inputs(s)
        outcome = compare_replay(s, await self._run(request, problem, policy, strategy))
        store.audit(
            principal.tenant,
            principal.key_prefix,
            "decision.replay",
            f"decision:{decision_id}",
            {"identical": outcome.identical},
        )
        return ReplayResult(
            decision_id=decision_id,
            identical=outcome.identical,
            replayed_decision_id=outcome.replayed.decision_id,
            differences=outcome.differences,
            reason=outcome.reason,
        )

    @post(
        "/{decision_id:str}/approve",
        operation_id="approveDecision",
        summary="Approve (assisted mode)",
        guards=[requires("approve")],
        status_code=HTTP_200_OK,
    )
    async def approve(
        self,
        request: Request,
        principal: NamedDependency[Principal],
        decision_id: FromPath[str],
        data: JSONBody[ReviewRequest | None] = None,
    ) -> ReviewResult:
        """Approve a decision made in assisted or automated mode (shadow decisions answer 409)."""
        reason = data.reason if data is not None else ""
        store = request.app.state.store
        state, reviews = approve(store, principal.tenant, principal.key_prefix, decision_id, reason)
        await execute_if_due(request.app.state.commands, store, principal.tenant, principal.key_prefix, decision_id)
        return ReviewResult(decision_id=decision_id, review=state, reviews=reviews)

    @post(
        "/{decision_id:str}/override",
        operation_id="overrideDecision",
        summary="Override with changes and a reason",
        guards=[requires("approve")],
        status_code=HTTP_200_OK,
    )
    async def override(
        self,
        request: Request,
        principal: NamedDependency[Principal],
        decision_id: FromPath[str],
        data: JSONBody[OverrideRequest],
    ) -> OverrideResult:
        """Hold each change (vehicle, charger, window) and plan the decision's inputs again around it: the new plan
        is recorded as a decision of its own, approved by the override and linked from the original's review
        with the cost difference; a target it leaves unmet that the original met answers 409 unless accepted."""
        app = request.app
        return await override_decision(
            app.state.store, app.state.planner, principal.tenant, principal.key_prefix, decision_id, data
        )


def _iso_time(text: str) -> datetime:
    """``since`` as an aware time: ISO 8601 with an offset only (a bare number such as 0.5 is not a time)."""
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ClientException(f"since: not an ISO 8601 time: {text!r}; e.g. 2025-07-14T00:00:00Z") from None
    if when.tzinfo is None:
        raise ClientException("since must carry a UTC offset, e.g. 2025-07-14T00:00:00Z")
    return when
