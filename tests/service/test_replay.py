"""Replay: 20 random problems, each decision replays identical through the API."""

from __future__ import annotations

import random

from engine.domain import PlanningProblem
from tests.engine.schedule.factory import problem, trip, vehicle
from tests.service.conftest import request_body


def random_problem(seed: int) -> PlanningProblem:
    rng = random.Random(seed)
    n = rng.randint(1, 4)
    vehicles = [vehicle(i, battery=rng.choice([40.0, 60.0, 80.0]), ac=rng.choice([7.2, 11.0])) for i in range(1, n + 1)]
    trips = [trip(i, rng.uniform(3, 10), rng.uniform(5, 35), priority=rng.randint(1, 5)) for i in range(1, n + 1)]
    p = problem(
        vehicles,
        trips,
        [rng.uniform(0.05, 0.9) for _ in range(n)],
        n_ac=rng.randint(1, n),
        limit=rng.choice([15.0, 30.0, 100.0]),
        horizon_h=12,
    )
    return p.model_copy(update={"tariff": rng.choice(["sce_tou_8_d", "sdge_al_tou", "pge_a10"]), "id": f"r{seed}"})


def test_twenty_random_decisions_replay_identical(client, keys) -> None:
    policies = ["courier", "utility_service", "municipal_saver"]
    for seed in range(20):
        body = request_body(random_problem(seed), policies[seed % 3])
        r = client.post("/v1/decisions", json=body, headers=keys.planner)
        assert r.status_code == 201, (seed, r.text)
        again = client.post(f"/v1/decisions/{r.json()['decision_id']}/replay", headers=keys.planner).json()
        assert again["identical"], (seed, again["differences"])
