"""Rule evaluation in a recycled child process, for long-running callers (the service, benchmarks, loops).

durable-rules' native engine keeps about 80 kB per ruleset that received messages, even after the ruleset is
deleted (measured: one ruleset per rule, 20 rules -> ~1.7 MB per evaluation, whatever the number of posts).
Inside one process that memory never returns. :class:`IsolatedRules` runs :func:`engine.policy.evaluate.fire` in
a single child process (this process groups the subjects; only the distinct fact combinations cross over) that is replaced every ``evaluations_per_process`` evaluations, so the caller's memory
stays flat and the child's growth is bounded by ``evaluations_per_process x ~1.7 MB``. Results are identical to
calling ``fire`` directly (same function, same inputs).

Use it as a context manager; it owns its process and holds no global state::

    with IsolatedRules() as rules:
        fired = rules.fire(conditions, subjects)
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from types import TracebackType

from engine.policy.conditions import Condition
from engine.policy.evaluate import Facts, expand, group_subjects, judge


class IsolatedRules:
    """``fire`` in a child process recycled every ``evaluations_per_process`` calls."""

    def __init__(self, evaluations_per_process: int = 20) -> None:
        if evaluations_per_process < 1:
            raise ValueError("evaluations_per_process must be >= 1")
        self._pool = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            max_tasks_per_child=evaluations_per_process,
        )

    def fire(self, rules: dict[str, Condition], subjects: Iterable[tuple[str, Facts]]) -> set[tuple[str, str]]:
        """The (rule id, subject) pairs whose condition holds, computed by durable-rules in the child."""
        groups = group_subjects(rules, subjects)  # here: only the distinct fact combinations cross to the child
        return expand(groups, self._pool.submit(judge, rules, groups.used, groups.keys).result())

    def close(self) -> None:
        """Stop the child process."""
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> IsolatedRules:
        return self

    def __exit__(
        self, _type: type[BaseException] | None, _value: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self.close()
