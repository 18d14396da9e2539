"""robots.txt, read once per scheme and host for a fetcher's lifetime, following Google's rules:
a 4xx (or no robots.txt at all) allows everything, a 5xx or no answer disallows for now."""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from protego import Protego

from .model import FetchError, Page

MAX_BYTES = 512_000  # Google reads the first 500 KiB
RETRY_FAILED = 60.0  # seconds before a robots.txt that could not be read is asked for again
# Failures that mean "there is no robots.txt we may read here", which allows everything.
NOT_FOUND = frozenset({"off_site", "too_many_redirects", "bad_url", "too_large"})


@dataclass
class _Entry:
    """What one origin's robots.txt said, or why it could not be read."""

    rules: Protego | None = None  # None: everything allowed
    error: FetchError | None = None  # set: disallowed until `until`
    until: float = 0.0


class Robots:
    """Answers whether a URL may be fetched; thread-safe, one robots.txt request per origin."""

    def __init__(self, user_agent: str, *, clock=time.monotonic):
        self.user_agent = user_agent
        self.clock = clock
        self._entries: dict[str, _Entry] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def check(self, url: str, load: Callable[[str], Page], timeout: float) -> None:
        """Raise FetchError("robots") if robots.txt disallows `url`; `load` GETs robots.txt.

        A robots.txt that could not be read (5xx, no answer) raises "robots_unreadable", its
        detail saying why, for RETRY_FAILED seconds.
        """
        parts = urlsplit(url)
        if parts.path == "/robots.txt":
            return
        origin = f"{parts.scheme}://{parts.netloc}"
        entry = self._entry(origin, load, timeout)
        if entry.error is not None:
            error = entry.error
            raise FetchError("robots_unreadable", f"robots.txt unreadable: {error.detail}",
                             url=url)
        if entry.rules is not None and not entry.rules.can_fetch(url, self.user_agent):
            raise FetchError("robots", f"{origin}/robots.txt disallows {parts.path}", url=url)

    def _entry(self, origin: str, load: Callable[[str], Page], timeout: float) -> _Entry:
        """The cached entry for `origin`, loading it once however many threads ask."""
        entry = self._entries.get(origin)
        if entry is not None and (entry.error is None or entry.until > self.clock()):
            return entry
        with self._lock:
            lock = self._locks.setdefault(origin, threading.Lock())
        if not lock.acquire(timeout=max(timeout, 0.0)):
            raise FetchError("timeout", "waited too long for robots.txt")
        try:
            entry = self._entries.get(origin)  # another thread may have loaded it meanwhile
            if entry is None or (entry.error is not None and entry.until <= self.clock()):
                entry = self._entries[origin] = self._load(origin, load)
            return entry
        finally:
            lock.release()

    def _load(self, origin: str, load: Callable[[str], Page]) -> _Entry:
        """Fetch and parse one robots.txt."""
        try:
            page = load(f"{origin}/robots.txt")
        except FetchError as exc:
            if exc.kind in NOT_FOUND:
                return _Entry()
            if exc.kind == "refused_address":
                raise  # not cached: the listing is refused whatever robots.txt says
            return _Entry(error=exc, until=self.clock() + RETRY_FAILED)
        if not 200 <= page.status < 300:
            return _Entry()  # 3xx left over, 4xx: no rules (5xx and 429 were raised as errors)
        try:
            return _Entry(rules=Protego.parse(page.body[:MAX_BYTES].decode("utf-8", "replace")))
        except Exception:  # noqa: BLE001 - a robots.txt nobody can parse holds no rule
            return _Entry()
