"""The shapes the verification engine passes around; no Flask, no database.

A caller (the app, a benchmark) hands `Target`s and `Settings` to `engine.check_many` and gets
one `Result` per target: a verdict and the evidence behind it. Adapters see a `Page` for each
URL they ask for and return a `Finding`; transport failures reach them as `FetchError`.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

VERDICTS = ("active", "out_of_stock", "removed", "blocked", "unreachable", "unknown")
# How a marketplace's listings are read: a plain HTTP client, a real browser, or HTTP first and
# the browser only when HTTP could not see the listing (unknown or blocked).
FETCH_METHODS = ("http", "browser", "auto")
# Verdicts that say what the listing is; the others only say we could not see it.
DECISIVE = frozenset({"active", "out_of_stock", "unlisted", "removed"})


@dataclass(frozen=True)
class Target:
    """One listing to check: `hosts` are its marketplace's hosts (with a port when not default).

    Every URL an adapter calls is derived from `url` and `hosts`, never from constants, so a
    test can serve a marketplace on http://127.0.0.1:PORT.
    """

    key: int | str  # the caller's id for the listing
    url: str  # the canonical listing URL
    adapter: str  # a name from adapters.ADAPTERS
    marketplace: str  # the marketplace's slug: politeness and the circuit breaker go by it
    hosts: frozenset[str]
    item_id: str | None = None
    fetch: str = "http"  # one of FETCH_METHODS


@dataclass(frozen=True)
class Politeness:
    """How hard one marketplace may be asked: requests in flight, seconds between two starts."""

    concurrency: int = 2
    min_interval: float = 0.5


@dataclass(frozen=True)
class Settings:
    """Everything the engine needs to know; the app builds it from OCOP_* configuration."""

    user_agent: str = "OCOPListingTracker/0.1 (OCOP listing verification; operator not set)"
    accept_language: str = "vi-VN,vi;q=0.9,en;q=0.5"
    allowed_networks: tuple[str, ...] = ()  # e.g. ("127.0.0.1/32",) for tests; default: none
    allowed_endpoints: tuple[str, ...] = ()  # address:port pairs, e.g. ("127.0.0.1:5101",)
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    total_timeout: float = 60.0  # per listing, every attempt and redirect included
    max_bytes: int = 5 * 1024 * 1024  # decoded body
    max_redirects: int = 8
    retries: int = 3  # after the first attempt
    backoff: float = 1.0  # first wait before a retry; doubles each time
    max_retry_after: float = 60.0  # a longer Retry-After makes the listing unreachable
    robots: bool = True
    polite: bool = True  # False (benchmarks only): no intervals, no jitter, no slow-down
    jitter: float = 0.25  # share of the interval added or taken at random
    concurrency: int = 16  # requests in flight over all marketplaces
    marketplaces: Mapping[str, Politeness] = field(default_factory=dict)  # by slug
    # The browser route (targets whose fetch is "browser" or "auto"): Debian's Chromium, pages
    # rendered at once per process, pages before the browser is restarted, the RSS of the
    # browser's process tree above which it is restarted, and each page's JavaScript heap.
    browser_executable: str = "/usr/bin/chromium"
    browser_pages: int = 2
    browser_restart_pages: int = 200
    browser_max_rss_mb: int = 1024
    browser_js_heap_mb: int = 256
    # A JPEG of each rendered listing as a person would have seen it, at most this many bytes
    # (quality lowered until it fits, else none); 0: none taken.
    screenshot_max_bytes: int = 250_000

    def politeness(self, marketplace: str) -> Politeness:
        """The marketplace's own limits, or the defaults."""
        return self.marketplaces.get(marketplace) or Politeness()


@dataclass
class Page:
    """What one guarded GET returned after following redirects (each hop in `chain`)."""

    url: str  # as requested
    final_url: str
    status: int
    chain: list[dict]  # [{"status": 301, "url": "..."}, ..., {"status": 200, "url": final}]
    headers: Mapping[str, str]  # keys lower-case
    body: bytes
    elapsed: float
    attempts: int
    # Rendered by the browser route: the JSON the page's own scripts fetched, (url, parsed).
    responses: list[tuple[str, Any]] = field(default_factory=list)
    rendered: bool = False  # body is the DOM after scripts ran
    screenshot: bytes | None = None  # rendered: a JPEG of the viewport

    @property
    def content_type(self) -> str:
        """The media type without parameters, lower-case."""
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def redirected(self) -> bool:
        return len(self.chain) > 1

    def text(self) -> str:
        """The body decoded with its declared charset, else UTF-8, never raising."""
        charset = "utf-8"
        for part in self.headers.get("content-type", "").split(";")[1:]:
            name, _, value = part.strip().partition("=")
            if name.lower() == "charset" and value:
                charset = value.strip("\"' ")
        try:
            return self.body.decode(charset, errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body as JSON; raises ValueError when it is not."""
        return json.loads(self.body)


class FetchError(Exception):
    """A GET that produced no page to judge; `verdict` is what it means for the listing.

    `kind`: timeout, connection, status (408/429/5xx that persisted), too_large,
    too_many_redirects, refused_address, off_site, robots, robots_unreadable (robots.txt
    answered 5xx or nothing, here or for another listing a moment ago), bad_url; from the
    browser route:
    browser_missing (no Chromium at settings.browser_executable), browser_crashed (the page's
    renderer died, e.g. out of memory), browser_failed (the browser could not render the page).
    """

    VERDICT_OF = {
        "timeout": "unreachable",
        "connection": "unreachable",
        "status": "unreachable",
        "too_many_redirects": "unreachable",
        "too_large": "unknown",
        "refused_address": "unknown",
        "off_site": "unknown",
        "bad_url": "unknown",
        "robots": "blocked",
        "robots_unreadable": "unreachable",
        "browser_missing": "unknown",
        "browser_crashed": "unknown",
        "browser_failed": "unknown",
    }

    def __init__(self, kind: str, detail: str = "", *, url: str = "", chain=None,
                 attempts: int = 1, elapsed: float = 0.0, status: int | None = None):
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.detail = detail
        self.status = status  # the last HTTP status, when the failure was one
        self.url = url
        self.chain = list(chain or [])
        self.attempts = attempts
        self.elapsed = elapsed

    @property
    def verdict(self) -> str:
        return self.VERDICT_OF[self.kind]


@dataclass
class Finding:
    """An adapter's decision and what it saw: `rule` names the signal, `detail` quotes it."""

    verdict: str
    rule: str  # e.g. "http-404", "jsonld-availability", "phrase-out-of-stock", "captcha"
    detail: str = ""  # the field value or phrase that decided
    title: str | None = None
    price: int | None = None  # VND
    availability: str | None = None  # as the page said it, e.g. "OutOfStock"


@dataclass
class Result:
    """The verdict on one target with JSON-ready evidence; `verdict` None means not checked
    (its marketplace was paused by the circuit breaker), `evidence["paused"]` says why."""

    target: Target
    verdict: str | None
    evidence: dict
    checked_at: datetime  # UTC, naive
    screenshot: bytes | None = None  # the browser route's JPEG of the page it judged
