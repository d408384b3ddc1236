"""From a problem to a Decision: run a strategy, assign chargers, cost the plan with the tariff's bill."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from pyomo.common.gc_manager import PauseGC

from engine.decision.cost import lateness_usd, plan_cost
from engine.decision.depots import DepotJob, Submitter, decide_by_depot, depot_groups, solve_job
from engine.decision.directives import apply_directives
from engine.decision.fallbacks import Attempt, ChainResult, Relaxations, is_infeasible, then, walk_chain
from engine.decision.identity import content_hash, decision_key, problem_hash
from engine.decision.pins import apply_pins
from engine.decision.plan import build_plan
from engine.decision.price_spike import spike_cost
from engine.decision.routes import apply_routes
from engine.decision.stale_telemetry import apply_stale_telemetry
from engine.decision.tracing import build_trace
from engine.decision.trip_assignment import assign_trips, uncovered_trips, with_planned_energy
from engine.decision.violations import plan_violations
from engine.domain import PlanningProblem
from engine.optim.solve import SafetyNetFired, SolverFailed
from engine.optim.warm import WarmStart
from engine.policy.directives import Forbid, Prefer, evaluate_policy, policy_weights
from engine.policy.schema import Policy
from engine.results import STRATEGIES, Decision, Plan, SolverInfo
from engine.schedule.baselines import simulate
from engine.schedule.inputs import SiteTariffs, build_inputs
from engine.schedule.optimal import plan_optimal
from engine.schedule.pools import unavailable_chargers
from engine.schedule.stability import previous_power
from engine.weights import ObjectiveWeights


def _attempt(
    problem: PlanningProblem,
    strategy: str,
    weights: ObjectiveWeights | None,
    tariff: SiteTariffs,
    base: Path | None,
    previous: Plan | None,
    time_limit: float | None,
    policy: Policy | None,
    relax: Relaxations,
    warm: WarmStart | None = None,
    contention: str = "rounding",
) -> Attempt:
    """Evaluate the policy on ``problem``, apply its (relaxed) directives and run the strategy once. When HiGHS
    returns no plan (:class:`engine.optim.solve.SolverFailed`: infeasible, unbounded, the safety net fired) the EDF
    baseline stands in, recorded in the attempt's steps; an error while building the model is not a solver
    outcome and is raised (the API answers 500 with an error id, the CLI exits 1)."""
    directives, fired = ([], []) if policy is None else evaluate_policy(policy, problem)
    directives = relax.apply(directives)
    named = frozenset(d.charger for d in directives if isinstance(d, Forbid | Prefer) and d.charger)
    x = build_inputs(problem, weights, tariff, base, named)
    constraints = apply_directives(x, directives) if directives else {}
    for vehicle, rows in apply_pins(x, problem.pins).items():
        constraints[vehicle] = [*constraints.get(vehicle, []), *rows]
    if previous is not None:
        x.previous = previous_power(previous, x.slot_starts)
    steps: list[dict] = []
    if strategy == "optimal":
        try:
            sol, assigned, conflicts, solver, steps = plan_optimal(x, time_limit, warm, contention)
        except SolverFailed as err:  # HiGHS gave no plan; any other exception is a bug and propagates
            sol, assigned, conflicts = simulate(x, "edf")
            solver = SolverInfo(status="time_limit" if isinstance(err, SafetyNetFired) else "error", seconds=0.0)
            steps = [{"step": "solver_failed", "error": str(err), "fallback_strategy": "edf"}]
    else:
        sol, assigned, conflicts = simulate(x, strategy)
        solver = SolverInfo(status="not_applicable", seconds=0.0)
    return Attempt(problem, directives, fired, constraints, x, sol, assigned, conflicts, solver, steps)


def decide(
    problem: PlanningProblem,
    strategy: str = "optimal",
    weights: ObjectiveWeights | None = None,
    tariff: SiteTariffs = None,
    time_limit: float | None = None,
    base: Path | None = None,
    created: datetime | None = None,
    previous: Plan | None = None,
    policy: Policy | None = None,
    warm: WarmStart | None = None,
    contention: str = "rounding",
    executor: Submitter | None = None,
) -> Decision:
    """Plan ``problem`` with ``strategy`` and return the Decision (plan, cost, violations, solver, trace).

    With a policy: stale SOC readings are replaced as its ``stale_telemetry`` rule says, its rules become
    directives, and when hard targets cannot all hold its ``infeasible`` fallback chain is walked
    (:mod:`engine.decision.fallbacks`); every step is in ``trace.fallbacks``.

    ``tariff``: a Tariff for the problem's ``tariff`` reference, or a mapping depot id -> Tariff; a depot that
    names its own ``tariff`` is billed at it (:func:`engine.schedule.inputs.site_tariffs`).

    The decision id is the content hash of problem, strategy, weights, previous plan and policy, so the same input
    gives the same decision. ``created`` defaults to now (UTC) and is the only field that differs between replays.
    ``warm`` (optional, caller-owned) keeps the LP between re-plans of one depot (:mod:`engine.optim.warm`).
    ``contention`` chooses how sessions are chosen where vehicles outnumber chargers
    (:func:`engine.schedule.optimal.plan_optimal`). ``time_limit`` [s] is a wall-clock safety net only: no
    plan depends on it unless it fires, and then ``solver.status`` is ``time_limit`` and ``trace.replayable``
    is false with the reason.

    Depots that share nothing are planned one group at a time (:mod:`engine.decision.depots`) and merged; the
    groups run on ``executor`` when given (a ``concurrent.futures`` process pool or a ``dask.distributed.Client``
    whose workers have one thread each: durable-rules must not evaluate two policies at once in one process),
    else one after the other here. The merged Decision is the same either way. With ``warm`` the problem is
    planned whole (the warm LP belongs to one depot).
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")
    job = DepotJob(problem, strategy, weights, tariff, time_limit, base, created, previous, policy, contention)
    groups = depot_groups(problem) if warm is None else [tuple(d.id for d in problem.depots)]
    if len(groups) > 1:
        return decide_by_depot(job, groups, executor)
    if executor is not None:
        return executor.submit(solve_job, job).result()
    with PauseGC():  # a model and a plan of many small objects, none garbage until the end: collect once after
        return _decide(
            problem, strategy, weights, tariff, time_limit, base, created, previous, policy, warm, contention
        )


def _decide(
    problem: PlanningProblem,
    strategy: str,
    weights: ObjectiveWeights | None,
    tariff: SiteTariffs,
    time_limit: float | None,
    base: Path | None,
    created: datetime | None,
    previous: Plan | None,
    policy: Policy | None,
    warm: WarmStart | None,
    contention: str,
) -> Decision:
    """:func:`decide` after its argument check."""
    fallbacks: list[dict] = []
    review = False
    planned = problem
    if policy is not None:
        weights = policy_weights(policy, weights)
        planned, fallbacks, review = apply_stale_telemetry(problem, policy.stale_telemetry)
    routing = policy.routing if policy is not None else None
    planned, routed = apply_routes(planned, routing)
    before = {t.id: t.vehicle_id for t in planned.trips}
    planned, choices, assignment = assign_trips(planned, policy, weights, tariff, base)
    given = {t.id for t in planned.trips if t.route is not None and t.vehicle_id != before[t.id]}
    if given:  # routed trips the assignment gave a vehicle: their energy for that vehicle's battery
        planned, again = apply_routes(planned, routing, given)
        routed |= again

    def attempt(p: PlanningProblem, relax: Relaxations) -> Attempt:
        return _attempt(p, strategy, weights, tariff, base, previous, time_limit, policy, relax, None, contention)

    first = _attempt(
        planned, strategy, weights, tariff, base, previous, time_limit, policy, Relaxations(), warm, contention
    )
    chain = ChainResult(first, [], {}, False)
    if policy is not None and is_infeasible(first) and unavailable_chargers(planned):
        chain = walk_chain(policy.fallbacks.get("charger_unavailable", []), first, attempt, "charger_unavailable")
        fallbacks += chain.steps
    stale = any(f.get("event") == "stale_telemetry" for f in fallbacks)
    if policy is not None and stale and is_infeasible(chain.attempt) and not chain.manual_review:
        more = walk_chain(
            policy.fallbacks.get("stale_telemetry", []), chain.attempt, attempt, "stale_telemetry", chain.relaxations
        )
        chain = then(chain, more)
        fallbacks += more.steps
    if policy is not None and is_infeasible(chain.attempt) and not chain.manual_review:
        more = walk_chain(
            policy.fallbacks.get("infeasible", []), chain.attempt, attempt, "infeasible", chain.relaxations
        )
        chain = then(chain, more)
        fallbacks += more.steps
    spiky = policy is not None and bool(policy.fallbacks.get("price_spike")) and not chain.manual_review
    if spiky and spike_cost(chain.attempt) > 0.0:
        more = walk_chain(
            policy.fallbacks["price_spike"],
            chain.attempt,
            attempt,
            "price_spike",
            chain.relaxations,
            measure=spike_cost,
            metric="spike_cost_usd",
            tolerance=0.01,
        )
        chain = then(chain, more)
        fallbacks += more.steps
    review = review or chain.manual_review
    a = chain.attempt
    x, sol = a.x, a.sol
    cost, bills = plan_cost(x, sol, lateness_usd(a.problem, chain.delays_min, policy))
    violations = plan_violations(x, sol, a.conflicts) + uncovered_trips(a.problem, choices)
    choices = with_planned_energy(choices, x, sol)
    if assignment is not None:
        a.steps.insert(0, assignment)
    solver = a.solver
    solver_failed = any(step.get("step") == "solver_failed" for step in a.steps)  # an EDF plan stands in
    if solver_failed or a is not first or review:
        status = "fallback"
    else:
        status = "optimal" if solver.status == "optimal" else "feasible"
    plan = build_plan(x, sol, a.assigned, strategy)
    phash = problem_hash(problem)
    prev_hash = content_hash(previous) if previous is not None else ""
    pol = "" if policy is None else content_hash(policy)
    trace = build_trace(
        strategy=strategy,
        problem=problem,
        phash=phash,
        previous_hash=prev_hash,
        policy=policy,
        policy_hash=pol,
        attempt=a,
        reassigned=a.problem is not planned,
        plan=plan,
        violations=violations,
        bills=bills,
        fallbacks=fallbacks,
        delays_min=chain.delays_min,
        review=review,
        time_limit=time_limit,
        trip_assignment=choices,
    )
    if routed:
        trace = trace.model_copy(update={"trip_routes": routed})
    return Decision(
        decision_id=decision_key(phash, strategy, content_hash(x.weights), prev_hash, pol),
        created=created or datetime.now(UTC),
        status=status,
        problem_id=problem.id,
        plan=plan,
        cost=cost,
        violations=violations,
        solver=solver,
        trace=trace,
    )
