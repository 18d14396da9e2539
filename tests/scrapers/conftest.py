"""Fixtures for the scraper tests: real servers on loopback addresses, never mocks.

`server` is a threaded pytest-httpserver on 127.0.0.1; `RawServer` speaks bare TCP for the
garbage a real server would not send (resets, cut chunked bodies, broken gzip); `Names` is an
injected resolver that maps host names to any address without DNS.
"""

import select
import socket
import threading
import time
from dataclasses import replace

import pytest
from pytest_httpserver import HTTPServer

from scrapers.fetch import Fetcher
from scrapers.identity import split_host
from scrapers.model import Settings, Target

LOCAL = Settings(allowed_networks=("127.0.0.1/32",), robots=False, polite=False,
                 connect_timeout=2.0, read_timeout=2.0, total_timeout=10.0, backoff=0.01,
                 concurrency=8)


def settings(**changes) -> Settings:
    """Settings for a local test server: only 127.0.0.1 reachable, fast backoff, no robots."""
    return replace(LOCAL, **changes)


def target(url: str, *, hosts=(), marketplace: str = "cho", adapter: str = "generic",
           key=1) -> Target:
    """A target for `url` whose marketplace serves its host and `hosts`."""
    host = split_host(url)[1]
    return Target(key=key, url=url, adapter=adapter, marketplace=marketplace,
                  hosts=frozenset({host, *hosts}))


def fetch(url: str, config: Settings | None = None, *, hosts=(), resolver=None, accept=None):
    """One guarded GET of `url` on a fetcher of its own."""
    with Fetcher(config or settings(), resolver=resolver) as fetcher:
        return fetcher.visit(target(url, hosts=hosts))(url, accept=accept)


@pytest.fixture(scope="session")
def threaded_server():
    """A threaded HTTP server on 127.0.0.1 (threads: concurrency can be measured)."""
    httpserver = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    httpserver.start()
    yield httpserver
    httpserver.clear()
    httpserver.stop()


@pytest.fixture
def server(threaded_server):
    """The threaded server with no handlers and an empty log."""
    threaded_server.clear()
    yield threaded_server
    threaded_server.clear()


def read_request(conn: socket.socket) -> bytes:
    """The request head a client sent on `conn`."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def keep_alive(answer):
    """A handler that serves request after request on one connection: `answer(path)` gives
    each raw response (werkzeug's server closes every connection, so reuse needs this)."""

    def handle(conn: socket.socket) -> bytes:
        head = b""
        while request := read_request(conn):
            head = request
            conn.sendall(answer(request.split(b" ")[1].decode()))
        return head

    return handle


def response(status: int = 200, body: bytes = b"ok", headers: str | bytes = "") -> bytes:
    """A raw HTTP/1.1 response with a Content-Length; `headers` as bytes may hold any octet."""
    if isinstance(headers, str):
        headers = headers.encode()
    return b"HTTP/1.1 %d X\r\nContent-Length: %d\r\n%s\r\n%s" % (status, len(body), headers,
                                                                     body)


class RawServer:
    """A bare TCP server on `host`: every connection goes to `handler(conn)`; all are counted."""

    def __init__(self, handler=None, host: str = "127.0.0.1", port: int = 0):
        self.listener = socket.create_server((host, port))
        self.host, self.port = self.listener.getsockname()[:2]
        self.handler = handler or read_request
        self.accepted = 0
        self.requests: list[bytes] = []
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._serve, daemon=True)
        self._acceptor.start()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self.listener], [], [], 0.02)
            if not ready:
                continue
            conn, _ = self.listener.accept()
            self.accepted += 1
            thread = threading.Thread(target=self._handle, args=(conn,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            try:
                result = self.handler(conn)
                if isinstance(result, bytes):
                    self.requests.append(result)
            except OSError:
                pass

    def close(self) -> None:
        """Stop accepting, wait for the handlers, close the socket."""
        self._stop.set()
        self._acceptor.join()
        for thread in self._threads:
            thread.join(timeout=10)
        self.listener.close()


@pytest.fixture
def raw_server():
    """A factory of RawServers, all closed after the test."""
    servers: list[RawServer] = []

    def make(handler=None, host: str = "127.0.0.1", port: int = 0) -> RawServer:
        servers.append(RawServer(handler, host, port))
        return servers[-1]

    yield make
    for raw in servers:
        raw.close()


class Names:
    """An injected resolver: names in `table` resolve to the given address, others by DNS."""

    def __init__(self, table: dict[str, str | list[str]]):
        self.table = table
        self.calls: list[str] = []

    def __call__(self, host, port, family=0, kind=0, proto=0, flags=0):
        self.calls.append(host)
        if host not in self.table:
            return socket.getaddrinfo(host, port, family, kind, proto, flags)
        addresses = self.table[host]
        answers = []
        for address in [addresses] if isinstance(addresses, str) else addresses:
            if ":" in address:
                answers.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0)))
            else:
                answers.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)))
        return answers


class Recorder:
    """What a server saw: request start times and the most requests it held at once."""

    def __init__(self):
        self.lock = threading.Lock()
        self.starts: list[float] = []
        self.paths: list[str] = []
        self.now = 0
        self.most = 0

    def enter(self, path: str = "") -> None:
        with self.lock:
            self.starts.append(time.monotonic())
            self.paths.append(path)
            self.now += 1
            self.most = max(self.most, self.now)

    def leave(self) -> None:
        with self.lock:
            self.now -= 1

    def gaps(self) -> list[float]:
        starts = sorted(self.starts)
        return [b - a for a, b in zip(starts, starts[1:], strict=False)]


@pytest.fixture
def market(server):
    """An imitation marketplace on the shared local server, with no pages yet."""
    from tests.scrapers.market import Market

    return Market(server)


def at(server, host: str, path: str) -> str:
    """`path` on `host` (a name the test's resolver sends to the local server) and its port."""
    return f"http://{host}:{server.port}{path}"


def redirect(server, path: str, location: str, status: int = 302) -> None:
    """The local server answers `path` with a redirect to `location`."""
    server.expect_request(path).respond_with_data("", status=status,
                                                  headers={"Location": location})
