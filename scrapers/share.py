"""Share links: the short links a marketplace's "Chia sẻ" button makes (`s.shopee.vn/…`,
`vt.tiktok.com/…`), followed to the listing they stand for, or a reason why not.

Each adapter declares its link shortener's host names (`Adapter.share_hosts`, with what that
rests on in its module). `ShareResolver.resolve` follows a link hop by hop on the guarded
fetcher, so every hop's address is vetted after DNS resolution (OCOP_SCRAPER_ALLOWED_NETWORKS is
the only exception), and stops at the first URL on one of the marketplace's hosts that the
adapter parses as a listing, *without fetching it*: that URL, canonicalised, is the listing.

A hop is a 3xx `Location`; or, in a 2xx HTML answer (read up to MAX_BODY bytes), a meta refresh
(a redirect like any other), else a `<link rel=canonical>` or `og:url` that names a listing on
the marketplace's hosts (those two describe a page rather than send the reader on, so they are
taken only when they name a listing). Every URL before the listing must be on the shortener's
hosts or the marketplace's own: anything else is off the marketplace and is not requested.

robots.txt is not read for these requests, and that is deliberate: one link a person typed in,
expanded once at their request, is a user-triggered fetch, not crawling (Google's user-triggered
fetchers "generally ignore robots.txt rules" for that reason). The listing page itself is never
fetched here; the checks that do fetch it obey robots.txt. Requests carry the tracker's
User-Agent and go through the fetcher's politeness under the key "share:<adapter>".

Outcomes (`Resolution.outcome`), each for the caller to put in words:
  resolved            the listing was found (`url`, `item_id`)
  off_site            a hop leads off the marketplace (another domain, another country's site)
  refused             a hop's address (an IP in the URL, or what its name resolves to) is
                      private, loopback, link-local… (nothing was sent to it)
  unreachable         timeout, connection failure, a 5xx or 429 that persisted, 401/403/451
  too_many_redirects  more than MAX_HOPS hops, or a loop
  not_listing         the chain ends on a page that is not a listing: home page, search, 404
  budget              the caller's time for share links ran out before this one was followed
"""

import threading
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from . import adapters as registry
from .adapters.base import HTML_ACCEPT, HTML_TYPES, Adapter
from .extract import redirect_hints
from .fetch import REDIRECTS, Deadline, Fetcher, next_hop
from .guard import Guard, Resolver
from .identity import ListingUrl, UrlError, parse, split_host
from .model import FetchError, Politeness, Settings, Target

MAX_HOPS = 6  # requests per link; a shortener takes one or two
MAX_BODY = 64 * 1024  # of a 2xx page read for a meta refresh or canonical link (cut there)
TIMEOUT = 8.0  # seconds one link may take, every hop and retry included
RETRIES = 1  # a timeout or 5xx is tried once more
INTERVAL = 0.1  # seconds between two requests to one marketplace's shortener
OUTCOMES = ("resolved", "off_site", "refused", "unreachable", "too_many_redirects",
            "not_listing", "budget")
# What a fetch failure means for a share link.
FAILED = {"refused_address": "refused", "too_many_redirects": "too_many_redirects",
          "off_site": "off_site", "bad_url": "not_listing", "too_large": "not_listing",
          "robots": "unreachable"}


@dataclass(frozen=True)
class Resolution:
    """Where a share link led: the listing, or the outcome that says why not."""

    outcome: str  # one of OUTCOMES
    entered: str  # the share link as given
    listing: ListingUrl | None = None  # resolved: the listing (its `entered` the share link)
    last: str = ""  # the last URL reached or refused
    detail: str = ""  # for logs and evidence, not for users
    chain: tuple[dict, ...] = field(default=())  # every request: status and URL

    @property
    def ok(self) -> bool:
        return self.outcome == "resolved"


def host_name(url: str) -> str | None:
    """The host name of `url` without its port, lower-case; None for a URL that is no URL."""
    try:
        parts, _ = split_host(url)
    except UrlError:
        return None
    return (parts.hostname or "").rstrip(".").lower()


def share_adapter(url: str, adapters: Iterable[Adapter] | None = None) -> Adapter | None:
    """The adapter whose shortener made `url` (by host name, any port), if any."""
    name = host_name(url)
    if not name:
        return None
    return next((a for a in adapters or registry.ADAPTERS.values() if name in a.share_hosts),
                None)


class ShareResolver:
    """Follows share links on one guarded fetcher of its own; thread-safe.

    `budget` (seconds) bounds all the links one caller resolves (an import): each link gets at
    most what is left of it, and a link whose turn comes after it ran out is not followed
    (outcome "budget"). `workers` links are followed at once by `submit`.
    """

    def __init__(self, settings: Settings, *, resolver: Resolver | None = None,
                 timeout: float = TIMEOUT, budget: float | None = None, workers: int = 1):
        shares = {f"share:{name}": Politeness(max(workers, 1), INTERVAL)
                  for name in registry.ADAPTERS}
        self.settings = replace(
            settings, robots=False, max_redirects=MAX_HOPS, total_timeout=timeout,
            retries=min(settings.retries, RETRIES), backoff=min(settings.backoff, 0.5),
            concurrency=max(workers, 1), marketplaces={**settings.marketplaces, **shares})
        self.fetcher = Fetcher(self.settings, resolver=resolver)
        self.budget = Deadline(budget) if budget is not None else None
        self.workers = max(workers, 1)
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def submit(self, url: str, adapter: Adapter, hosts: Iterable[str]) -> "Future[Resolution]":
        """`resolve` on one of `workers` threads."""
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="share")
        return self._pool.submit(self.resolve, url, adapter, frozenset(hosts))

    def resolve(self, url: str, adapter: Adapter, hosts: Iterable[str]) -> Resolution:
        """Follow `url` (a link of `adapter`'s shortener) to a listing on `hosts` (the
        marketplace's hosts, with a port where not the default); never raises."""
        hosts = frozenset(hosts)
        url = url.strip()
        seconds = self.settings.total_timeout
        if self.budget is not None:
            seconds = min(seconds, self.budget.remaining())
            if seconds <= 0.05:
                return Resolution("budget", url, last=url, detail="no time left for share links")
        target = Target(key=url, url=url, adapter=adapter.name, marketplace=f"share:{adapter.name}",
                        hosts=frozenset())
        visit = self.fetcher.visit(target)
        visit.deadline = Deadline(seconds)
        chain: list[dict] = []

        def end(outcome: str, last: str, detail: str) -> Resolution:
            return Resolution(outcome, url, None, last, detail, tuple(chain))

        try:  # "s.shopee.vn/x" typed without its scheme: relative redirects need one
            current = split_host(url)[0].geturl()
        except UrlError:
            current = url
        seen: set[str] = set()
        for _ in range(MAX_HOPS + 1):
            try:
                host = split_host(current)[1]
            except UrlError as exc:
                return end("not_listing", current, f"{exc.code}: {current[:200]}")
            if host in hosts:
                if (listing := _listing(current, adapter)) is not None:
                    return Resolution("resolved", url, replace(listing, entered=url), current,
                                      f"{len(chain)} request(s)", tuple(chain))
            elif (name := host_name(current)) not in adapter.share_hosts:
                if _barred_address(name, self.fetcher.guard):
                    return end("refused", current, f"{name} is not a public address")
                return end("off_site", current, f"{host} is not a host of the marketplace")
            if current in seen:
                return end("too_many_redirects", current, f"a loop back to {current}")
            if len(seen) == MAX_HOPS:
                return end("too_many_redirects", current, f"more than {MAX_HOPS} hops")
            seen.add(current)
            visit.target = replace(target, hosts=frozenset({host}))  # this hop, vetted above
            try:
                page = self.fetcher.get(current, visit, accept=HTML_ACCEPT, limit=MAX_BODY,
                                        truncate=True, robots=False, follow=False)
            except FetchError as exc:
                chain.extend(exc.chain)
                return end(FAILED.get(exc.kind, "unreachable"), current,
                           f"{exc.kind}: {exc.detail}")
            chain.extend(page.chain)
            location = page.headers.get("location") if page.status in REDIRECTS else None
            if location:
                current = next_hop(current, location)
                continue
            if hop := _html_hop(page, current, adapter, hosts):
                current = hop
                continue
            if page.status in (401, 403, 451):  # a wall: no answer about where the link leads
                return end("unreachable", current, f"HTTP {page.status} at {current}")
            return end("not_listing", current, f"HTTP {page.status} at {current}")
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns

    def close(self) -> None:
        """Stop the threads and close the connections."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        self.fetcher.close()

    def __enter__(self) -> "ShareResolver":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def _barred_address(name: str, guard: Guard) -> bool:
    """Whether a host is an IP address the guard would refuse (a private one, say)."""
    try:
        return not guard.permitted(name.strip("[]"))
    except ValueError:  # a name, not an address
        return False


def _listing(url: str, adapter: Adapter) -> ListingUrl | None:
    """`url` parsed as one of the adapter's listings, or None."""
    try:
        return parse(url, adapter)
    except UrlError:
        return None


def _html_hop(page, current: str, adapter: Adapter, hosts: frozenset[str]) -> str | None:
    """Where a 2xx HTML page sends its reader: a meta refresh wherever it points (judged as
    the next hop), else a canonical link or og:url that names a listing on `hosts`."""
    if not 200 <= page.status < 300 or page.content_type not in HTML_TYPES:
        return None
    refresh, canonical, og_url = redirect_hints(page.text())
    if refresh:
        return next_hop(current, refresh)
    for claim in (canonical, og_url):
        if claim:
            url = next_hop(current, claim)
            try:
                on_marketplace = split_host(url)[1] in hosts
            except UrlError:
                continue
            if on_marketplace and _listing(url, adapter) is not None:
                return url
    return None
