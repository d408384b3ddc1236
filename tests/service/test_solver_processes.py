"""Solves in processes of their own (service.solver_processes): answers and errors come back, a crash ends one
solve and not the next, many at once never hang, a cancelled or overlong solve is killed, and nothing outlives
the server, even a SIGKILL of it."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from engine.errors import InputError
from service.solver_processes import SolverCrashed, SolverProcesses, SolverTimeout
from tests.service.solver_helpers import die, nap, refuse, square

ROOT = Path(__file__).resolve().parents[2]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()


def wait_gone(pid: int, seconds: float = 5.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if not alive(pid):
            return True
        time.sleep(0.05)
    return False


def test_results_and_errors_come_back_and_a_crash_ends_one_solve_only():
    solver = SolverProcesses(2, kill_after_s=60)

    async def go():
        assert await solver.run(square, 7) == 49
        with pytest.raises(InputError) as err:
            await solver.run(refuse, "problem.tariff")
        assert err.value.problems[0].field == "problem.tariff"
        with pytest.raises(SolverCrashed, match="exit code -9"):
            await solver.run(die)
        assert await solver.run(square, 8) == 64  # the next solve gets a fresh process

    asyncio.run(go())
    assert solver.state()["crashed"] == 1 and solver.busy == 0
    solver.close()


def test_a_hundred_concurrent_solves_on_two_slots_all_answer():
    # issue 15.2: after 100 concurrent requests the old pool had no worker left and the 101st never answered
    solver = SolverProcesses(2, kill_after_s=60)

    async def go():
        return await asyncio.wait_for(asyncio.gather(*(solver.run(square, i) for i in range(100))), 120)

    assert asyncio.run(go()) == [i * i for i in range(100)]
    assert solver.ready() and solver.state()["started"] == 100
    solver.close()


def test_a_cancelled_solve_is_killed_at_once_and_was_named_for_ps(tmp_path):
    # issue 15.9: solves of clients that left ran on
    solver = SolverProcesses(1, kill_after_s=60)
    pid_file = tmp_path / "pid"

    async def go():
        task = asyncio.create_task(solver.run(nap, 60, str(pid_file)))
        while not pid_file.exists() or not pid_file.read_text():
            await asyncio.sleep(0.05)
        assert Path(f"/proc/{pid_file.read_text()}/comm").read_text().strip() == "fleetcharge-sol"
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(go())
    assert wait_gone(int(pid_file.read_text()))
    assert solver.busy == 0 and solver.state()["killed"] == 1
    solver.close()


def test_a_solve_past_the_hard_limit_is_killed(tmp_path):
    solver = SolverProcesses(1, kill_after_s=1.0)
    pid_file = tmp_path / "pid"
    with pytest.raises(SolverTimeout, match="past 1 s"):
        asyncio.run(solver.run(nap, 60, str(pid_file)))
    assert wait_gone(int(pid_file.read_text()))
    solver.close()


@pytest.mark.long
def test_solves_end_when_the_server_is_killed(tmp_path):
    # issue 15.9: solver workers survived SIGKILL of the server as orphans
    pid_file = tmp_path / "pid"
    script = textwrap.dedent(
        f"""
        import asyncio, sys
        sys.path.insert(0, {str(ROOT)!r})
        from service.solver_processes import SolverProcesses
        from tests.service.solver_helpers import nap
        asyncio.run(SolverProcesses(1, kill_after_s=600).run(nap, 600, {str(pid_file)!r}))
        """
    )
    server = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT)
    try:
        end = time.monotonic() + 60
        while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < end:
            time.sleep(0.05)
        solve = int(pid_file.read_text())
        assert alive(solve)
        server.kill()
        server.wait(10)
        assert wait_gone(solve, 10), "the solve outlived the server"
    finally:
        server.kill()
