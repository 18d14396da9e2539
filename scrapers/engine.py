"""Checks listings: each target's adapter judges the pages a guarded, polite fetch brings back.

`check_many` streams: it reads its targets lazily (a bounded read-ahead, so memory does not
grow with their number), keeps one queue per marketplace and starts a check only when its
marketplace may send a request right away, so no thread sits waiting on a slow or busy
marketplace while another has work. Results come back in completion order.

Each target's `fetch` picks its route: "http" judges what the guarded fetch brings back;
"browser" fetches the listing's document the same way and renders it in Chromium
(`browser.Browser`) before the same adapter judges it; "auto" goes the HTTP route and, only
when that gave `unknown` or `blocked`, the browser route, whose verdict is the result (the
evidence lists both). One browser serves every run of the process (`browser.shared`) and is
closed with the last of them.
"""

import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from queue import Empty, SimpleQueue

from .adapters import get as registry
from .adapters.base import HTML_ACCEPT, HTML_TYPES
from .browser import Browser, shared
from .fetch import Fetcher, Visit
from .guard import Resolver
from .identity import UrlError, split_host
from .model import VERDICTS, FetchError, Finding, Page, Result, Settings, Target
from .politeness import Ticket

# Targets read ahead of the checks (a few MB): when a slow marketplace's listings pile up in
# the window, the others still find work in it for a long while. Bounded, so memory stays flat.
READ_AHEAD = 8192
MAX_TEXT = 300  # characters of a quoted detail kept in evidence
MAX_REQUESTS = 10  # GETs listed in evidence, the last ones
IDLE = 0.5  # seconds between looks at the queues when nothing runs and nothing may start
FALLBACK = frozenset({"unknown", "blocked"})  # HTTP verdicts after which "auto" tries a browser
BROWSER_AHEAD = 2  # browser checks started per page the browser renders at once: documents
#                    are fetched while other pages render

Lookup = Callable[[str], object]  # adapter name -> object with check(target, fetch) -> Finding


def never(marketplace: str) -> bool:
    """No marketplace is paused."""
    return False


def utcnow() -> datetime:
    """Now in UTC, naive, as the app stores it."""
    return datetime.now(UTC).replace(tzinfo=None)


def check_one(target: Target, settings: Settings, *, resolver: Resolver | None = None,
              adapters: Lookup | None = None) -> Result:
    """Check one listing on a fetcher (and, if its route needs one, a browser) of its own."""
    with Fetcher(settings, resolver=resolver) as fetcher, \
            shared(settings, resolver=resolver) as browser:
        return check(fetcher, target, adapters or registry, browser=browser)


def check_many(targets: Iterable[Target], settings: Settings, *,
               paused: Callable[[str], bool] = never, resolver: Resolver | None = None,
               adapters: Lookup | None = None, read_ahead: int = READ_AHEAD) -> Iterator[Result]:
    """Check every target on settings.concurrency threads, yielding results as they finish.

    `targets` and `paused` are only ever called from the thread iterating the results, so they
    may use that thread's database session. A target whose marketplace is paused when its turn
    comes is not fetched: its result has verdict None and evidence {"paused": "degraded"}.
    Closing the iterator early stops waits at once and returns when running checks are over.
    """
    with Fetcher(settings, resolver=resolver) as fetcher, \
            shared(settings, resolver=resolver) as browser:
        yield from _Scheduler(targets, settings, fetcher, adapters or registry, paused,
                              max(read_ahead, 1), browser).run()


def check(fetcher: Fetcher, target: Target, lookup: Lookup, ticket: Ticket | None = None,
          browser: Browser | None = None) -> Result:
    """One listing by the route its `fetch` names: a finding with its evidence; never raises."""
    if target.fetch == "browser" and browser is not None:
        return check_browser(fetcher, browser, target, lookup, ticket)
    result = check_http(fetcher, target, lookup, ticket)
    if target.fetch != "auto" or browser is None or result.verdict not in FALLBACK:
        return result
    second = check_browser(fetcher, browser, target, lookup)
    second.evidence["routes"] = [_summary("http", result), _summary("browser", second)]
    return second


def _summary(route: str, result: Result) -> dict:
    """One route's outcome, for the evidence of a check that tried two."""
    facts = result.evidence
    return {"route": route, "verdict": result.verdict, "rule": facts.get("rule"),
            "detail": facts.get("detail"), "final_url": facts.get("final_url"),
            "elapsed": facts.get("elapsed"), "attempts": facts.get("attempts")}


def check_browser(fetcher: Fetcher, browser: Browser, target: Target, lookup: Lookup,
                  ticket: Ticket | None = None) -> Result:
    """The browser route: the listing's document fetched as the HTTP route does (robots.txt,
    politeness, hosts, redirects), rendered in Chromium when it is a 2xx HTML page, then judged
    by the adapter's `judge` — the one judgement both routes share."""
    started = time.monotonic()
    visit = fetcher.visit(target, ticket)
    error, seen = None, None
    try:
        adapter = lookup(target.adapter)
        page = visit(target.url, accept=HTML_ACCEPT)
        if 200 <= page.status < 300 and page.content_type in HTML_TYPES:
            expects = getattr(adapter, "browser_expects", None)
            page, seen = browser.render(target, page, visit.deadline,
                                        getattr(adapter, "browser_ready", None), visit.cookies,
                                        expects(target) if expects else None,
                                        getattr(adapter, "browser_warm", False))
            visit.last = page
        finding = _judged(adapter, target, page)
    except FetchError as exc:
        error = exc
        finding = _failed(exc)
    except Exception as exc:  # one broken page or adapter must not stop a run
        finding = Finding("unknown", "adapter-error", repr(exc))
    finally:
        visit.close()
    extra = {"route": "browser", **({"browser": seen} if seen is not None else {})}
    result = _result(target, visit, finding, error, started, extra)
    result.screenshot = page.screenshot if seen is not None and error is None else None
    return result


def _judged(adapter, target: Target, page: Page) -> Finding:
    """The adapter's finding on a page already fetched; checked like any finding."""
    judge = getattr(adapter, "judge", None)
    if judge is None:  # an adapter with only `check`: hand it the page as its fetch
        finding = adapter.check(target, lambda url, *, accept=None: page)
    else:
        finding = judge(target, page)
    return _valid(target, finding)


def _valid(target: Target, finding) -> Finding:
    """`finding` if it is one an adapter may return; TypeError otherwise."""
    if not isinstance(finding, Finding) or finding.verdict not in VERDICTS:
        raise TypeError(f"{target.adapter} returned {finding!r:.100}")
    return finding


def _result(target: Target, visit: Visit, finding: Finding, error: FetchError | None,
            started: float, extra: dict) -> Result:
    """The result of either route: the finding, its evidence and the route's own `extra`."""
    try:
        facts = evidence(visit, finding, error, started)
        facts.update(extra)
        return Result(target, finding.verdict, facts, utcnow())
    except Exception as exc:  # evidence is built from what an adapter returned: be careful
        return Result(target, "unknown", {"rule": "adapter-error", "detail": repr(exc)[:MAX_TEXT]},
                      utcnow())


def _failed(exc: FetchError) -> Finding:
    """The finding for a fetch that produced no page, its rule named after the failure."""
    return Finding(FetchError.VERDICT_OF.get(exc.kind, "unknown"), f"fetch-{exc.kind}",
                   exc.detail)


def check_http(fetcher: Fetcher, target: Target, lookup: Lookup, ticket: Ticket | None = None
               ) -> Result:
    """The HTTP route: the adapter's finding with the evidence behind it; never raises."""
    started = time.monotonic()
    visit = fetcher.visit(target, ticket)
    error = None
    try:
        finding = _valid(target, lookup(target.adapter).check(target, visit))
    except FetchError as exc:
        error = exc
        finding = _failed(exc)
    except Exception as exc:  # one broken page or adapter must not stop a run
        finding = Finding("unknown", "adapter-error", repr(exc))
    finally:
        visit.close()
    extra = {"route": "http"} if target.fetch != "http" else {}
    return _result(target, visit, finding, error, started, extra)


def evidence(visit: Visit, finding: Finding, error: FetchError | None, started: float) -> dict:
    """What an officer needs to see why a listing got its verdict; JSON-ready."""
    last = visit.last
    chain = list(last.chain) if last is not None else []
    if isinstance(last, Page):
        final_url = last.final_url
    else:
        final_url = chain[-1]["url"] if chain else visit.target.url
    facts = {
        "adapter": visit.target.adapter,
        "url": visit.target.url,
        "final_url": final_url,
        "chain": chain,
        "requests": visit.log[-MAX_REQUESTS:],
        "rule": str(finding.rule),
        "detail": _clip(finding.detail),
        "title": _clip(finding.title),
        "price": finding.price if isinstance(finding.price, int) else None,
        "availability": _clip(finding.availability),
        "elapsed": round(time.monotonic() - started, 3),
        "attempts": visit.attempts,
    }
    if error is not None:
        facts["error"] = {"kind": error.kind, "detail": _clip(error.detail)}
    return facts


def _clip(text) -> str | None:
    """Text cut to MAX_TEXT characters; None stays None."""
    return None if text is None else str(text)[:MAX_TEXT]


def _host(target: Target) -> str:
    """The host a target's first request goes to ("" when its URL is unusable)."""
    try:
        return split_host(target.url)[1]
    except UrlError:
        return ""


class _Scheduler:
    """One run of check_many: queues per marketplace, futures, the read-ahead window."""

    def __init__(self, targets: Iterable[Target], settings: Settings, fetcher: Fetcher,
                 lookup: Lookup, paused: Callable[[str], bool], window: int,
                 browser: Browser | None = None):
        self.source = iter(targets)
        self.exhausted = False
        self.settings, self.fetcher, self.lookup, self.paused = settings, fetcher, lookup, paused
        self.window = window
        self.queues: dict[str, deque[tuple[Target, str]]] = {}
        self.pending = 0
        self.active: Counter[str] = Counter()  # checks running per marketplace
        self.running: dict = {}  # future -> target
        # Futures put here by the worker that ends them: one hand-off per check, where waiting
        # on every running future (concurrent.futures.wait) cost a lock round on each per wake.
        self.finished: SimpleQueue[Future] = SimpleQueue()
        self.turn = 0
        self.browser = browser
        self.browsing = 0  # browser-route checks running
        self.browsing_limit = max(settings.browser_pages, 1) * BROWSER_AHEAD

    def run(self) -> Iterator[Result]:
        """Start what may start, wait for what runs, yield results; until all are done."""
        pool = ThreadPoolExecutor(max_workers=max(self.settings.concurrency, 1),
                                  thread_name_prefix="check")
        try:
            while True:
                self._refill()
                skipped = self._skip_paused()
                yield from skipped
                wake = self._start(pool)
                if not self.running:
                    if self.exhausted and not self.pending:
                        return
                    if not skipped:
                        time.sleep(min(wake, IDLE))
                    continue
                for future in self._finished(None if wake == float("inf") else wake):
                    target = self.running.pop(future)
                    self.active[target.marketplace] -= 1
                    self.browsing -= target.fetch == "browser"
                    yield future.result()
        finally:
            self.fetcher.stop()  # cut backoff and politeness waits short
            pool.shutdown(wait=True, cancel_futures=True)

    def _finished(self, timeout: float | None) -> list[Future]:
        """The checks that are over: waits up to `timeout` (None: as long as it takes) for one,
        then takes every other one already over."""
        try:
            futures = [self.finished.get(timeout=timeout)]
        except Empty:
            return []
        while True:
            try:
                futures.append(self.finished.get_nowait())
            except Empty:
                return futures

    def _refill(self) -> None:
        """Read targets until the window is full or the source is exhausted."""
        while self.pending < self.window and not self.exhausted:
            target = next(self.source, None)
            if target is None:
                self.exhausted = True
                return
            self.queues.setdefault(target.marketplace, deque()).append((target, _host(target)))
            self.pending += 1

    def _skip_paused(self) -> list[Result]:
        """Results for every queued target of a paused marketplace, without fetching."""
        skipped = []
        for name in [name for name in self.queues if self.paused(name)]:
            queue = self.queues.pop(name)
            self.pending -= len(queue)
            skipped.extend(Result(target, None, {"paused": "degraded"}, utcnow())
                           for target, _ in queue)
        return skipped

    def _start(self, pool: ThreadPoolExecutor) -> float:
        """Start checks round-robin over marketplaces while a thread is free and the head
        target's marketplace may send a request now; the seconds until one may (inf: wait
        for a check to finish)."""
        wake = float("inf")
        limiter = self.fetcher.limiter
        progress = True
        threads = max(self.settings.concurrency, 1)
        while progress and self.queues and len(self.running) < threads:
            progress = False
            names = list(self.queues)
            self.turn = (self.turn + 1) % len(names)
            for name in names[self.turn:] + names[:self.turn]:
                if len(self.running) >= threads:
                    break
                if self.active[name] >= max(self.settings.politeness(name).concurrency, 1):
                    continue
                queue = self.queues[name]
                target, host = queue[0]
                # browser checks past what the browser can take would only hold threads
                if target.fetch == "browser" and self.browsing >= self.browsing_limit:
                    continue
                ticket, seconds = limiter.poll(name, host)
                if ticket is None:
                    wake = min(wake, seconds)
                    continue
                queue.popleft()
                if not queue:
                    del self.queues[name]
                self.pending -= 1
                self.active[name] += 1
                self.browsing += target.fetch == "browser"
                future = pool.submit(check, self.fetcher, target, self.lookup, ticket,
                                     self.browser)
                self.running[future] = target
                future.add_done_callback(self.finished.put)
                progress = True
        return wake
