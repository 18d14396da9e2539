"""The SSRF guard: connections that resolve their host themselves, vet every address and
connect to a vetted one, so no request reaches a private network, not after a redirect and not
after a DNS answer that changes between a check and the connect (rebinding).

HTTPS still verifies the certificate against the host name: only the socket is ours.
"""

import ipaddress
import os
import socket
import sys
import threading
from collections.abc import Callable, Iterable

import certifi
from urllib3 import HTTPConnectionPool, HTTPSConnectionPool, PoolManager
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util.connection import allowed_gai_family

from .model import FetchError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[..., list]  # socket.getaddrinfo(host, port, family, type)

NAT64 = ipaddress.ip_network("64:ff9b::/96")  # a NAT64 gateway forwards to the embedded IPv4


def embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address leads to (mapped, 6to4, Teredo, NAT64), if any."""
    if ip.version == 4:
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public(ip: IPAddress) -> bool:
    """Whether `ip` is a globally routed unicast address (and so is anything it embeds)."""
    inner = embedded_ipv4(ip)
    if inner is not None:
        if ip.ipv4_mapped is not None:  # ::ffff:a.b.c.d is a.b.c.d, nothing more
            return is_public(inner)
        if not is_public(inner):
            return False
    return ip.is_global and not (
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
        or ip.is_reserved or ip.is_unspecified or getattr(ip, "is_site_local", False))


def endpoint(text: str) -> tuple[IPAddress, int]:
    """"127.0.0.1:5101" or "[::1]:5101" as (address, port); ValueError when it is not one."""
    host, sep, port = text.strip().rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{text!r} is not an address:port pair")
    return ipaddress.ip_address(host.strip("[]")), int(port)


class Guard:
    """Decides which addresses may be reached and opens the sockets to them."""

    def __init__(self, allowed_networks: Iterable[str] = (), resolver: Resolver | None = None,
                 allowed_endpoints: Iterable[str] = ()):
        self.allowed = tuple(ipaddress.ip_network(net, strict=False) for net in allowed_networks)
        # Single address:port pairs (the demo's sample marketplaces): narrower than a network,
        # which would also open every other service listening on that address.
        self.endpoints = frozenset(endpoint(text) for text in allowed_endpoints)
        self.resolver = resolver or socket.getaddrinfo
        self.connections = 0  # sockets opened: connection reuse shows here, and tests count it
        self._count_lock = threading.Lock()
        # Pool classes bound to this guard: urllib3 builds connections from the class alone.
        http = type("GuardedHTTPConnection", (GuardedHTTPConnection,), {"guard": self})
        https = type("GuardedHTTPSConnection", (GuardedHTTPSConnection,), {"guard": self})
        self.pool_classes = {
            "http": type("GuardedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": http}),
            "https": type("GuardedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": https}),
        }

    def permitted(self, address: str) -> bool:
        """Whether a numeric address may be connected to."""
        ip = ipaddress.ip_address(address)
        candidates = [ip] + ([ip.ipv4_mapped] if getattr(ip, "ipv4_mapped", None) else [])
        if any(c.version == net.version and c in net for c in candidates for net in self.allowed):
            return True
        return is_public(ip)

    def resolve(self, host: str, port: int) -> list[tuple]:
        """Every address `host` resolves to, or FetchError("refused_address") if any is barred.

        One barred address refuses the lot: a name that also points inside is not trusted.
        """
        infos = self.resolver(host.strip("[]"), port, allowed_gai_family(), socket.SOCK_STREAM)
        if not infos:
            raise socket.gaierror(f"{host} has no address")
        for info in infos:
            address = info[4][0]
            if (ipaddress.ip_address(address), port) in self.endpoints:
                continue
            if not self.permitted(address):
                raise FetchError("refused_address", f"{host} is {address}, not a public address")
        return infos

    def connect(self, host: str, port: int, timeout, source_address=None,
                socket_options=None) -> socket.socket:
        """A socket connected to a vetted address of `host` (first that answers)."""
        error: OSError | None = None
        for family, kind, proto, _, sockaddr in self.resolve(host, port):
            sock = socket.socket(family, kind, proto)
            try:
                for option in socket_options or ():
                    sock.setsockopt(*option)
                if isinstance(timeout, int | float) or timeout is None:
                    sock.settimeout(timeout)
                if source_address:
                    sock.bind(source_address)
                with self._count_lock:
                    self.connections += 1
                sock.connect(sockaddr)
                return sock
            except OSError as exc:
                sock.close()
                error = exc
        raise error or OSError(f"no address for {host}")


def _new_conn(conn: HTTPConnection) -> socket.socket:
    """urllib3's HTTPConnection._new_conn with the guard's connect instead of the stdlib's."""
    try:
        sock = conn.guard.connect(conn._dns_host, conn.port, conn.timeout,
                                  conn.source_address, conn.socket_options)
    except socket.gaierror as exc:
        raise NameResolutionError(conn.host, conn, exc) from exc
    except TimeoutError as exc:
        raise ConnectTimeoutError(
            conn, f"Connection to {conn.host} timed out. (connect timeout={conn.timeout})"
        ) from exc
    except OSError as exc:
        raise NewConnectionError(conn, f"Failed to establish a new connection: {exc}") from exc
    sys.audit("http.client.connect", conn, conn.host, conn.port)
    return sock


class GuardedHTTPConnection(HTTPConnection):
    """An HTTP connection whose socket only reaches vetted addresses."""

    guard: Guard
    _new_conn = _new_conn


class GuardedHTTPSConnection(HTTPSConnection):
    """An HTTPS connection whose socket only reaches vetted addresses; TLS checks the name."""

    guard: Guard
    _new_conn = _new_conn


def pool_manager(guard: Guard, pool_size: int, ca_bundle: str | None = None) -> PoolManager:
    """A urllib3 PoolManager whose pools use the guard's connections (a PoolManager never goes
    through a proxy) and check certificates against `ca_bundle` or certifi's (requests' too)."""
    where = ca_bundle or certifi.where()
    bundle = {"ca_cert_dir": where} if os.path.isdir(where) else {"ca_certs": where}
    manager = PoolManager(num_pools=64, maxsize=pool_size, cert_reqs="CERT_REQUIRED", **bundle)
    manager.pool_classes_by_scheme = guard.pool_classes
    return manager
