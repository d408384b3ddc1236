"""Solves in processes of their own: nothing shared that can deadlock, die for good or outlive the server.

Each solve runs in a fresh process forked from multiprocessing's *forkserver*, which imported the engine once
(``set_forkserver_preload``), so a process starts in milliseconds with the engine loaded. At most ``slots``
solves run at once (an asyncio semaphore; the others wait their turn). What that buys, against a long-lived
``ProcessPoolExecutor``:

- no deadlock: there is no pool whose workers are replaced (CPython 3.11's ``max_tasks_per_child`` can hang the
  pool for good, gh-115634); memory durable-rules never returns goes with the process;
- a crashed or killed solve ends one request with a clear error (:class:`SolverCrashed`), the next request gets
  a fresh process;
- a request whose client left (its task cancelled) kills its process at once, and a solve running past
  ``kill_after_s`` is killed (:class:`SolverTimeout`);
- nothing outlives the server: :meth:`SolverProcesses.close` kills every running solve; after a SIGKILL of the
  server the forkserver exits (it watches its parent) and each solve process, which watches the server's pid
  every ``WATCH_S``, exits too.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from multiprocessing import forkserver
from multiprocessing.connection import Connection
from typing import Any

WATCH_S = 0.5  # how often a solve process checks that the server still runs [s]
PRELOAD = ["engine.decision.decide", "engine.policy.evaluate", "service.decisions", "service.solver_processes"]


class SolverCrashed(RuntimeError):
    """The solve process ended without an answer (killed, out of memory, a crash in native code)."""


class SolverTimeout(RuntimeError):
    """The solve ran past the hard limit and was killed."""


def _watch(server_pid: int) -> None:
    """In the solve process: exit as soon as the server process is gone (a SIGKILL leaves no cleanup)."""
    while True:
        time.sleep(WATCH_S)
        try:
            os.kill(server_pid, 0)
        except ProcessLookupError:
            os._exit(70)
        except PermissionError:  # a process of another user took the pid: the server is gone
            os._exit(70)


def _name_process(name: bytes) -> None:
    """Set this process's name as the kernel shows it (Linux ``prctl(PR_SET_NAME)``; elsewhere nothing)."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(15, ctypes.c_char_p(name), 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _solve(conn: Connection, server_pid: int, fn: Callable[..., Any], args: tuple, kwargs: dict) -> None:
    """Body of a solve process: run ``fn`` and send ("ok", result) or ("error", exception) back."""
    _name_process(b"fleetcharge-sol")  # what ps and top show (15 characters at most)
    threading.Thread(target=_watch, args=(server_pid,), daemon=True, name="watch-server").start()
    try:
        out: tuple[str, Any] = ("ok", fn(*args, **kwargs))
    except Exception as exc:  # the parent re-raises it: input errors stay input errors
        out = ("error", exc)
    try:
        conn.send(out)
    except Exception as exc:  # something that does not pickle: say what
        conn.send(("error", RuntimeError(f"the solve's answer could not be sent back: {exc}"[:2000])))
    conn.close()


class SolverProcesses:
    """Runs ``fn(*args)`` in a fresh forkserver process, at most ``slots`` at once (module doc)."""

    def __init__(self, slots: int, kill_after_s: float) -> None:
        if slots < 1:
            raise ValueError("slots must be >= 1")
        self.slots, self.kill_after_s = slots, kill_after_s
        self._ctx = multiprocessing.get_context("forkserver")
        self._ctx.set_forkserver_preload(PRELOAD)
        self._gate: asyncio.Semaphore | None = None
        self._running: set[multiprocessing.process.BaseProcess] = set()
        self._lock = threading.Lock()
        self.started = self.crashed = self.killed = 0  # counters for /health
        self.closed = False
        forkserver.ensure_running()  # start it (and import the engine in it) now, not on the first request

    @property
    def busy(self) -> int:
        """Solves running now."""
        return len(self._running)

    def state(self) -> dict[str, Any]:
        """What ``/health`` reports: slots, busy, solves started, crashed and killed so far."""
        return {
            "kind": "process per solve (forkserver)",
            "slots": self.slots,
            "busy": self.busy,
            "started": self.started,
            "crashed": self.crashed,
            "killed": self.killed,
            "accepting": not self.closed,
        }

    def ready(self) -> bool:
        """Whether a new solve can start now: not closed and a slot free."""
        return not self.closed and self.busy < self.slots

    async def run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``fn(*args, **kwargs)`` in a solve process; its exception re-raised here. Cancelling the awaiting task
        kills the process."""
        if self.closed:
            raise SolverCrashed("the service is shutting down")
        if self._gate is None:
            self._gate = asyncio.Semaphore(self.slots)
        async with self._gate:
            return await self._run_one(fn, args, kwargs)

    async def _run_one(self, fn: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
        receiver, sender = self._ctx.Pipe(duplex=False)
        process = self._ctx.Process(
            target=_solve, args=(sender, os.getpid(), fn, args, kwargs), daemon=True, name="fleetcharge-solve"
        )
        with self._lock:
            if self.closed:
                raise SolverCrashed("the service is shutting down")
            process.start()
            self._running.add(process)
            self.started += 1
        sender.close()
        loop = asyncio.get_running_loop()
        answered = loop.create_future()

        def on_readable() -> None:
            if not answered.done():
                answered.set_result(None)

        loop.add_reader(receiver.fileno(), on_readable)
        try:
            try:
                await asyncio.wait_for(answered, self.kill_after_s)
            except TimeoutError:
                self._kill(process)
                raise SolverTimeout(
                    f"the solve ran past {self.kill_after_s:g} s and was stopped; try a shorter horizon or fewer "
                    "vehicles"
                ) from None
            try:
                status, value = receiver.recv()
            except (EOFError, OSError):
                process.join(5)
                self.crashed += 1
                raise SolverCrashed(
                    f"the solver process ended (exit code {process.exitcode}) before it answered; the request can "
                    "be retried"
                ) from None
        except asyncio.CancelledError:
            self._kill(process)  # the client left: its solve stops now
            raise
        finally:
            loop.remove_reader(receiver.fileno())
            receiver.close()
            await loop.run_in_executor(None, process.join, 5)
            with self._lock:
                self._running.discard(process)
        if status == "error":
            raise value
        return value

    def _kill(self, process: multiprocessing.process.BaseProcess) -> None:
        if process.is_alive():
            process.kill()
            self.killed += 1

    def open(self) -> None:
        """Take new solves again after :meth:`close` (an app started again in the same process)."""
        with self._lock:
            self.closed = False

    def close(self) -> None:
        """Refuse new solves and kill the running ones (shutdown: nothing may outlive the server)."""
        with self._lock:
            self.closed = True
            running = list(self._running)
        for p in running:
            self._kill(p)
        for p in running:
            p.join(5)
