"""How hard each marketplace is asked: requests in flight (per marketplace and overall), time
between two request starts with jitter, and a per-host slow-down when a host pushes back."""

import math
import random
import threading
import time
from dataclasses import dataclass

from .model import Settings

SLOW_FACTOR = 2.0  # a 429, a 503 or a timeout doubles the host's interval...
SLOW_CAP = 8.0  # ...up to this many times: a check of a few requests still fits its deadline
RECOVER = 0.8  # each good answer takes the factor a step back towards 1
SLOW_FLOOR = 0.25  # seconds a slow-down multiplies when the marketplace has no interval


@dataclass
class Ticket:
    """Leave to send one request; hand it back to `Limiter.release`."""

    marketplace: str
    host: str


@dataclass
class _Marketplace:
    """Requests in flight to one marketplace and when the next may start."""

    in_flight: int = 0
    next_start: float = 0.0


@dataclass
class _Host:
    """A host that pushed back: how much slower it is asked, and when next."""

    factor: float = 1.0
    next_start: float = 0.0


class Limiter:
    """Politeness for every request of a run; safe to share between threads."""

    def __init__(self, settings: Settings, *, clock=time.monotonic,
                 rng: random.Random | None = None):
        self.settings = settings
        self.clock = clock
        self.rng = rng or random.Random()
        self._cond = threading.Condition()
        self._in_flight = 0
        self._marketplaces: dict[str, _Marketplace] = {}
        self._hosts: dict[str, _Host] = {}
        self._closed = False

    def poll(self, marketplace: str, host: str) -> tuple[Ticket | None, float]:
        """A ticket if a request may start now, else None and the seconds to wait (inf: full)."""
        with self._cond:
            now = self.clock()
            wait = self._wait(marketplace, host, now)
            if wait > 0:
                return None, wait
            return self._start(marketplace, host, now), 0.0

    def acquire(self, marketplace: str, host: str, timeout: float) -> Ticket:
        """A ticket once a request may start; TimeoutError if that is not within `timeout`."""
        with self._cond:
            give_up = self.clock() + timeout
            while True:
                if self._closed:
                    raise TimeoutError("the run was stopped")
                now = self.clock()
                wait = self._wait(marketplace, host, now)
                if wait <= 0:
                    return self._start(marketplace, host, now)
                left = give_up - now
                if left <= 0 or (wait < math.inf and wait > left):
                    raise TimeoutError(f"no turn for {marketplace} within {timeout:.1f}s")
                self._cond.wait(min(wait, left))

    def release(self, ticket: Ticket, throttled: bool | None = None) -> None:
        """Hand a ticket back; `throttled` True slows its host down, False speeds it back up."""
        with self._cond:
            self._marketplaces[ticket.marketplace].in_flight -= 1
            self._in_flight -= 1
            if self.settings.polite and throttled is not None:
                self._adapt(ticket, throttled)
            self._cond.notify_all()

    def factor(self, host: str) -> float:
        """How many times its normal interval a host is slowed down by."""
        with self._cond:
            return self._hosts[host].factor if host in self._hosts else 1.0

    def close(self) -> None:
        """Wake every waiting thread and refuse further waits: the run is over."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def _wait(self, marketplace: str, host: str, now: float) -> float:
        """Seconds until a request to `host` may start; inf while a concurrency limit is hit."""
        state = self._marketplaces.get(marketplace)
        # A limit below 1 would hold a marketplace for ever: it means one at a time.
        limit = max(self.settings.politeness(marketplace).concurrency, 1)
        if self._in_flight >= max(self.settings.concurrency, 1) or (
                state and state.in_flight >= limit):
            return math.inf
        if not self.settings.polite:
            return 0.0
        wait = state.next_start - now if state else 0.0
        if host in self._hosts:
            wait = max(wait, self._hosts[host].next_start - now)
        return max(wait, 0.0)

    def _start(self, marketplace: str, host: str, now: float) -> Ticket:
        """Count a request in and set when the next one to the same place may start."""
        state = self._marketplaces.setdefault(marketplace, _Marketplace())
        state.in_flight += 1
        self._in_flight += 1
        if self.settings.polite:
            interval = self.settings.politeness(marketplace).min_interval
            state.next_start = now + interval * self._jitter()
            slow = self._hosts.get(host)
            if slow and slow.factor > 1:
                slow.next_start = now + max(interval, SLOW_FLOOR) * slow.factor * self._jitter()
        return Ticket(marketplace, host)

    def _adapt(self, ticket: Ticket, throttled: bool) -> None:
        """Slow a host down after it pushed back; ease off again on good answers."""
        host = self._hosts.get(ticket.host)
        if throttled:
            host = self._hosts.setdefault(ticket.host, _Host())
            host.factor = min(SLOW_CAP, host.factor * SLOW_FACTOR)
            interval = self.settings.politeness(ticket.marketplace).min_interval
            host.next_start = max(host.next_start,
                                  self.clock() + max(interval, SLOW_FLOOR) * host.factor)
        elif host:
            host.factor *= RECOVER
            if host.factor <= 1.0:
                del self._hosts[ticket.host]  # back to normal: nothing to remember

    def _jitter(self) -> float:
        """A random factor around 1 (± settings.jitter)."""
        spread = self.settings.jitter
        return 1.0 + self.rng.uniform(-spread, spread) if spread else 1.0
