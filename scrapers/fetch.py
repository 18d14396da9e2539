"""Guarded, polite GETs: redirects followed by hand and vetted hop by hop, transient failures
retried with backoff, bodies and time capped. One Fetcher serves every thread of a run."""

import contextlib
import email.utils
import re
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from http.cookiejar import CookieJar
from urllib.parse import urljoin
from urllib.request import Request

from urllib3 import BaseHTTPResponse, Timeout
from urllib3.exceptions import (
    ConnectTimeoutError,
    DecodeError,
    NewConnectionError,
    ReadTimeoutError,
)
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import SSLError as Urllib3SSLError
from urllib3.util import make_headers

from .guard import Guard, Resolver, pool_manager
from .identity import UrlError, split_host
from .model import FetchError, Page, Settings, Target
from .politeness import Limiter, Ticket
from .robots import MAX_BYTES as ROBOTS_BYTES
from .robots import Robots

REDIRECTS = frozenset({301, 302, 303, 307, 308})
THROTTLING = frozenset({429, 503})  # the host asks us to slow down
CHUNK = 64 * 1024
DRAIN = 64 * 1024  # an unused body is read this far so its connection can serve the next GET
ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
ACCEPT_ENCODING = make_headers(accept_encoding=True)["accept-encoding"]  # what urllib3 decodes


def retryable(status: int, headers: dict[str, str] | None = None) -> bool:
    """Statuses that say "not now" rather than anything about the listing; a Cloudflare
    challenge served as 503 is an answer (blocked) for the adapter to read, not a hiccup."""
    if headers and headers.get("cf-mitigated", "").lower() == "challenge":
        return False
    return status in (408, 429) or 500 <= status <= 599


def retry_after(value: str | None) -> float | None:
    """Seconds a Retry-After header asks for (delay or HTTP date); None when absent or garbage."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return max(seconds, 0.0) if seconds == seconds else None  # NaN is garbage too


def next_hop(url: str, location: str) -> str:
    """Where a redirect leads: `location` read as UTF-8 (http.client decodes headers as
    Latin-1, servers send UTF-8) and resolved against `url`; garbage stays garbage for _vet."""
    with contextlib.suppress(UnicodeError):  # really Latin-1, or already text
        location = location.encode("latin-1").decode("utf-8")
    try:
        return urljoin(url, location.strip())
    except ValueError:  # e.g. "http://[broken/": let _vet name it a bad URL
        return location


def reason(exc: BaseException) -> str:
    """The innermost cause of a requests/urllib3 error, without object addresses."""
    while True:
        inner = getattr(exc, "reason", None)
        if not isinstance(inner, BaseException) and exc.args:
            inner = exc.args[0]
        if not isinstance(inner, BaseException) or inner is exc:
            break
        exc = inner
    text = re.sub(r"<[^>]*? object at 0x[0-9a-f]+>:?\s*", "", str(exc))
    text = re.sub(r"^\w*ConnectionPool\([^)]*\):\s*", "", text)
    return text[:200] or type(exc).__name__


class Deadline:
    """The moment one listing's check must be over by."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def remaining(self) -> float:
        """Seconds left (negative once past)."""
        return self.at - time.monotonic()


class _Transient(Exception):
    """A failure worth another try."""

    def __init__(self, kind: str, detail: str, *, wait: float | None = None,
                 throttled: bool | None = None, status: int | None = None):
        super().__init__(detail)
        self.kind, self.detail, self.wait, self.throttled = kind, detail, wait, throttled
        self.status = status  # the HTTP status, when an answer came


@dataclass
class _Answer:
    """One response as the fetcher keeps it: the body only when it is the final one."""

    status: int
    headers: dict[str, str]
    body: bytes
    location: str | None = None


class Visit:
    """The fetch function one listing's adapter gets: one deadline and cookie jar for all its
    GETs, each logged; a ticket the scheduler granted serves its first request."""

    def __init__(self, fetcher: "Fetcher", target: Target, ticket: Ticket | None = None):
        self.fetcher = fetcher
        self.target = target
        self.ticket = ticket
        self.deadline = Deadline(fetcher.settings.total_timeout)
        self.cookies = CookieJar()
        self.log: list[dict] = []  # one entry per GET: url, status or error, chain
        self.last: Page | FetchError | None = None
        self.attempts = 0  # requests sent for this listing, robots.txt and retries included

    def __call__(self, url: str, *, accept: str | None = None) -> Page:
        """GET `url` (redirects followed within the target's hosts); raises FetchError."""
        try:
            page = self.fetcher.get(url, self, accept=accept)
        except FetchError as exc:
            self.log.append({"url": url, "error": exc.kind, "chain": exc.chain})
            self.last = exc
            raise
        self.log.append({"url": url, "status": page.status, "chain": page.chain})
        self.last = page
        return page

    def take_ticket(self, host: str) -> Ticket | None:
        """The pre-granted ticket, once."""
        ticket, self.ticket = self.ticket, None
        if ticket is not None:
            ticket.host = host
        return ticket

    def close(self) -> None:
        """Give back a pre-granted ticket no request used."""
        ticket = self.take_ticket("")
        if ticket is not None:
            self.fetcher.limiter.release(ticket)


class Fetcher:
    """Guarded GETs with shared connection pools, politeness and robots.txt; thread-safe."""

    def __init__(self, settings: Settings, *, resolver: Resolver | None = None,
                 limiter: Limiter | None = None, ca_bundle: str | None = None):
        self.settings = settings
        self.guard = Guard(settings.allowed_networks, resolver, settings.allowed_endpoints)
        # One pool manager for all threads: urllib3's pools are thread-safe, and sized so every
        # thread can keep its connection to a marketplace open. A CA file of its own: tests.
        self.pool = pool_manager(self.guard, max(settings.concurrency, 1), ca_bundle)
        self.limiter = limiter or Limiter(settings)
        self.robots = Robots(settings.user_agent) if settings.robots else None
        self.headers = {"User-Agent": settings.user_agent,
                        "Accept-Language": settings.accept_language,
                        "Accept-Encoding": ACCEPT_ENCODING}
        self._stopped = threading.Event()

    def visit(self, target: Target, ticket: Ticket | None = None) -> Visit:
        """A fetch function for one listing."""
        return Visit(self, target, ticket)

    def get(self, url: str, visit: Visit, *, accept: str | None = None, limit: int | None = None,
            truncate: bool = False, robots: bool = True, follow: bool = True) -> Page:
        """GET `url`, following redirects by hand; every hop is vetted, logged and polite.

        `limit` caps the decoded body (settings.max_bytes): beyond it FetchError("too_large"),
        or with `truncate` the body is cut there. `attempts` counts the requests sent. With
        `follow` False a redirect is returned as it came (its `location` header), for a caller
        that decides hop by hop where to go next (`share.ShareResolver`).
        """
        started = time.monotonic()
        chain: list[dict] = []
        tries = [0]
        current = url
        try:
            current, host = self._vet(current, visit.target)
            for hop in range(self.settings.max_redirects + 1):
                if robots and self.robots:
                    self.robots.check(current, self._robots_loader(visit),
                                      visit.deadline.remaining())
                answer = self._retrying(current, host, visit, accept, tries,
                                        limit or self.settings.max_bytes, truncate)
                chain.append({"status": answer.status, "url": current})
                if answer.location is None or not follow:
                    return Page(url, current, answer.status, chain, answer.headers, answer.body,
                                round(time.monotonic() - started, 3), tries[0])
                if hop == self.settings.max_redirects:
                    break
                current, host = self._vet(next_hop(current, answer.location), visit.target)
            raise FetchError("too_many_redirects", f"more than {self.settings.max_redirects}")
        except FetchError as exc:
            if exc.status is not None:  # the hop that kept failing belongs in the evidence
                chain.append({"status": exc.status, "url": current})
            exc.url, exc.chain, exc.attempts = url, chain, tries[0]
            exc.elapsed = round(time.monotonic() - started, 3)
            raise

    def stop(self) -> None:
        """Cut every wait short (backoff, politeness): the run is being closed."""
        self._stopped.set()
        self.limiter.close()

    def close(self) -> None:
        """Stop and close every pooled connection."""
        self.stop()
        self.pool.clear()

    def __enter__(self) -> "Fetcher":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _robots_loader(self, visit: Visit):
        """GETs robots.txt for `visit` itself: same guard, deadline and politeness."""
        return lambda url: self.get(url, visit, accept="text/plain,*/*;q=0.5",
                                    limit=ROBOTS_BYTES, truncate=True, robots=False)

    @staticmethod
    def _vet(url: str, target: Target) -> tuple[str, str]:
        """`url` normalised and its host, if it is an http(s) URL on one of `target.hosts`."""
        try:
            parts, host = split_host(url)
        except UrlError as exc:
            raise FetchError("bad_url", f"{exc.code}: {url[:200]}") from None
        if host not in target.hosts:
            raise FetchError("off_site", f"{host} is not a host of {target.marketplace}")
        return parts.geturl(), host

    def _retrying(self, url: str, host: str, visit: Visit, accept: str | None, tries: list[int],
                  limit: int, truncate: bool) -> _Answer:
        """One hop: the request, tried again after transient failures with growing waits."""
        settings = self.settings
        for retry in range(settings.retries + 1):
            tries[0] += 1
            visit.attempts += 1
            try:
                return self._once(url, host, visit, accept, limit, truncate)
            except _Transient as failure:
                if failure.wait is not None and failure.wait > settings.max_retry_after:
                    raise FetchError(failure.kind, f"{failure.detail}, Retry-After "
                                     f"{failure.wait:.0f}s is too long",
                                     status=failure.status) from None
                if retry == settings.retries:
                    raise FetchError(failure.kind, f"{failure.detail} ({tries[0]} tries)",
                                     status=failure.status) from None
                wait = settings.backoff * 2 ** retry if failure.wait is None else failure.wait
                if wait >= visit.deadline.remaining():
                    raise FetchError(failure.kind, f"{failure.detail}, no time left to retry",
                                     status=failure.status) from None
                if self._stopped.wait(wait):
                    raise FetchError("timeout", "the run was stopped") from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _once(self, url: str, host: str, visit: Visit, accept: str | None, limit: int,
              truncate: bool) -> _Answer:
        """One request under a politeness ticket; raises _Transient for a retryable outcome."""
        remaining = visit.deadline.remaining()
        if remaining <= 0:
            raise FetchError("timeout", f"over the {visit.deadline.seconds:g}s a listing may take")
        ticket = visit.take_ticket(host)
        if ticket is None:
            try:
                ticket = self.limiter.acquire(visit.target.marketplace, host, remaining)
            except TimeoutError as exc:
                raise FetchError("timeout", f"politeness: {exc}") from None
        throttled = None
        try:
            answer = self._request(url, visit, accept, limit, truncate)
            throttled = answer.status in THROTTLING
            if retryable(answer.status, answer.headers):
                raise _Transient("status", f"HTTP {answer.status}", throttled=throttled,
                                 wait=retry_after(answer.headers.get("retry-after")),
                                 status=answer.status)
            return answer
        except _Transient as failure:
            throttled = failure.throttled
            raise
        finally:
            self.limiter.release(ticket, throttled)

    def _request(self, url: str, visit: Visit, accept: str | None, limit: int,
                 truncate: bool) -> _Answer:
        """Send one GET and read its answer (a body only when it is the final one).

        urllib3 straight, not through requests: a GET through requests' layers cost about half
        as much CPU again (preparing, cookies, building its Response), for nothing we use.
        """
        remaining = visit.deadline.remaining()
        settings = self.settings
        headers = {**self.headers, "Accept": accept or ACCEPT}
        if visit.cookies:  # the visit's own cookies, as a browser would send them
            request = Request(url)
            visit.cookies.add_cookie_header(request)
            if cookie := request.get_header("Cookie"):
                headers["Cookie"] = cookie
        timeout = Timeout(connect=min(settings.connect_timeout, remaining),
                          read=min(settings.read_timeout, remaining))
        try:
            response = self.pool.urlopen("GET", url, headers=headers, redirect=False,
                                         retries=False, preload_content=False,
                                         decode_content=False, timeout=timeout)
        except NewConnectionError as exc:  # refused, unreachable, no such name
            raise _Transient("connection", reason(exc)) from None
        except ConnectTimeoutError:
            raise _Transient("timeout", f"no connection within {timeout.connect_timeout:.1f}s",
                             throttled=True) from None
        except ReadTimeoutError:
            raise _Transient("timeout", f"no answer within {timeout.read_timeout:.1f}s",
                             throttled=True) from None
        except Urllib3SSLError as exc:
            raise FetchError("connection", f"TLS: {reason(exc)}") from None
        except ValueError as exc:  # urllib3's LocationValueError, http.client's bad URL
            raise FetchError("bad_url", reason(exc)) from None
        except (Urllib3Error, OSError) as exc:
            raise _Transient("connection", reason(exc)) from None
        try:
            if "set-cookie" in response.headers:
                visit.cookies.extract_cookies(response, Request(url))  # reads response.info()
            status = response.status
            # repeated headers joined with ", ", as requests did
            headers = {key.lower(): value for key, value in response.headers.itermerged()}
            location = headers.get("location") if status in REDIRECTS else None
            if location is not None or retryable(status, headers):
                self._drain(response, visit)
                return _Answer(status, headers, b"", location)
            length = headers.get("content-length", "")
            if (not truncate and length.isdigit() and int(length) > limit
                    and "content-encoding" not in headers):
                raise FetchError("too_large", f"Content-Length {length} is over {limit} bytes")
            return _Answer(status, headers, self._read(response, visit, limit, truncate))
        finally:
            response.close()  # a connection whose body was not read to the end is dropped...
            response.release_conn()  # ...one read to the end goes back to the pool

    def _read(self, response: BaseHTTPResponse, visit: Visit, limit: int,
              truncate: bool) -> bytes:
        """The decoded body, streamed so a compression bomb stops at `limit` bytes."""
        parts: list[bytes] = []
        size = 0
        while True:
            remaining = visit.deadline.remaining()
            if remaining <= 0:
                raise FetchError("timeout", f"body still coming after {visit.deadline.seconds:g}s")
            # A drip-fed body must not outlast the deadline: each read waits at most this long.
            sock = getattr(response.connection, "sock", None)
            if sock is not None:
                sock.settimeout(min(self.settings.read_timeout, remaining))
            try:
                data = response.read1(CHUNK, decode_content=True)
            except ReadTimeoutError:
                raise _Transient("timeout", "the body stalled", throttled=True) from None
            except DecodeError as exc:
                raise FetchError("connection", f"undecodable body: {reason(exc)}") from None
            except (Urllib3Error, OSError) as exc:
                raise _Transient("connection", f"body cut short: {reason(exc)}") from None
            if not data:
                return b"".join(parts)
            size += len(data)
            if size > limit:
                if truncate:
                    parts.append(data[:len(data) - (size - limit)])
                    return b"".join(parts)
                raise FetchError("too_large", f"body over {limit} bytes")
            parts.append(data)

    def _drain(self, response: BaseHTTPResponse, visit: Visit) -> None:
        """Read a body nobody needs, up to DRAIN bytes, so its connection can be reused."""
        # On failure, closing the response drops the connection instead.
        with contextlib.suppress(FetchError, _Transient):
            self._read(response, visit, DRAIN, truncate=True)
