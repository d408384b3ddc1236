"""Run a scenario: simpy processes for vehicles, telemetry, faults and incidents around one clock that lets the
controller act, moves vehicles in the yard and advances the physics every tick.

The yard: under an executed plan a vehicle is plugged into the charger of its session covering now (when that
charger is free and working) and unplugged when its session there ends; without one (uncontrolled charging, or a
policy in shadow mode) vehicles take the first free working charger they fit in arrival order (DC first for
those with a DC inlet) and are unplugged when full. A departure unplugs its vehicle and is logged against the
departure target ``min(E_max, P90 energy + 10 % of the battery)`` (the engine's default target, the same for every
policy and baseline so their readiness compares), met within half a percent of SOC (a BMS reports no finer).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import simpy

from engine.control.profiles import ChargerElectrics
from engine.domain import PlanningProblem
from engine.policy.schema import Policy
from engine.simulate.chargers import SimulatedCharger
from engine.simulate.controller import Controller
from engine.simulate.draws import DAY_MIN, Draws, draw
from engine.simulate.observe import Observer, Spike
from engine.simulate.scenario import Scenario
from engine.simulate.trips import SimTrip, daily_trips, extra_trips
from engine.simulate.world import LOW_SOC_ON_RETURN, TICK_MIN, Car, World
from engine.tariffs import Tariff
from engine.telemetry.events import TelemetryEvent

TARGET_RESERVE = 0.10  # share of the battery a departure target keeps beyond the trip's P90 energy [-]
READY_TOLERANCE = 0.005  # a departure within half a percent of SOC of its target is ready (BMS resolution) [0-1]
FULL_SOC = 0.995  # uncontrolled yards unplug a vehicle at this SOC [0-1]


@dataclass
class Simulation:
    """A finished run: the world's log, the controller's decisions, the trips and the draws."""

    scenario: Scenario
    policy: Policy | None
    strategy: str
    days: int
    seed: int
    world: World
    controller: Controller | None
    trips: list[SimTrip]
    draws: Draws
    tariff: Tariff
    spikes: list[Spike]


def target_kwh(trip: SimTrip, battery_kwh: float) -> float:
    """A departure's target [kWh] (module doc)."""
    return min(battery_kwh, trip.trip.energy_kwh_p90 + TARGET_RESERVE * battery_kwh)


def simulate(
    scenario: Scenario,
    problem: PlanningProblem,
    tariff: Tariff,
    policy: Policy | None = None,
    strategy: str = "optimal",
    days: int | None = None,
    seed: int | None = None,
    base_dir: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    mode: str | None = None,
) -> Simulation:
    """Simulate ``days`` days (default the scenario's) of ``problem``'s depot from its ``now`` under ``policy`` and
    ``strategy`` (``uncontrolled``: no controller at all, vehicles charge at full power when plugged in). ``mode``
    (shadow, assisted, automated) overrides the policy's for the depot: a shadow policy's plans run as if
    approved."""
    days = days or scenario.days
    seed = scenario.seed if seed is None else seed
    if len(problem.depots) != 1:
        raise ValueError(f"the simulator runs one depot; the problem has {len(problem.depots)}")
    chargers = {c.id: SimulatedCharger(c, ChargerElectrics.default_for(c)) for c in problem.chargers}
    world = World(problem, chargers)
    draws = draw(
        scenario,
        len(problem.vehicles),
        [c.id for c in problem.chargers],
        [c.kind.value for c in problem.chargers],
        days,
        seed,
    )
    zone = world.zone
    midnight0 = problem.now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)

    def day_start(day: int):
        return midnight0 + timedelta(days=day)

    def at_minute(day: int, minute_of_day: int) -> float:
        return world.minute(day_start(day) + timedelta(minutes=minute_of_day))

    trips = daily_trips(problem, days, draws.energy_factor, draws.return_delay_min)
    trips += extra_trips(problem, scenario.incidents, day_start, world.minute)
    spikes: list[Spike] = []
    firmware = iter(draws.firmware)
    faults = list(draws.charger_faults)
    for inc in scenario.incidents:
        start = at_minute(inc.day, inc.minute_of_day)
        end = start + inc.hours * 60
        if inc.kind == "price_spike":
            spikes.append(Spike(start - inc.notice_hours * 60, start, end, inc.price_usd_per_kwh or 0.0))
        elif inc.kind == "grid_outage":
            world.outages.append((start, end, inc.share or 0.0))
        elif inc.kind == "firmware_fault":
            faults += [(cid, start, end) for cid in next(firmware)]
    controller = None
    if strategy != "uncontrolled":
        if mode is None:
            mode = "automated" if policy is None else policy.mode.depots.get(world.depot.id, policy.mode.default)
        observer = Observer(problem, world, trips, tariff, spikes)
        controller = Controller(world, observer, policy, strategy, base_dir, mode, scenario.approval_delay_min)
    env = simpy.Environment()
    sim = Simulation(scenario, policy, strategy, days, seed, world, controller, trips, draws, tariff, spikes)
    end_min = days * DAY_MIN
    for car in world.cars.values():
        env.process(_vehicle(env, sim, car, [t for t in trips if t.vehicle_id == car.vehicle.id]))
        env.process(_reports(env, sim, car, end_min))
    for cid, start, stop in sorted(faults, key=lambda f: (f[1], f[0])):
        env.process(_fault(env, sim, cid, start, stop))
    env.process(_clock(env, sim, end_min, progress))
    if controller is not None:
        for s in problem.states:
            controller.receive(_soc_event(s.vehicle_id, s.soc, s.last_seen, "initial"), 0.0)
    env.run(until=end_min)
    world.close()
    return sim


def _soc_event(vehicle_id: str, soc: float, when, key: str) -> TelemetryEvent:
    return TelemetryEvent(
        event_id=f"{vehicle_id}:{key}",
        vehicle_id=vehicle_id,
        source="simulator",
        event_time=when,
        type="soc",
        values={"soc_pct": round(100 * min(1.0, max(0.0, soc)), 3)},
        payload_version="sim-1",
    )


def _send(env: simpy.Environment, sim: Simulation, car: Car, key: str, copies: int, delay: float) -> None:
    """A SOC report taken now, delivered ``copies`` times after ``delay`` [min]."""
    world = sim.world
    event = _soc_event(car.vehicle.id, car.soc, world.at(env.now), key)
    world.meter_at_reading[(car.vehicle.id, round(world.minute(event.event_time), 6))] = car.metered_kwh
    world.log.telemetry.append({"vehicle_id": car.vehicle.id, "key": key, "minute": env.now, "copies": copies})
    if sim.controller is None:
        return

    def deliver(env: simpy.Environment):
        yield env.timeout(delay)
        world.clock_min = env.now
        for _ in range(copies):
            sim.controller.receive(event, env.now)

    env.process(deliver(env))


def _vehicle(env: simpy.Environment, sim: Simulation, car: Car, trips: list[SimTrip]):
    world = sim.world
    state = world.problem.state_of(car.vehicle.id)
    if state is not None and not state.at_depot and state.available_from is not None:
        back = max(0.0, world.minute(state.available_from) + float(sim.draws.return_delay_min[0, car.index]))
        yield env.timeout(back)
        _arrive(env, sim, car, 0, trips)
    else:
        car.at_depot, car.arrived_min = True, 0.0
        _set_target(car, trips, env.now, world)
    for trip in sorted(trips, key=lambda t: t.trip.departure):
        leave = world.minute(trip.trip.departure)
        if leave < env.now:
            continue
        yield env.timeout(leave - env.now)
        world.clock_min = env.now
        if not car.at_depot:
            world.log.departures.append(_departure_row(sim, car, trip, env.now, missed="vehicle away"))
            continue
        world.log.departures.append(_departure_row(sim, car, trip, env.now))
        world.unplug(car)
        used = trip.real_energy_kwh
        car.energy_kwh = max(LOW_SOC_ON_RETURN * car.vehicle.battery_kwh, car.energy_kwh - used)
        car.at_depot, car.left_min, car.last_trip, car.arrived_min = False, env.now, trip, None
        car.planned_return = trip.trip.return_time
        back = world.minute(trip.trip.return_time) + trip.return_delay_min
        yield env.timeout(max(back - env.now, TICK_MIN))
        _arrive(env, sim, car, trip.day + 1, trips)


def _set_target(car: Car, trips: list[SimTrip], minute: float, world: World) -> None:
    ahead = [t for t in trips if world.minute(t.trip.departure) > minute]
    nxt = min(ahead, key=lambda t: t.trip.departure, default=None)
    car.target_kwh = None if nxt is None else target_kwh(nxt, car.vehicle.battery_kwh)
    car.ready_min = minute if car.target_kwh is not None and car.energy_kwh >= car.target_kwh - 1e-6 else None


def _arrive(env: simpy.Environment, sim: Simulation, car: Car, day: int, trips: list[SimTrip]) -> None:
    world = sim.world
    world.clock_min = env.now
    car.at_depot, car.arrived_min, car.first_charge_min = True, env.now, None
    car.metered_at_arrival = car.metered_kwh
    _set_target(car, trips, env.now, world)
    planned = car.last_trip.trip.return_time if car.last_trip is not None else None
    world.log.arrivals.append(
        {
            "vehicle_id": car.vehicle.id,
            "day": day,
            "arrived": world.at(env.now),
            "planned": planned,
            "soc": car.soc,
        }
    )
    fate = sim.draws.arrival(car.index, min(day, sim.draws.arrival_copies.shape[0] - 1))
    _send(env, sim, car, f"arrival:{day}", fate.copies, fate.delay_min)
    share = sim.draws.abort_share[min(day, sim.draws.abort_share.shape[0] - 1), car.index]
    if share == share:  # not NaN: this stay's first session stops early
        env.process(_abort(env, sim, car, float(share), trips))


def _abort(env: simpy.Environment, sim: Simulation, car: Car, share: float, trips: list[SimTrip]):
    world = sim.world
    ahead = [world.minute(t.trip.departure) for t in trips if world.minute(t.trip.departure) > env.now]
    dwell = (min(ahead) if ahead else sim.days * DAY_MIN) - env.now
    while car.charger is None or world.chargers[car.charger].transaction is None:  # wait for its first session
        yield env.timeout(TICK_MIN)
        if not car.at_depot:
            return
    yield env.timeout(max(TICK_MIN, share * dwell))
    if car.at_depot and car.charger is not None and world.chargers[car.charger].transaction is not None:
        world.clock_min = env.now
        world.chargers[car.charger].end("Other")
        world.log.exceptions.append({"kind": "session_aborted", "minute": env.now, "vehicle_id": car.vehicle.id})


def _reports(env: simpy.Environment, sim: Simulation, car: Car, end_min: float):
    every = sim.scenario.telemetry.every_min
    k = 0
    while env.now + every < end_min:
        yield env.timeout(every)
        k += 1
        if car.at_depot:
            fate = sim.draws.report(car.index, k)
            _send(env, sim, car, f"report:{k}", fate.copies, fate.delay_min)


def _fault(env: simpy.Environment, sim: Simulation, cid: str, start: float, stop: float):
    world = sim.world
    yield env.timeout(max(0.0, start - env.now))
    world.clock_min = env.now
    world.fault(cid)
    world.log.exceptions.append({"kind": "charger_fault", "minute": env.now, "charger_id": cid})
    yield env.timeout(max(TICK_MIN, stop - env.now))
    world.clock_min = env.now
    world.repair(cid)


def _departure_row(sim: Simulation, car: Car, trip: SimTrip, minute: float, missed: str | None = None) -> dict:
    target = target_kwh(trip, car.vehicle.battery_kwh)
    plan = sim.controller.plan if sim.controller is not None else None
    vp = next((v for v in plan.vehicles if v.vehicle_id == car.vehicle.id), None) if plan is not None else None
    energy = car.energy_kwh if missed is None else 0.0
    return {
        "vehicle_id": car.vehicle.id,
        "trip_id": trip.trip.id,
        "day": trip.day,
        "departure": trip.trip.departure,
        "extra": trip.extra,
        "soc": energy / car.vehicle.battery_kwh,
        "target_soc": target / car.vehicle.battery_kwh,
        "ready": missed is None and energy >= target - READY_TOLERANCE * car.vehicle.battery_kwh,
        "missed": missed or ("not enough energy" if energy < trip.real_energy_kwh else None),
        "energy_needed_kwh": trip.real_energy_kwh,
        "distance_km": trip.trip.distance_km,
        "planned_soc": None if vp is None else vp.soc_at_departure.get(trip.trip.id),
        "ready_at": None if car.ready_min is None or missed else sim.world.at(car.ready_min),
        "arrived_at": None if car.arrived_min is None else sim.world.at(car.arrived_min),
        "first_charge_at": None if car.first_charge_min is None else sim.world.at(car.first_charge_min),
    }


def _yard(sim: Simulation, minute: float) -> None:
    world = sim.world
    plan = sim.controller.plan if sim.controller is not None else None
    now = world.at(minute)
    if plan is None:
        for car in world.cars.values():
            if car.charger is not None and car.soc >= FULL_SOC:
                world.unplug(car)
        waiting = sorted(
            (c for c in world.cars.values() if c.at_depot and c.charger is None and c.soc < FULL_SOC),
            key=lambda c: (c.arrived_min or 0.0, c.vehicle.id),
        )
        for car in waiting:
            free = world.free_chargers(car)
            if free:
                world.plug(car, free[0])
        return
    now_ts = now.timestamp()
    wanted: dict[str, str] = {}
    for vp in plan.vehicles:
        for s in vp.sessions:
            if s.charger_id is not None and s.plug_in.timestamp() <= now_ts < s.plug_out.timestamp():
                wanted[vp.vehicle_id] = s.charger_id
    for car in world.cars.values():
        if car.charger is not None and wanted.get(car.vehicle.id) != car.charger:
            world.unplug(car)
    for vid, cid in sorted(wanted.items()):
        car, charger = world.cars[vid], world.chargers[cid]
        if car.at_depot and car.charger is None and charger.vehicle is None and not charger.faulted:
            world.plug(car, cid)


def _clock(env: simpy.Environment, sim: Simulation, end_min: float, progress: Callable[[int, int], None] | None):
    world, controller = sim.world, sim.controller
    surprises = [t for t in sim.trips if t.extra]  # checked every tick: not the month's daily trips
    day = -1
    while env.now < end_min:
        world.clock_min = env.now
        if controller is not None:
            if int(env.now // DAY_MIN) != day:
                day = int(env.now // DAY_MIN)
                controller.flag(f"daily:{day}")
            for s in sim.spikes:
                if s.known_min <= env.now < s.known_min + TICK_MIN:
                    controller.flag(f"price_spike:{s.start_min:.0f}")
            for a, b, _share in world.outages:
                if a <= env.now < a + TICK_MIN:
                    controller.flag(f"grid_outage:{a:.0f}")
                if b <= env.now < b + TICK_MIN:
                    controller.flag(f"grid_restored:{b:.0f}")
            for t in surprises:
                if t.known_from <= env.now < t.known_from + TICK_MIN:
                    controller.flag(f"extra_trip:{t.trip.id}")
            controller.tick(env.now)
        elif int(env.now // DAY_MIN) != day:
            day = int(env.now // DAY_MIN)
        if progress is not None and env.now % DAY_MIN < TICK_MIN:
            progress(day, sim.days)
        _yard(sim, env.now)
        if controller is not None:
            controller.sync(env.now)
        world.step(env.now)
        yield env.timeout(TICK_MIN)
