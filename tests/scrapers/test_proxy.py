"""The browser's guarded proxy, spoken to directly: what it connects, what it refuses."""

import socket

import pytest

from scrapers.guard import Guard
from scrapers.proxy import Session, split_authority

from .conftest import Names, read_request, response


def once(body: bytes):
    """A handler that answers one request with `body` and closes, as Connection: close asks."""

    def handle(conn: socket.socket) -> bytes:
        head = read_request(conn)
        conn.sendall(response(200, body if isinstance(body, bytes) else body(head)))
        return head

    return handle


def ask(session: Session, request: bytes) -> bytes:
    """Send one raw request to the session's proxy and read everything it answers."""
    with socket.create_connection(("127.0.0.1", session.port), timeout=5) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
        return data


@pytest.fixture
def session():
    made: list[Session] = []

    def make(allowed=("127.0.0.1/32",), resolver=None, **options) -> Session:
        made.append(Session(Guard(allowed, resolver), **options))
        return made[-1]

    yield make
    for each in made:
        each.close()


def test_absolute_get_is_relayed_to_an_allowed_address(session, raw_server):
    origin = raw_server(once(lambda head: b"seen " + head.split(b" ")[1]))
    proxy = session()
    answer = ask(proxy, f"GET http://127.0.0.1:{origin.port}/sp?x=1 HTTP/1.1\r\n"
                        f"Host: 127.0.0.1:{origin.port}\r\nProxy-Connection: keep-alive\r\n"
                        f"\r\n".encode())
    assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b"seen /sp?x=1")
    sent = origin.requests[0]
    assert sent.startswith(b"GET /sp?x=1 HTTP/1.1") and b"Connection: close" in sent
    assert b"Proxy-Connection" not in sent
    assert proxy.allowed == [f"127.0.0.1:{origin.port}"] and proxy.bytes > 0


@pytest.mark.parametrize("host", ["127.0.0.2", "127.0.0.3"])
def test_loopback_outside_the_allowed_network_is_refused(session, raw_server, host):
    canary = raw_server(host=host)
    proxy = session()
    assert ask(proxy, f"CONNECT {host}:{canary.port} HTTP/1.1\r\n\r\n".encode()).startswith(
        b"HTTP/1.1 403")
    assert ask(proxy, f"GET http://{host}:{canary.port}/ HTTP/1.1\r\n\r\n".encode()).startswith(
        b"HTTP/1.1 403")
    assert canary.accepted == 0
    assert proxy.refused[0]["host"] == host and "not a public address" in proxy.refused[0][
        "reason"]


def test_a_name_that_resolves_inside_is_refused(session, raw_server):
    canary = raw_server(host="127.0.0.2")
    proxy = session(resolver=Names({"shop.test": ["127.0.0.1", "127.0.0.2"]}))
    answer = ask(proxy, f"CONNECT shop.test:{canary.port} HTTP/1.1\r\n\r\n".encode())
    assert answer.startswith(b"HTTP/1.1 403") and canary.accepted == 0


def test_connect_tunnels_to_an_allowed_address(session, raw_server):
    origin = raw_server(once(b"tunnelled"))
    proxy = session()
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as sock:
        sock.sendall(f"CONNECT 127.0.0.1:{origin.port} HTTP/1.1\r\n\r\n".encode())
        assert sock.recv(100).startswith(b"HTTP/1.1 200")
        sock.sendall(b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n")
        assert sock.recv(1000).endswith(b"tunnelled")


def test_refuse_all_and_garbage(session, raw_server):
    origin = raw_server()
    proxy = session(refuse_all=True)
    assert ask(proxy, f"CONNECT 127.0.0.1:{origin.port} HTTP/1.1\r\n\r\n".encode()).startswith(
        b"HTTP/1.1 403")
    assert origin.accepted == 0
    other = session()
    for garbage in (b"GET /relative HTTP/1.1\r\n\r\n", b"GET ftp://x/ HTTP/1.1\r\n\r\n",
                    b"GET http://u@127.0.0.1/ HTTP/1.1\r\n\r\n", b"CONNECT :x HTTP/1.1\r\n\r\n"):
        assert ask(other, garbage).startswith(b"HTTP/1.1 400")


def test_the_byte_budget_cuts_the_session(session, raw_server):
    origin = raw_server(once(b"x" * 200_000))
    proxy = session(budget=50_000)
    answer = ask(proxy, f"GET http://127.0.0.1:{origin.port}/big HTTP/1.1\r\n\r\n".encode())
    assert len(answer) < 200_000 and proxy.over_budget
    assert ask(proxy, f"GET http://127.0.0.1:{origin.port}/ HTTP/1.1\r\n\r\n".encode()
               ).startswith(b"HTTP/1.1 403")


def test_split_authority():
    assert split_authority("[::1]:8443", 443) == ("::1", 8443)
    assert split_authority("Shop.VN", 80) == ("shop.vn", 80)
    for bad in ("", ":80", "a:b", "a:70000"):
        with pytest.raises(ValueError):
            split_authority(bad, 80)
