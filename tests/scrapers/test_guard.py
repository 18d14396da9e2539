"""The SSRF guard: addresses are vetted after resolution, on every hop and at connect time.

Settings allow 127.0.0.1/32 only. Listeners on 127.0.0.2 and 127.0.0.3 (Linux routes all of
127/8 to the loopback interface) count every TCP connection and must never see one.
"""

import ipaddress
import ssl
import subprocess
import time

import pytest
from pytest_httpserver import HTTPServer

from scrapers.fetch import Fetcher
from scrapers.guard import Guard, is_public, pool_manager
from scrapers.model import FetchError

from .conftest import Names, fetch, keep_alive, response, settings, target


@pytest.fixture
def listeners(raw_server):
    """Servers on 127.0.0.2 and 127.0.0.3 that record any connection; checked at the end."""
    pair = [raw_server(host="127.0.0.2"), raw_server(host="127.0.0.3")]
    yield pair
    time.sleep(0.05)  # a connection that slipped through would be accepted by now
    assert [raw.accepted for raw in pair] == [0, 0]


@pytest.mark.parametrize(("address", "public"), [
    ("93.184.215.14", True), ("2606:4700::6810:84e5", True), ("::ffff:93.184.215.14", True),
    ("10.0.0.1", False), ("172.16.5.4", False), ("192.168.1.1", False), ("127.0.0.1", False),
    ("169.254.169.254", False), ("100.64.0.1", False), ("0.0.0.0", False),
    ("224.0.0.251", False), ("240.0.0.1", False), ("255.255.255.255", False),
    ("192.0.2.10", False), ("198.18.0.1", False),
    ("::1", False), ("::", False), ("fe80::1", False), ("fc00::1", False), ("fd12::1", False),
    ("ff02::1", False), ("fec0::1", False), ("2001:db8::1", False),
    ("::ffff:10.0.0.1", False), ("::ffff:169.254.169.254", False), ("::ffff:127.0.0.1", False),
    ("2002:a00:1::1", False), ("64:ff9b::a9fe:a9fe", False),  # 6to4 and NAT64 of private ones
])
def test_public_addresses(address, public):
    assert is_public(ipaddress.ip_address(address)) is public


def test_allowed_networks_let_specific_addresses_through():
    guard = Guard(("127.0.0.1/32", "fd00::/8"))
    assert guard.permitted("127.0.0.1") and guard.permitted("::ffff:127.0.0.1")
    assert guard.permitted("fd00::5")
    assert not guard.permitted("127.0.0.2") and not guard.permitted("::1")
    assert not Guard().permitted("127.0.0.1")


def test_redirect_to_other_loopback_addresses_refused(server, listeners):
    hosts = [f"{raw.host}:{raw.port}" for raw in listeners]
    for number, host in enumerate(hosts):
        server.expect_request(f"/{number}").respond_with_data(
            "", 302, {"Location": f"http://{host}/admin"})
    for number in range(2):
        # The listeners' hosts are the marketplace's own: only the address check can stop it.
        with pytest.raises(FetchError, match="not a public address") as caught:
            fetch(server.url_for(f"/{number}"), hosts=hosts)
        assert caught.value.kind == "refused_address"
        assert caught.value.chain == [{"status": 302, "url": server.url_for(f"/{number}")}]


def test_redirect_to_a_host_not_among_the_targets_is_off_site(server, listeners):
    raw = listeners[0]
    server.expect_request("/p").respond_with_data(
        "", 302, {"Location": f"http://{raw.host}:{raw.port}/x"})
    with pytest.raises(FetchError) as caught:
        fetch(server.url_for("/p"))
    assert caught.value.kind == "off_site"


@pytest.mark.parametrize("host", ["169.254.169.254", "10.0.0.1", "[::1]", "127.0.0.2",
                                  "[::ffff:169.254.169.254]", "0.0.0.0"])
def test_private_literal_addresses_refused_before_connecting(host):
    with Fetcher(settings(connect_timeout=5.0)) as fetcher:
        started = time.monotonic()
        with pytest.raises(FetchError) as caught:
            fetcher.visit(target(f"http://{host}/latest/meta-data/"))(
                f"http://{host}/latest/meta-data/")
        assert time.monotonic() - started < 0.5  # no connect was even tried
        assert fetcher.guard.connections == 0
    assert caught.value.kind == "refused_address" and caught.value.attempts == 1


@pytest.mark.parametrize(("name", "address"), [
    ("metadata.test", "169.254.169.254"), ("intranet.test", "10.0.0.1"),
    ("loop6.test", "::1"), ("mapped.test", "::ffff:10.1.2.3"),
    ("mixed.test", ["127.0.0.1", "10.0.0.1"]),  # one barred address refuses the name
])
def test_names_resolving_to_private_addresses_refused(name, address):
    names = Names({name: address})
    with Fetcher(settings(), resolver=names) as fetcher:
        with pytest.raises(FetchError, match="not a public address") as caught:
            fetcher.visit(target(f"http://{name}/p"))(f"http://{name}/p")
        assert fetcher.guard.connections == 0
    assert caught.value.kind == "refused_address"
    assert names.calls == [name]  # refused after resolution, by the address


def test_name_resolving_to_a_live_listener_refused(listeners):
    raw = listeners[0]
    names = Names({"shop.test": raw.host})
    with pytest.raises(FetchError) as caught:
        fetch(f"http://shop.test:{raw.port}/p", resolver=names)
    assert caught.value.kind == "refused_address"


def test_dns_rebinding_caught_at_connect(raw_server):
    """The name answers 127.0.0.1, then 127.0.0.2: the second connection is refused."""
    first = raw_server(keep_alive(lambda path: response(headers="Connection: close\r\n")))
    rebound = raw_server(host="127.0.0.2", port=first.port)
    answers = iter(["127.0.0.1", "127.0.0.2"])

    def rebinding(host, port, family=0, kind=0, proto=0, flags=0):
        return Names({host: next(answers)})(host, port, family, kind, proto, flags)

    url = f"http://shop.test:{first.port}/p"
    with Fetcher(settings(), resolver=rebinding) as fetcher:
        visit = fetcher.visit(target(url))
        assert visit(url).status == 200
        with pytest.raises(FetchError) as caught:
            visit(url)  # the server closed the connection: a new one resolves again
        assert fetcher.guard.connections == 1
    assert caught.value.kind == "refused_address"
    assert (first.accepted, rebound.accepted) == (1, 0)


def test_environment_proxies_ignored(server, raw_server, monkeypatch):
    proxy = raw_server()
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.setenv(name, proxy.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    server.expect_request("/p").respond_with_data("direct")
    assert fetch(server.url_for("/p")).body == b"direct"
    assert proxy.accepted == 0


def test_pool_manager_builds_only_guarded_pools():
    guard = Guard()
    manager = pool_manager(guard, pool_size=1)
    pool = manager.connection_from_url("http://10.0.0.1/p")
    assert pool.ConnectionCls.guard is guard
    with pytest.raises(FetchError) as caught:
        pool.urlopen("GET", "/p", retries=False)
    manager.clear()
    assert caught.value.kind == "refused_address"


def test_refused_address_wins_over_robots_txt():
    with pytest.raises(FetchError) as caught:
        fetch("http://10.0.0.1/p", settings(robots=True))
    assert caught.value.kind == "refused_address"


def test_nothing_allowed_by_default(server):
    with pytest.raises(FetchError) as caught:
        fetch(server.url_for("/p"), settings(allowed_networks=()))
    assert caught.value.kind == "refused_address" and not server.log


# HTTPS: the socket goes to the vetted address, the certificate is checked against the name.


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    """A throw-away CA and a certificate for shop.test signed by it."""
    folder = tmp_path_factory.mktemp("tls")

    def openssl(*args):
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=Test CA", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    openssl("req", *ec, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=shop.test")
    (folder / "leaf.ext").write_text(
        "subjectAltName=DNS:shop.test\nbasicConstraints=CA:FALSE\n"
        "keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n"
        "authorityKeyIdentifier=keyid\nsubjectKeyIdentifier=hash\n")
    openssl("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "leaf.pem", "-days", "2", "-extfile", "leaf.ext")
    return folder


@pytest.fixture(scope="module")
def tls_server(tls):
    """An HTTPS server on 127.0.0.1 presenting the shop.test certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls / "leaf.pem", tls / "leaf.key")
    httpserver = HTTPServer(host="127.0.0.1", port=0, ssl_context=context)
    httpserver.start()
    httpserver.expect_request("/p").respond_with_data("secure")
    yield httpserver
    httpserver.clear()
    httpserver.stop()


def https_fetch(name: str, port: int, ca_bundle=None):
    url = f"https://{name}:{port}/p"
    with Fetcher(settings(), resolver=Names({name: "127.0.0.1"}), ca_bundle=ca_bundle) as f:
        return f.visit(target(url))(url)


def test_https_verifies_the_name_while_connecting_to_the_vetted_address(tls, tls_server):
    page = https_fetch("shop.test", tls_server.port, str(tls / "ca.pem"))
    assert (page.status, page.body) == (200, b"secure")


def test_https_certificate_for_another_name_refused(tls, tls_server):
    with pytest.raises(FetchError, match="TLS") as caught:
        https_fetch("other.test", tls_server.port, str(tls / "ca.pem"))
    assert caught.value.kind == "connection" and caught.value.attempts == 1


def test_https_untrusted_certificate_refused(tls_server):
    with pytest.raises(FetchError, match="certificate verify failed") as caught:
        https_fetch("shop.test", tls_server.port)
    assert caught.value.kind == "connection"
