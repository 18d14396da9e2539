"""The browser route: a listing page rendered in Debian's Chromium, handed to the adapter as a
`Page` whose body is the DOM after the page's scripts ran.

How one listing is read (`Browser.render`, called from an engine thread):
 1. The main document is fetched by the HTTP route's own `Visit` on the engine thread: robots.txt,
    politeness ticket, redirects followed hop by hop within the marketplace's hosts, every
    address vetted, size and time capped — the same code, so the same status chain and the same
    refusals. Only a 2xx HTML answer goes on to the browser; anything else is judged as it came.
 2. The browser thread opens a tab (`_Tab`: a context with service workers blocked, vi-VN,
    Asia/Ho_Chi_Minh, a desktop viewport, no downloads, whose proxy is a `proxy.Session` of its
    own) — a fresh one, or the marketplace's warm tab when its adapter asks (`browser_warm`),
    which forgot every cookie and storage of its last listing — and navigates to the
    document's final URL; the navigation is
    answered from the document fetched in step 1. Every other request the page makes goes
    through the session, which vets each address with the guard. Any further top-level
    navigation (a script setting `location`, a link, a pop-up) is stopped and recorded: an
    on-host one becomes a hop of the chain (so a script redirect to a login or verify page reads
    as the wall it is), an off-host one is listed as refused; neither is loaded.
 3. It waits until the adapter's `browser_ready` selector is in the DOM or the network is quiet
    (longer while the item data the adapter `browser_expects` has not come), bounded by the
    listing's deadline, then takes the DOM, and keeps the JSON responses the page fetched
    (capped in number and size).

The document request of step 1 carries the tracker's own User-Agent (settings.user_agent), like
every HTTP-route request; everything the browser itself sends carries Chromium's User-Agent
with that string appended. An anti-bot system that fingerprints the document request's TLS or
headers sees Python's client there, not Chromium: not testable here, and a reason a live
marketplace may still wall the browser route.

Threads: Playwright is not thread-safe, so one thread owns the browser and runs an asyncio loop;
one browser serves every run of the process at the same time (`shared`);
engine threads submit a coroutine and wait on its future. Up to `settings.browser_pages` pages
render at once. The browser starts on the first render, is restarted after
`settings.browser_restart_pages` pages or when the memory of its process tree (PSS, read from
/proc at most once a second) passes `settings.browser_max_rss_mb`, and is closed by `close()`.
Each renderer's JavaScript heap is capped (`--js-flags=--max-old-space-size`): a page that
allocates without end crashes its own renderer, and that listing gets `unknown`
(browser_crashed) while the run goes on.

No Chromium outlives this process: Playwright talks to Chromium over a pipe
(`--remote-debugging-pipe`), and Chromium exits when the pipe closes — when Playwright's driver
dies, and the driver exits when this process's end of its stdin closes, `kill -9` included
(tests/scrapers/test_browser_route.py kills a process mid-run and looks for its Chromium).
"""

import asyncio
import contextlib
import json
import os
import threading
import time
from dataclasses import fields
from pathlib import Path
from urllib.parse import urlsplit

from .guard import Guard, Resolver
from .identity import UrlError, split_host
from .model import FetchError, Page, Settings, Target
from .proxy import Session

VIEWPORT = {"width": 1366, "height": 900}
LOCALE = "vi-VN"
TIMEZONE = "Asia/Ho_Chi_Minh"
BYTES_FACTOR = 4  # a page may move this many times settings.max_bytes through the proxy
RESERVE = 1.5  # seconds of the deadline kept for taking the DOM and closing the context
GRACE = 5.0  # seconds past the deadline an engine thread waits before giving up on a render
MAX_RESPONSES = 20  # JSON responses kept per page
MAX_JSON = 1024 * 1024  # bytes of one JSON response read
MAX_NAVIGATIONS = 10
MAX_ORIGINS = 50  # origins a warm tab clears the storage of after a listing
FORGET_SECONDS = 5.0  # a warm tab that takes longer to forget its listing is closed
SKIPPED = frozenset({"image", "media", "font"})  # not needed for a verdict
SCREENSHOT_QUALITIES = (70, 45, 25)  # JPEG qualities tried, best first, until one fits
RSS_EVERY = 1.0  # seconds between two looks at the browser's memory
QUIET = 0.25  # seconds without a request in flight after which a page has settled
QUIET_LONG = 1.0  # the same, when the item data the adapter expects has not come (yet)
ARGS = (
    "--no-sandbox",  # we run as root in containers
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--no-first-run",
    "--no-default-browser-check",
    "--no-pings",
    "--metrics-recording-only",
    "--mute-audio",
    "--disable-features=OptimizationHints,MediaRouter,Translate,InterestFeedContentSuggestions,"
    "CalculateNativeWinOcclusion,AutofillServerCommunication,CertificateTransparencyComponentUpdater,"
    "DialMediaRouteProvider,PrivacySandboxSettings4,AcceptCHFrame,NetworkTimeServiceQuerying",
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
    "--webrtc-ip-handling-policy=disable_non_proxied_udp",
)
_DROPPED_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding",
                              "connection", "keep-alive", "set-cookie"})


def _children() -> dict[int, list[int]]:
    """Every process's children, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as stat:
                    parent = int(stat.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    return children


def descendants(pid: int | None = None) -> list[int]:
    """Pids of every descendant of `pid` (this process by default)."""
    children = _children()
    found, stack = [], list(children.get(pid or os.getpid(), []))
    while stack:
        child = stack.pop()
        found.append(child)
        stack.extend(children.get(child, []))
    return found


def memory(pids) -> int:
    """Bytes of memory `pids` hold together: the sum of their proportional set sizes (shared
    pages divided among the processes sharing them, so a browser's many processes are not
    counted many times over), or of their RSS where PSS cannot be read."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup", "rb") as rollup:
                for line in rollup:
                    if line.startswith(b"Pss:"):
                        total += int(line.split()[1]) * 1024
                        break
            continue
        except (OSError, ValueError):
            pass
        total += rss((pid,))
    return total


def rss(pids) -> int:
    """Bytes of resident memory `pids` hold, each counted whole (shared pages many times)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/statm", "rb") as statm:
                total += int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            continue
    return total


def browser_tree(marker: str) -> list[int]:
    """The pids of the Chromium started with `marker` on its command line, and its children."""
    roots = []
    for pid in descendants():
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                if marker.encode() in cmdline.read():
                    roots.append(pid)
        except OSError:
            continue
    found = set(roots)
    for root in roots:
        found.update(descendants(root))
    return sorted(found)


# The browsers of this process, with how many runs use each: a web process that starts several
# checks at once (no Redis) runs one Chromium, not one per check.
_SHARED: dict[tuple, list] = {}
_SHARED_LOCK = threading.Lock()
_PER_RUN = frozenset({"marketplaces", "concurrency", "polite", "jitter"})  # the browser ignores


@contextlib.contextmanager
def shared(settings: Settings, *, resolver: Resolver | None = None):
    """This process's browser for `settings`, shared by every run that uses it at the same time
    (its page limit, `browser_pages`, is then the whole process's) and closed when the last one
    ends. Runs differing only in politeness or concurrency share one."""
    key = (*(getattr(settings, f.name) for f in fields(settings) if f.name not in _PER_RUN),
           id(resolver))
    with _SHARED_LOCK:
        entry = _SHARED.get(key)
        if entry is None:
            entry = _SHARED[key] = [Browser(settings, resolver=resolver), 0]
        entry[1] += 1
    try:
        yield entry[0]
    finally:
        with _SHARED_LOCK:
            entry[1] -= 1
            last = entry[1] == 0
            if last:
                del _SHARED[key]
        if last:
            entry[0].close()


def _host_of(url: str) -> str | None:
    try:
        return split_host(url)[1]
    except UrlError:
        return None


class Browser:
    """One Chromium for a run, owned by one thread; `render` may be called from any thread."""

    def __init__(self, settings: Settings, *, resolver: Resolver | None = None):
        self.settings = settings
        self.guard = Guard(settings.allowed_networks, resolver, settings.allowed_endpoints)
        self.slots = threading.BoundedSemaphore(max(settings.browser_pages, 1))
        self.pages = 0  # rendered since the last (re)start
        self.launches = 0
        self.missing: str | None = None  # why there is no browser, once known
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._closed = False
        # browser-thread state
        self._playwright = None
        self._browser = None
        self._background: Session | None = None
        self._idle: list[_Tab] = []  # warm tabs between listings
        self._warm = 0  # warm tabs open, idle or rendering
        self._user_agent = settings.user_agent
        self._in_flight = 0
        self._restarting = False
        self._cond: asyncio.Condition | None = None
        self._rss = (0.0, 0)
        self._stalled = False
        # on Chromium's command line, so its processes can be told from other browsers'
        self._marker = f"--ocop-browser={os.getpid()}-{id(self):x}"

    # -- engine threads ----------------------------------------------------------------------
    def render(self, target: Target, document: Page, deadline, ready: str | None = None,
               cookies=None, expects=None, warm: bool = False) -> tuple[Page, dict]:
        """`document` (fetched by the HTTP route, which kept its `cookies`) rendered as a
        shopper's browser shows it, and what the browser saw (JSON-ready); raises FetchError.
        `deadline` is the listing's `fetch.Deadline`; `ready` a CSS selector and `expects` a
        test on response URLs, and `warm` whether to render in the marketplace's kept tab, from
        the adapter (`browser_ready`, `browser_expects`, `browser_warm`)."""
        if not Path(self.settings.browser_executable).exists():
            self.missing = f"no browser at {self.settings.browser_executable}"
        if self.missing:
            raise FetchError("browser_missing", self.missing, url=target.url)
        if not self.slots.acquire(timeout=max(deadline.remaining() - RESERVE, 0.0)):
            raise FetchError("timeout", "no browser page free before the deadline")
        try:
            loop = self._start_thread()
            future = asyncio.run_coroutine_threadsafe(
                self._render(target, document, time.monotonic() + deadline.remaining(), ready,
                             cookies, expects, warm), loop)
            try:
                return future.result(timeout=max(deadline.remaining(), 0.0) + GRACE)
            except TimeoutError:
                future.cancel()
                self._stalled = True  # a browser that cannot finish a page is restarted
                raise FetchError("timeout", "the browser did not finish the page in time"
                                 ) from None
        finally:
            self.slots.release()

    def close(self) -> None:
        """Close the browser and stop its thread; safe to call twice."""
        with self._lock:
            self._closed = True
            loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)

    def __enter__(self) -> "Browser":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _start_thread(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._closed:
                raise FetchError("browser_failed", "the run is over")
            if self._loop is None:
                loop = asyncio.new_event_loop()
                started = threading.Event()

                def run() -> None:
                    asyncio.set_event_loop(loop)
                    loop.call_soon(started.set)
                    loop.run_forever()
                    loop.close()

                self._thread = threading.Thread(target=run, name="browser", daemon=True)
                self._thread.start()
                started.wait()
                self._loop = loop
            return self._loop

    # -- the browser thread ------------------------------------------------------------------
    async def _launch(self) -> None:
        """Start Playwright (once) and Chromium, behind a refuse-all proxy."""
        from playwright.async_api import async_playwright

        if self._playwright is None:
            self._playwright = await async_playwright().start()
        if self._background is None:
            self._background = Session(self.guard, refuse_all=True)
        settings = self.settings
        try:
            self._browser = await self._playwright.chromium.launch(
                executable_path=settings.browser_executable, headless=True,
                args=[*ARGS, f"--js-flags=--max-old-space-size={settings.browser_js_heap_mb}",
                      self._marker],
                proxy={"server": self._background.server}, handle_sigint=False,
                handle_sigterm=False, handle_sighup=False, timeout=30_000)
        except Exception as exc:
            self.missing = f"Chromium did not start: {str(exc).splitlines()[0][:200]}"
            raise FetchError("browser_missing", self.missing) from None
        self.launches += 1
        self.pages = 0
        context = await self._browser.new_context()
        try:
            page = await context.new_page()
            agent = await page.evaluate("navigator.userAgent")
        finally:
            await context.close()
        # Chromium's own string (as it says when not headless) with the operator's contact.
        self._user_agent = f"{agent.replace('HeadlessChrome/', 'Chrome/')} {settings.user_agent}"

    async def _close_browser(self) -> None:
        for tab in self._idle:  # their contexts go with the browser
            tab.session.close()
        self._idle, self._warm = [], 0
        browser, self._browser = self._browser, None
        if browser is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(browser.close(), 20)

    async def _shutdown(self) -> None:
        await self._close_browser()
        if self._playwright is not None:
            with contextlib.suppress(Exception):
                await self._playwright.stop()
            self._playwright = None
        if self._background is not None:
            self._background.close()
            self._background = None

    def _due(self) -> str | None:
        """Why the browser should be restarted before the next page, if it should."""
        settings = self.settings
        if self._stalled:
            return "stalled"
        if self.pages >= max(settings.browser_restart_pages, 1):
            return "pages"
        at, rss = self._rss
        if time.monotonic() - at > RSS_EVERY:
            rss = memory(browser_tree(self._marker))
            self._rss = (time.monotonic(), rss)
        if rss > settings.browser_max_rss_mb * 1024 * 1024:
            return "memory"
        return None

    async def _enter(self):
        """The browser for one more page: launched, or restarted once the pages in flight
        are done, when it is due."""
        if self._cond is None:
            self._cond = asyncio.Condition()
        async with self._cond:
            await self._cond.wait_for(lambda: not self._restarting)
            alive = self._browser is not None and self._browser.is_connected()
            if not alive or self._due():
                self._restarting = True
                try:
                    await self._cond.wait_for(lambda: self._in_flight == 0)
                    await self._close_browser()
                    self._rss, self._stalled = (0.0, 0), False
                    await self._launch()
                finally:
                    self._restarting = False
                    self._cond.notify_all()
            self._in_flight += 1
            self.pages += 1
            return self._browser

    async def _leave(self) -> None:
        async with self._cond:
            self._in_flight -= 1
            self._cond.notify_all()

    async def _render(self, target: Target, document: Page, deadline: float,
                      ready: str | None, cookies, expects, warm: bool) -> tuple[Page, dict]:
        started = time.monotonic()
        browser = await self._enter()
        entered = time.monotonic()
        tab, done = None, False
        try:
            tab = await self._tab(browser, target.marketplace if warm else None)
            tab.session.rearm(self.settings.max_bytes * BYTES_FACTOR, deadline)
            await _add_cookies(tab.context, cookies, document.final_url)
            opened = time.monotonic()
            rendered, seen = await _Render(tab, target, document, deadline, ready, expects,
                                           started, self.settings).run()
            seen["seconds"] = {"waiting": round(entered - started, 3),
                               "opening": round(opened - entered, 3), **seen["seconds"]}
            done = True
            return rendered, seen
        except FetchError:
            raise
        except Exception as exc:  # Playwright errors: a crashed or closed browser, mostly
            text = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
            if "crash" in text.lower():
                raise FetchError("browser_crashed", text) from None
            raise FetchError("browser_failed", text) from None
        finally:
            if tab is not None:
                await self._release(tab, done)
            await self._leave()

    async def _tab(self, browser, marketplace: str | None) -> "_Tab":
        """A tab for one listing: a new one, or the marketplace's kept tab when `marketplace`
        is given (at most `browser_pages` are kept; the oldest idle one makes room)."""
        if marketplace is None:
            return await _Tab.open(self, browser, None)
        for tab in self._idle:
            if tab.marketplace == marketplace:
                self._idle.remove(tab)
                return tab
        if self._warm >= max(self.settings.browser_pages, 1) and self._idle:
            self._warm -= 1
            await self._idle.pop(0).close()
        self._warm += 1
        try:
            return await _Tab.open(self, browser, marketplace)
        except BaseException:
            self._warm -= 1
            raise

    async def _release(self, tab: "_Tab", done: bool) -> None:
        """Keep a warm tab that rendered its listing, once it forgot it; close any other."""
        if tab.marketplace is not None:
            if done and not tab.dead and self._browser is not None:
                try:
                    await asyncio.wait_for(tab.forget(), FORGET_SECONDS)
                    self._idle.append(tab)
                    return
                except Exception:  # noqa: BLE001 - a tab that cannot forget is not kept
                    pass
            self._warm -= 1
        await tab.close()


async def _add_cookies(context, jar, url: str) -> None:
    """Hand the cookies the document set (kept by the HTTP route's jar) to the context."""
    if not jar:
        return
    cookies = []
    for cookie in jar:
        entry = {"name": cookie.name, "value": cookie.value or "", "path": cookie.path or "/"}
        if cookie.domain and cookie.domain_specified:
            entry["domain"] = cookie.domain
        else:
            parts = urlsplit(url)
            entry = {"name": cookie.name, "value": cookie.value or "",
                     "url": f"{parts.scheme}://{parts.netloc}"}
        cookies.append(entry)
    with contextlib.suppress(Exception):
        await context.add_cookies(cookies)


class _Tab:
    """A browser context, its one page and the proxy session that is its only way out.

    Opened for one listing and closed after it, or, for a marketplace whose adapter asks for a
    warm session (`browser_warm`), kept and navigated to that marketplace's next listing: its
    renderer and the scripts it compiled stay (as in a shopper's open tab), while the listing's
    document, cookies and every storage of the origins it used are forgotten in between, so
    nothing a page stored reaches the next listing. The page's events go to the listing being
    rendered, `render`, and are dropped between listings.
    """

    def __init__(self, marketplace: str | None, session: Session):
        self.marketplace = marketplace  # None: closed after one listing
        self.session = session
        self.context = self.page = self._cdp = None
        self.render: _Render | None = None
        self.dead = False  # its renderer crashed
        self.origins: set[str] = set()  # that the current listing's requests went to

    @classmethod
    async def open(cls, owner: Browser, browser, marketplace: str | None) -> "_Tab":
        settings = owner.settings
        tab = cls(marketplace, Session(owner.guard, connect_timeout=settings.connect_timeout))
        try:
            tab.context = await browser.new_context(
                proxy={"server": tab.session.server}, user_agent=owner._user_agent,
                locale=LOCALE, timezone_id=TIMEZONE, viewport=VIEWPORT, service_workers="block",
                accept_downloads=False, permissions=[],
                extra_http_headers={"Accept-Language": settings.accept_language})
            await tab.context.route("**/*", tab._route)
            tab.context.on("page", tab._popup)
            page = tab.page = await tab.context.new_page()
            for event, method in (("request", "request_started"),
                                  ("requestfinished", "request_ended"),
                                  ("requestfailed", "request_ended"),
                                  ("response", "response_came"),
                                  ("domcontentloaded", "document_parsed")):
                page.on(event, tab._forward(method))
            page.on("crash", tab._crashed)
            page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.dismiss()))
        except BaseException:
            await tab.close()
            raise
        return tab

    def _forward(self, method: str):
        def forward(argument) -> None:
            render = self.render
            if render is not None:
                getattr(render, method)(argument)
        return forward

    def _crashed(self, _page) -> None:
        self.dead = True
        if self.render is not None and not self.render.crashed.done():
            self.render.crashed.set_result(True)

    async def _route(self, route) -> None:
        render = self.render
        if render is None:  # between listings: nothing leaves
            with contextlib.suppress(Exception):
                await route.abort("blockedbyclient")
            return
        await render.route(route)

    def _popup(self, page) -> None:
        if page is not self.page and self.page is not None:
            if self.render is not None:
                self.render.popups += 1
            asyncio.ensure_future(page.close())

    async def forget(self) -> None:
        """Forget the listing just rendered: its session storage, its document, the cookies and
        every storage (local, IndexedDB, cache, service workers…) of the origins it used."""
        with contextlib.suppress(Exception):  # an opaque or crashed document has none
            await self.page.evaluate("sessionStorage.clear()")
        await self.page.goto("about:blank")
        await self.context.clear_cookies()
        if self._cdp is None:
            self._cdp = await self.context.new_cdp_session(self.page)
        for origin in self.origins:
            await self._cdp.send("Storage.clearDataForOrigin",
                                 {"origin": origin, "storageTypes": "all"})
        self.origins.clear()

    async def close(self) -> None:
        if self.context is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.context.close(), 10)
        self.session.close()


class _Render:
    """One listing in a tab: routing, waiting, and what it saw."""

    def __init__(self, tab: _Tab, target: Target, document: Page, deadline: float,
                 ready: str | None, expects, begun: float, settings: Settings):
        self.tab, self.target, self.document, self.settings = tab, target, document, settings
        self.begun = begun  # when the engine thread asked for the page
        self.deadline, self.ready, self.session = deadline, ready, tab.session
        self.page = tab.page
        self.started = time.monotonic()
        self.served = False
        self.navigations: list[str] = []  # top-level navigations aborted, on-host
        self.off_site: list[str] = []  # and off-host
        self.popups = 0
        self.responses: list[tuple[str, object]] = []
        self.reading: set[asyncio.Task] = set()
        self.crashed = asyncio.get_running_loop().create_future()
        self.expects = expects  # url -> whether it is the item data the adapter awaits
        self.expected = False  # and whether it came
        self.loaded = False  # DOMContentLoaded fired
        self.mine: set = set()  # the requests this listing's page made
        self.live: set = set()  # and those still under way, and when the last one ended
        self.last_change = time.monotonic()

    async def run(self) -> tuple[Page, dict]:
        self.tab.render = self
        try:
            return await self._run()
        finally:
            self.tab.render = None

    async def _run(self) -> tuple[Page, dict]:
        document, page = self.document, self.page
        left = self._left()
        if left <= 0:
            raise FetchError("timeout", "no time left to render the page")
        goto = asyncio.ensure_future(page.goto(document.final_url, wait_until="commit",
                                               timeout=left * 1000))
        await self._until(goto, left)
        if self.crashed.done():
            raise FetchError("browser_crashed", "the page's renderer crashed while loading")
        if not goto.done():
            goto.cancel()
            raise FetchError("timeout", "the browser did not open the page in time")
        goto.result()
        loaded = time.monotonic()
        settled = await self._settle()
        quiet = time.monotonic()
        if self.crashed.done():
            raise FetchError("browser_crashed",
                             "the page's renderer crashed (out of memory or killed)")
        if self.session.over_budget:
            raise FetchError("too_large", f"the page moved over {self.session.budget} bytes")
        html = await self._content()
        shot, shot_note = await self._screenshot()
        if self.reading:
            await asyncio.wait(self.reading, timeout=min(max(self._left(), 0.1), 1.0))
        chain = list(document.chain) + [{"status": 0, "url": url, "by": "script"}
                                        for url in self.navigations]
        rendered = Page(document.url, document.final_url, document.status, chain,
                        {"content-type": "text/html; charset=utf-8"}, html.encode("utf-8"),
                        round(time.monotonic() - self.begun + document.elapsed, 3),
                        document.attempts, responses=list(self.responses), rendered=True,
                        screenshot=shot)
        return rendered, {
            "screenshot": shot_note,
            "settled": settled, "warm": self.tab.marketplace is not None,
            "bytes": self.session.bytes, "connections": self.session.connections,
            "refused": self.session.refused[:10],
            "navigations_refused": self.off_site[:MAX_NAVIGATIONS],
            "popups_refused": self.popups,
            "responses": len(self.responses),
            "seconds": {"loading": round(loaded - self.started, 3),
                        "settling": round(quiet - loaded, 3),
                        "reading": round(time.monotonic() - quiet, 3)},
        }

    def _left(self) -> float:
        return self.deadline - time.monotonic() - RESERVE

    async def _until(self, task, timeout: float) -> None:
        """Wait for `task` or a crash, at most `timeout` seconds."""
        await asyncio.wait({task, self.crashed}, timeout=max(timeout, 0),
                           return_when=asyncio.FIRST_COMPLETED)

    # -- the tab's events, while this listing is its render ----------------------------------
    def request_started(self, request) -> None:
        self.mine.add(request)
        self.live.add(request)
        self.last_change = time.monotonic()
        if len(self.tab.origins) < MAX_ORIGINS:
            with contextlib.suppress(UrlError):
                parts, host = split_host(request.url)
                self.tab.origins.add(f"{parts.scheme}://{host}")

    def request_ended(self, request) -> None:
        if request in self.live:
            self.live.discard(request)
            self.last_change = time.monotonic()

    def document_parsed(self, _page) -> None:
        self.loaded = True

    def response_came(self, response) -> None:
        """Keep the JSON the page's own scripts fetched."""
        if response.request not in self.mine:
            return  # the last listing's
        if self.expects is not None and not self.expected:
            with contextlib.suppress(Exception):
                self.expected = bool(self.expects(response.url))
        if len(self.responses) + len(self.reading) >= MAX_RESPONSES:
            return
        try:
            if response.request.resource_type not in ("xhr", "fetch"):
                return
            kind = (response.headers.get("content-type") or "").split(";")[0].strip().lower()
            if not (kind == "application/json" or kind.endswith("+json")):
                return
            length = response.headers.get("content-length", "")
            if length.isdigit() and int(length) > MAX_JSON:
                return
        except Exception:
            return
        task = asyncio.ensure_future(self._read_json(response))
        self.reading.add(task)
        task.add_done_callback(self.reading.discard)

    async def _read_json(self, response) -> None:
        with contextlib.suppress(Exception):
            body = await response.body()
            if len(body) <= MAX_JSON and len(self.responses) < MAX_RESPONSES:
                self.responses.append((response.url, json.loads(body)))

    async def _quiet(self) -> None:
        """Until the document was parsed (its scripts ran) and no request was under way for QUIET
        seconds (QUIET_LONG while the item data the adapter expects has not come).
        Playwright's own "networkidle" waits 500 ms, and its load states lose track once a
        script's navigation was stopped."""
        while True:
            quiet = time.monotonic() - self.last_change
            if (self.loaded and not self.live and quiet >= QUIET
                    and (self.expected or self.expects is None or quiet >= QUIET_LONG)):
                return
            await asyncio.sleep(QUIET - quiet if not self.live else QUIET / 2)

    async def _settle(self) -> bool:
        """Until the adapter's selector is there or the network is quiet; False at the
        deadline."""
        page = self.page
        waits = {asyncio.ensure_future(self._quiet())}
        if self.ready:
            waits.add(asyncio.ensure_future(page.wait_for_selector(
                self.ready, state="attached", timeout=self._left() * 1000)))
        done, pending = await asyncio.wait({*waits, self.crashed}, timeout=max(self._left(), 0),
                                           return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            if task is not self.crashed:
                task.cancel()
        for task in done - {self.crashed}:
            with contextlib.suppress(Exception):
                task.result()
                return True
        return False

    async def _screenshot(self) -> tuple[bytes | None, dict]:
        """A JPEG of the viewport within the size cap, and a note on it; never fails the
        listing: the verdict comes from the DOM, the picture is for a person to look at."""
        cap = self.settings.screenshot_max_bytes
        if not cap:
            return None, {"taken": False, "why": "off"}
        for quality in SCREENSHOT_QUALITIES:
            left = self._left() + RESERVE - 0.5
            if left <= 0:
                return None, {"taken": False, "why": "no time left"}
            try:
                shot = await asyncio.wait_for(
                    self.page.screenshot(type="jpeg", quality=quality, animations="disabled",
                                         caret="initial", timeout=left * 1000), left)
            except Exception as exc:  # noqa: BLE001 - e.g. a renderer too busy to paint
                return None, {"taken": False, "why": str(exc).splitlines()[0][:200]}
            if len(shot) <= cap:
                return shot, {"taken": True, "bytes": len(shot), "quality": quality}
        return None, {"taken": False, "why": f"over {cap} bytes at quality {quality}"}

    async def _content(self) -> str:
        content = asyncio.ensure_future(self.page.content())
        await self._until(content, max(self._left() + RESERVE - 0.3, 0.5))
        if self.crashed.done():
            content.cancel()
            raise FetchError("browser_crashed", "the page's renderer crashed")
        if not content.done():
            content.cancel()
            raise FetchError("timeout", "the page's DOM could not be read in time")
        return content.result()

    async def route(self, route) -> None:
        """Answer the listing's navigation from the fetched document; abort other top-level
        navigations, pop-ups, skipped resource types and non-http(s) schemes."""
        request = route.request
        try:
            url = request.url
            if not url.startswith(("http://", "https://")):
                await route.abort("blockedbyclient")
                return
            if request.is_navigation_request():
                frame = request.frame
                if frame.parent_frame is None:
                    if frame.page is not self.page:  # a pop-up
                        await route.abort("blockedbyclient")
                        return
                    # the first is the listing's own (our goto; Chromium may have normalised
                    # its URL's spelling)
                    if not self.served:
                        self.served = True
                        await route.fulfill(status=self.document.status,
                                            headers=_headers(self.document),
                                            body=self.document.body)
                        return
                    host = _host_of(url)
                    if host in self.target.hosts:
                        if len(self.navigations) < MAX_NAVIGATIONS:
                            self.navigations.append(url)
                    elif len(self.off_site) < MAX_NAVIGATIONS:
                        self.off_site.append(url)
                    # 204 No Content: the navigation ends where it is, and the page the
                    # listing rendered stays (an abort would put an error page in its place)
                    await route.fulfill(status=204, body=b"")
                    return
            if request.resource_type in SKIPPED:
                await route.abort("blockedbyclient")
                return
            await route.continue_()
        except Exception:  # the page or context went away meanwhile
            with contextlib.suppress(Exception):
                await route.abort("failed")


def _headers(document: Page) -> dict[str, str]:
    """The document's headers as the browser should see them (the body is already decoded)."""
    headers = {key: value for key, value in document.headers.items()
               if key not in _DROPPED_HEADERS}
    headers.setdefault("content-type", "text/html; charset=utf-8")
    return headers
