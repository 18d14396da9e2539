"""The browser's only way out: a forward proxy inside the process that connects through the guard.

Every request Chromium makes (documents, subresources, XHR/fetch, WebSocket, prefetch, its own
background traffic) goes to a proxy `Session` listening on 127.0.0.1. The session resolves
the host, vets every address with `guard.Guard` (private, loopback, link-local and reserved
addresses refused unless the settings allow their network) and connects to a vetted address —
the same answer that was vetted, so DNS rebinding cannot slip in between — or answers 403.
HTTPS and WebSockets come as CONNECT tunnels; plain HTTP as absolute-URI requests, sent on
one per connection (`Connection: close`) so a reused client connection cannot carry a request
for another host to the first one's server.

One session per listing at a time: a listener of its own, so the bytes it moves are counted
against that listing's budget and deadline, and closing it cuts every connection the page still
holds. A browser tab kept for the next listing (a warm session) keeps its session and `rearm`s
it: the last listing's connections are cut and its counts start again. A
session made with `refuse_all` answers 403 to everything: the browser-wide proxy, which only
Chromium's own background requests should ever reach.
"""

import contextlib
import select
import socket
import threading
import time
from urllib.parse import urlsplit

from .guard import Guard
from .model import FetchError

HEAD_LIMIT = 64 * 1024
CHUNK = 64 * 1024
TICK = 0.25  # seconds between looks at a session's state while a tunnel is idle
MAX_LOG = 50  # hosts kept per session, refused and allowed
FORBIDDEN = b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
BAD = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
GATEWAY = b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
ESTABLISHED = b"HTTP/1.1 200 Connection established\r\n\r\n"
HOP_BY_HOP = frozenset({"proxy-connection", "proxy-authorization", "keep-alive", "connection",
                        "te", "trailer"})


def split_authority(authority: str, default: int) -> tuple[str, int]:
    """("host", port) from "host:port" or "[v6]:port"; ValueError when it is neither."""
    if authority.startswith("["):
        host, _, rest = authority[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    else:
        host, _, port = authority.rpartition(":") if ":" in authority else (authority, "", "")
    if not host or (port and not port.isdigit()):
        raise ValueError(authority)
    number = int(port) if port else default
    if not 0 < number < 65536:
        raise ValueError(authority)
    return host.lower(), number


class Session:
    """One listing's proxy: its listener, byte budget, deadline and what it let through."""

    def __init__(self, guard: Guard, *, budget: int | None = None,
                 deadline: float | None = None, refuse_all: bool = False,
                 connect_timeout: float = 5.0):
        self.guard = guard
        self.budget = budget  # bytes both ways over all connections; None: no cap
        self.deadline = deadline  # time.monotonic() after which everything is cut
        self.refuse_all = refuse_all
        self.connect_timeout = connect_timeout
        self.bytes = 0
        self.over_budget = False
        self.refused: list[dict] = []  # {"host", "port", "reason"}
        self.allowed: list[str] = []  # "host:port" connected to, first MAX_LOG
        self.connections = 0
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._closed = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self._acceptor = threading.Thread(target=self._accept, daemon=True,
                                          name=f"proxy-{self.port}")
        self._acceptor.start()

    def rearm(self, budget: int | None, deadline: float | None) -> None:
        """Serve the next listing: cut every connection still open, start the counts again."""
        with self._lock:
            sockets = list(self._sockets)
            self.budget, self.deadline = budget, deadline
            self.bytes, self.over_budget, self.connections = 0, False, 0
            self.refused, self.allowed = [], []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    @property
    def server(self) -> str:
        """The proxy address as Playwright takes it."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def close(self) -> None:
        """Stop accepting and cut every connection still open."""
        if self._closed.is_set():
            return
        self._closed.set()
        with contextlib.suppress(OSError):
            self.listener.close()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self._acceptor.join(timeout=2)

    def _accept(self) -> None:
        """Hand each connection to a thread of its own until the session closes."""
        while not self._closed.is_set():
            try:
                ready, _, _ = select.select([self.listener], [], [], TICK)
                if not ready:
                    continue
                conn, _ = self.listener.accept()
            except (OSError, ValueError):  # closed under us
                return
            self._track(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.add(sock)
        if self._closed.is_set():  # closed between accept and here
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def _untrack(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(sock)
        with contextlib.suppress(OSError):
            sock.close()

    def _refuse(self, host: str, port: int, reason: str) -> None:
        with self._lock:
            if len(self.refused) < MAX_LOG:
                self.refused.append({"host": host, "port": port, "reason": reason[:200]})

    def _serve(self, client: socket.socket) -> None:
        """One client connection: read its request, vet, connect, relay."""
        upstream = None
        try:
            client.settimeout(self.connect_timeout)
            head = _read_head(client)
            if head is None:
                return
            head, rest = head
            try:
                method, host, port, forward = _parse(head)
            except ValueError:
                client.sendall(BAD)
                return
            if self.refuse_all:
                self._refuse(host, port, "not a listing's request (browser background traffic)")
                client.sendall(FORBIDDEN)
                return
            if self.over_budget or self._expired():
                self._refuse(host, port, "over the listing's byte or time budget")
                client.sendall(FORBIDDEN)
                return
            try:
                upstream = self.guard.connect(host, port, self.connect_timeout)
            except FetchError as exc:
                self._refuse(host, port, exc.detail)
                client.sendall(FORBIDDEN)
                return
            except (OSError, ValueError) as exc:
                self._refuse(host, port, f"no connection: {exc}"[:200])
                client.sendall(GATEWAY)
                return
            self._track(upstream)
            with self._lock:
                self.connections += 1
                if len(self.allowed) < MAX_LOG:
                    self.allowed.append(f"{host}:{port}")
            if method == "CONNECT":
                client.sendall(ESTABLISHED)
            else:
                upstream.sendall(forward + rest)
                rest = b""
            self._relay(client, upstream)
        except OSError:
            pass
        finally:
            if upstream is not None:
                self._untrack(upstream)
            self._untrack(client)

    def _expired(self) -> bool:
        return self.deadline is not None and time.monotonic() > self.deadline

    def _relay(self, client: socket.socket, upstream: socket.socket) -> None:
        """Copy both ways until either side ends, the budget or deadline runs out, or the
        session closes."""
        client.settimeout(None)
        upstream.settimeout(None)
        peers = {client: upstream, upstream: client}
        while not self._closed.is_set():
            if self._expired():
                return
            ready, _, _ = select.select(list(peers), [], [], TICK)
            for sock in ready:
                data = sock.recv(CHUNK)
                if not data:
                    return
                with self._lock:
                    self.bytes += len(data)
                    over = self.budget is not None and self.bytes > self.budget
                    if over and not self.over_budget:
                        self.over_budget = True
                if over:
                    self._refuse("*", 0, f"byte budget of {self.budget} spent")
                    return
                peers[sock].sendall(data)


def _read_head(sock: socket.socket) -> tuple[bytes, bytes] | None:
    """(request head, bytes read past it) or None when the client went away."""
    data = b""
    while b"\r\n\r\n" not in data:
        if len(data) > HEAD_LIMIT:
            return None
        chunk = sock.recv(4096)
        if not chunk:
            return None
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def _parse(head: bytes) -> tuple[str, str, int, bytes]:
    """(method, host, port, the head to send upstream) of a proxy request; ValueError if it
    is not a CONNECT to host:port or an absolute http:// request."""
    lines = head.decode("latin-1").split("\r\n")
    method, target, version = lines[0].split(" ")
    if method == "CONNECT":
        host, port = split_authority(target, 443)
        return method, host, port, b""
    parts = urlsplit(target)
    if parts.scheme != "http" or not parts.netloc or "@" in parts.netloc:
        raise ValueError(target)
    host, port = split_authority(parts.netloc, 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers, upgrade = [], False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        key = name.strip().lower()
        if key == "connection" and "upgrade" in value.lower():
            upgrade = True
        if key in HOP_BY_HOP:
            continue
        headers.append(line)
    # One request per upstream connection: a reused client connection must not carry a
    # request for another host to this one's server.
    headers.append("Connection: Upgrade" if upgrade else "Connection: close")
    first = f"{method} {path} {version}"
    return method, host, port, "\r\n".join([first, *headers]).encode("latin-1") + b"\r\n\r\n"
