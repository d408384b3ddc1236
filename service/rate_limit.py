"""Per-key request rates: a token bucket per API key, and one per client address for failed authentication
(500 bad-key requests in 5.9 s were all answered; now the 21st bad key in a burst waits).

A bucket holds up to ``burst`` tokens and refills at ``rate`` per second; a request takes one token or is
refused with the seconds until the next one (the ``Retry-After`` of the 429). In memory, per server process: a
restart forgets the buckets, which only ever errs towards letting a request through.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

MAX_BUCKETS = 100_000  # buckets kept; the least recently used goes first [-]


class RateLimiter:
    """Token buckets keyed by any string (module doc)."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self.rate, self.burst, self.clock = rate, burst, clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, at)
        self._lock = threading.Lock()

    def take(self, key: str) -> float | None:
        """Take a token for ``key``: None if it may go ahead, else the seconds until it may [s]."""
        with self._lock:
            now = self.clock()
            tokens, at = self._buckets.pop(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - at) * self.rate)
            wait = None if tokens >= 1.0 else (1.0 - tokens) / self.rate
            self._buckets[key] = (tokens - 1.0 if wait is None else tokens, now)
            while len(self._buckets) > MAX_BUCKETS:
                self._buckets.popitem(last=False)
            return wait


def retry_after(wait_s: float) -> str:
    """The ``Retry-After`` header value for a wait [s]: whole seconds, at least 1."""
    return str(max(1, math.ceil(wait_s)))


@dataclass(frozen=True)
class RateLimits:
    """The service's buckets: per API key, and per client address for failed authentication."""

    per_key: RateLimiter
    failed: RateLimiter
