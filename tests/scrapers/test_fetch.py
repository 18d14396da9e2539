"""The fetcher against real local servers: redirects, retries, timeouts, caps, robots.txt."""

import gzip
import socket
import struct
import threading
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from werkzeug import Response

from scrapers.fetch import Fetcher, reason, retry_after
from scrapers.model import FetchError, Politeness

from .conftest import Recorder, fetch, keep_alive, read_request, response, settings, target


def test_page_with_headers_sent(server):
    server.expect_request("/p").respond_with_data(
        "<p>xin chào</p>", content_type="text/html; charset=utf-8", headers={"X-Shop": "1"})
    page = fetch(server.url_for("/p"), accept="text/html")
    request = server.log[0][0]
    assert request.headers["User-Agent"] == settings().user_agent
    assert request.headers["Accept-Language"] == settings().accept_language
    assert request.headers["Accept"] == "text/html"
    assert (page.status, page.body, page.attempts) == (200, "<p>xin chào</p>".encode(), 1)
    assert page.url == page.final_url == server.url_for("/p")
    assert page.chain == [{"status": 200, "url": server.url_for("/p")}]
    assert page.headers["x-shop"] == "1" and page.content_type == "text/html"
    assert page.elapsed < 2


@pytest.mark.parametrize("status", [404, 410, 403, 401, 451, 204, 304])
def test_other_statuses_are_pages_for_the_adapter(server, status):
    server.expect_request("/p").respond_with_data("", status=status)
    page = fetch(server.url_for("/p"))
    assert page.status == status and page.attempts == 1


def test_redirects_followed_hop_by_hop(server):
    server.expect_request("/a").respond_with_data("", 301, {"Location": "/b?x=1"})
    server.expect_request("/b").respond_with_data("", 302, {"Location": server.url_for("/c")})
    server.expect_request("/c").respond_with_data("", 307, {"Location": "d"})
    server.expect_request("/d").respond_with_data("gone", 404)
    page = fetch(server.url_for("/a"))
    assert page.chain == [
        {"status": 301, "url": server.url_for("/a")},
        {"status": 302, "url": server.url_for("/b?x=1")},
        {"status": 307, "url": server.url_for("/c")},
        {"status": 404, "url": server.url_for("/d")},
    ]
    assert (page.status, page.final_url, page.body, page.attempts) == (
        404, server.url_for("/d"), b"gone", 4)
    assert page.redirected


def test_redirect_to_another_host_refused_without_contacting_it(server, raw_server):
    other = raw_server()
    server.expect_request("/a").respond_with_data("", 302, {"Location": f"{other.url}/x"})
    with pytest.raises(FetchError) as caught:
        fetch(server.url_for("/a"))
    assert caught.value.kind == "off_site" and caught.value.verdict == "unknown"
    assert caught.value.chain == [{"status": 302, "url": server.url_for("/a")}]
    assert other.accepted == 0


def test_redirect_to_another_scheme_is_a_bad_url(server):
    server.expect_request("/a").respond_with_data("", 302, {"Location": "ftp://127.0.0.1/x"})
    with pytest.raises(FetchError, match="scheme") as caught:
        fetch(server.url_for("/a"))
    assert caught.value.kind == "bad_url"


def test_endless_redirects(server):
    server.expect_request("/loop").respond_with_data("", 302, {"Location": "/loop"})
    with pytest.raises(FetchError) as caught:
        fetch(server.url_for("/loop"), settings(max_redirects=3))
    assert caught.value.kind == "too_many_redirects"
    assert caught.value.verdict == "unreachable"
    assert len(server.log) == 4 and len(caught.value.chain) == 4


def test_a_redirect_without_location_is_the_final_page(server):
    server.expect_request("/a").respond_with_data("odd", 302)
    page = fetch(server.url_for("/a"))
    assert (page.status, page.body, page.chain[-1]["status"]) == (302, b"odd", 302)


def test_retry_recovers_from_503(server):
    server.expect_oneshot_request("/p").respond_with_data("busy", 503)
    server.expect_request("/p").respond_with_data("ok")
    page = fetch(server.url_for("/p"))
    assert (page.status, page.body, page.attempts) == (200, b"ok", 2)
    assert page.chain == [{"status": 200, "url": server.url_for("/p")}]


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_retry_gives_up_after_the_retries(server, status):
    server.expect_request("/p").respond_with_data("no", status)
    started = time.monotonic()
    with pytest.raises(FetchError, match=f"HTTP {status}") as caught:
        fetch(server.url_for("/p"), settings(retries=2, backoff=0.1))
    assert caught.value.kind == "status" and caught.value.verdict == "unreachable"
    assert caught.value.attempts == 3 and len(server.log) == 3
    assert time.monotonic() - started >= 0.1 + 0.2  # backoff doubles


def reset_first():
    """A handler that resets the first connection (RST, not FIN) and answers the others."""
    seen = []

    def handle(conn: socket.socket) -> bytes:
        seen.append(read_request(conn))
        if len(seen) == 1:
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        else:
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        return seen[-1]

    return handle


def test_retry_recovers_from_a_connection_reset(raw_server):
    raw = raw_server(reset_first())
    page = fetch(f"{raw.url}/p")
    assert (page.status, page.body, page.attempts) == (200, b"ok", 2)
    assert raw.accepted == 2


def test_connection_refused_persists():
    probe = socket.create_server(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nobody listens there now
    with pytest.raises(FetchError, match="(?i)refused") as caught:
        fetch(f"http://127.0.0.1:{port}/p", settings(retries=1))
    assert caught.value.kind == "connection" and caught.value.attempts == 2


def test_retry_after_seconds_honoured(server):
    recorder = Recorder()

    def throttle_once(request):
        recorder.enter()
        if len(recorder.starts) == 1:
            return Response("slow down", 429, {"Retry-After": "1"})
        return Response("ok")

    server.expect_request("/p").respond_with_handler(throttle_once)
    page = fetch(server.url_for("/p"), settings(backoff=0.01))
    assert page.status == 200 and page.attempts == 2
    assert recorder.gaps()[0] >= 0.95


def test_retry_after_date_honoured(server):
    when = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
    server.expect_oneshot_request("/p").respond_with_data(
        "", 503, {"Retry-After": format_datetime(when, usegmt=True)})
    server.expect_request("/p").respond_with_data("ok")
    started = time.monotonic()
    assert fetch(server.url_for("/p")).status == 200
    assert time.monotonic() - started >= 0.9


def test_overlong_retry_after_gives_up_at_once(server):
    server.expect_request("/p").respond_with_data("", 429, {"Retry-After": "3600"})
    started = time.monotonic()
    with pytest.raises(FetchError, match="Retry-After 3600s") as caught:
        fetch(server.url_for("/p"), settings(max_retry_after=60))
    assert caught.value.kind == "status" and caught.value.attempts == 1
    assert time.monotonic() - started < 1


def test_retry_after_parsing():
    soon = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert retry_after("120") == 120 and retry_after(" 1.5 ") == 1.5
    assert 28 < retry_after(soon) <= 30
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0  # past
    assert retry_after(None) is retry_after("") is retry_after("soon") is retry_after("nan")
    assert retry_after("-5") == 0


def test_slow_answer_past_the_read_timeout(server):
    def slow(request):
        time.sleep(1.0)
        return Response("late")

    server.expect_request("/p").respond_with_handler(slow)
    started = time.monotonic()
    with pytest.raises(FetchError, match="no answer within 0.3s") as caught:
        fetch(server.url_for("/p"), settings(read_timeout=0.3, retries=1))
    assert caught.value.kind == "timeout" and caught.value.verdict == "unreachable"
    assert caught.value.attempts == 2
    assert time.monotonic() - started < 1.5


def test_total_timeout_caps_retries(server):
    server.expect_request("/p").respond_with_data("", 503)
    started = time.monotonic()
    with pytest.raises(FetchError, match="no time left") as caught:
        fetch(server.url_for("/p"), settings(total_timeout=1.0, retries=10, backoff=0.4))
    assert caught.value.kind == "status"
    # Waiting 0.4 then 0.8 s would overrun the second: given up after the second attempt (about
    # 0.45 s), not at the deadline or past it.
    assert time.monotonic() - started < 0.9


def drip(conn: socket.socket) -> bytes:
    """Answer one byte every 0.1 s, for ever."""
    request = read_request(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n")
    for _ in range(100):
        time.sleep(0.1)
        conn.sendall(b"x")
    return request


def test_total_timeout_stops_a_drip_fed_body(raw_server):
    raw = raw_server(drip)
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        fetch(f"{raw.url}/p", settings(total_timeout=1.0, read_timeout=5.0))
    assert caught.value.kind == "timeout"
    assert 0.9 < time.monotonic() - started < 1.6


def test_oversized_body_by_content_length(server):
    server.expect_request("/p").respond_with_data(b"x" * 200_000)
    with pytest.raises(FetchError, match="Content-Length 200000") as caught:
        fetch(server.url_for("/p"), settings(max_bytes=100_000))
    assert caught.value.kind == "too_large" and caught.value.verdict == "unknown"


def test_oversized_streamed_body(server):
    def endless(request):
        return Response((b"x" * 10_000 for _ in range(1000)), content_type="text/html")

    server.expect_request("/p").respond_with_handler(endless)
    with pytest.raises(FetchError, match="body over 100000 bytes") as caught:
        fetch(server.url_for("/p"), settings(max_bytes=100_000))
    assert caught.value.kind == "too_large"


def test_body_at_the_cap_is_kept(server):
    server.expect_request("/p").respond_with_data(b"x" * 100_000)
    assert len(fetch(server.url_for("/p"), settings(max_bytes=100_000)).body) == 100_000


def test_gzip_bomb_stops_at_the_cap_without_inflating(raw_server):
    bomb = gzip.compress(b"\0" * 50_000_000, compresslevel=9)  # ~50 KB on the wire
    # A raw server: werkzeug in this process would add its own memory to the measurement.
    raw = raw_server(keep_alive(lambda path: response(
        200, bomb, "Content-Encoding: gzip\r\n")))
    tracemalloc.start()
    try:
        with pytest.raises(FetchError, match="body over 1000000 bytes") as caught:
            fetch(f"{raw.url}/p", settings(max_bytes=1_000_000))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert caught.value.kind == "too_large"
    assert peak < 3_000_000  # the cap and a chunk or two, never the 50 MB


def test_gzip_body_decoded(server):
    server.expect_request("/p").respond_with_data(
        gzip.compress("Trà sen".encode()), headers={"Content-Encoding": "gzip"})
    assert fetch(server.url_for("/p")).body == "Trà sen".encode()


def cut_chunked(conn: socket.socket) -> bytes:
    """A chunked body that stops before its last chunk."""
    request = read_request(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
    return request


def broken_gzip(conn: socket.socket) -> bytes:
    """A body that says gzip and is not."""
    request = read_request(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 12\r\n\r\n"
                 b"not gzipped!")
    return request


def garbage_status(conn: socket.socket) -> bytes:
    """No HTTP at all."""
    request = read_request(conn)
    conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")
    return request


def short_body(conn: socket.socket) -> bytes:
    """Fewer bytes than Content-Length promises."""
    request = read_request(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this")
    return request


@pytest.mark.parametrize(("handler", "tries", "words"), [
    (cut_chunked, 2, "cut short"),
    (short_body, 2, "cut short"),
    (broken_gzip, 1, "undecodable"),
    (garbage_status, 2, "BadStatusLine|SSH"),
])
def test_garbage_becomes_a_fetch_error(raw_server, handler, tries, words):
    raw = raw_server(handler)
    with pytest.raises(FetchError, match=words) as caught:
        fetch(f"{raw.url}/p", settings(retries=1))
    assert caught.value.kind == "connection" and caught.value.attempts == tries


def test_connections_are_reused(raw_server):
    def answer(path):
        return response(302, b"", "Location: /p\r\n") if path == "/r" else response()

    raw = raw_server(keep_alive(answer))
    with Fetcher(settings()) as fetcher:
        visit = fetcher.visit(target(f"{raw.url}/p"))
        for path in ("/p", "/p", "/r", "/p"):
            assert visit(f"{raw.url}{path}").status == 200
        assert fetcher.guard.connections == 1
    assert raw.accepted == 1


def test_cookies_kept_within_a_visit_only(server):
    server.expect_request("/set").respond_with_data(
        "", 302, {"Location": "/show", "Set-Cookie": "sid=abc; Path=/"})
    server.expect_request("/show").respond_with_handler(
        lambda request: Response(request.cookies.get("sid", "none")))
    with Fetcher(settings()) as fetcher:
        first = fetcher.visit(target(server.url_for("/set")))
        assert first(server.url_for("/set")).body == b"abc"
        assert first(server.url_for("/show")).body == b"abc"
        assert fetcher.visit(target(server.url_for("/show")))(server.url_for("/show")).body \
            == b"none"


@pytest.mark.parametrize("url", ["mailto:someone@example.vn", "http://[::1/p", "http:///p"])
def test_bad_urls(url):
    with Fetcher(settings()) as fetcher, pytest.raises(FetchError) as caught:
        fetcher.visit(target("http://127.0.0.1/"))(url)
    assert caught.value.kind == "bad_url"


def test_a_url_off_the_targets_hosts_is_refused(server):
    with Fetcher(settings()) as fetcher, pytest.raises(FetchError) as caught:
        fetcher.visit(target("http://shop.example/p"))(server.url_for("/p"))
    assert caught.value.kind == "off_site" and not server.log


def test_visit_logs_every_get(server):
    server.expect_request("/a").respond_with_data("", 301, {"Location": "/b"})
    server.expect_request("/b").respond_with_data("ok")
    server.expect_request("/c").respond_with_data("", 302, {"Location": "http://elsewhere/"})
    with Fetcher(settings()) as fetcher:
        visit = fetcher.visit(target(server.url_for("/a")))
        visit(server.url_for("/a"))
        with pytest.raises(FetchError):
            visit(server.url_for("/c"))
    assert visit.log == [
        {"url": server.url_for("/a"), "status": 200,
         "chain": [{"status": 301, "url": server.url_for("/a")},
                   {"status": 200, "url": server.url_for("/b")}]},
        {"url": server.url_for("/c"), "error": "off_site",
         "chain": [{"status": 302, "url": server.url_for("/c")}]},
    ]
    assert visit.attempts == 3 and isinstance(visit.last, FetchError)


def test_reason_drops_object_addresses():
    class Inner(Exception):
        pass

    outer = RuntimeError(Inner("<urllib3.connection.HTTPConnection object at 0xdeadbeef>: "
                               "Failed to establish a new connection: refused"))
    assert reason(outer) == "Failed to establish a new connection: refused"


# robots.txt


def robots_settings(**changes):
    return settings(robots=True, **changes)


def test_robots_disallow(server):
    server.expect_request("/robots.txt").respond_with_data(
        "User-agent: *\nDisallow: /private\n", content_type="text/plain")
    server.expect_request("/public").respond_with_data("ok")
    with Fetcher(robots_settings()) as fetcher:
        visit = fetcher.visit(target(server.url_for("/public")))
        assert visit(server.url_for("/public")).status == 200
        with pytest.raises(FetchError, match="disallows /private") as caught:
            visit(server.url_for("/private"))
    assert caught.value.kind == "robots" and caught.value.verdict == "blocked"
    paths = [request.path for request, _ in server.log]
    assert paths == ["/robots.txt", "/public"]  # robots.txt read once, /private never asked


def test_robots_for_our_agent_only(server):
    server.expect_request("/robots.txt").respond_with_data(
        "User-agent: OCOPListingTracker\nDisallow: /\n\nUser-agent: *\nAllow: /\n")
    with pytest.raises(FetchError) as caught:
        fetch(server.url_for("/p"), robots_settings())
    assert caught.value.kind == "robots"


def test_robots_checked_on_every_redirect_hop(server):
    server.expect_request("/robots.txt").respond_with_data("User-agent: *\nDisallow: /no\n")
    server.expect_request("/p").respond_with_data("", 302, {"Location": "/no/p"})
    with pytest.raises(FetchError) as caught:
        fetch(server.url_for("/p"), robots_settings())
    assert caught.value.kind == "robots"
    assert caught.value.chain == [{"status": 302, "url": server.url_for("/p")}]


@pytest.mark.parametrize("status", [404, 401, 403, 410])
def test_robots_4xx_allows_everything(server, status):
    server.expect_request("/robots.txt").respond_with_data("nope", status)
    server.expect_request("/p").respond_with_data("ok")
    assert fetch(server.url_for("/p"), robots_settings()).status == 200


def test_robots_unreachable_disallows_for_now(server):
    server.expect_request("/robots.txt").respond_with_data("", 503)
    server.expect_request("/p").respond_with_data("ok")
    with Fetcher(robots_settings(retries=1)) as fetcher:
        visit = fetcher.visit(target(server.url_for("/p")))
        for _ in range(2):
            with pytest.raises(FetchError, match="robots.txt unreadable: HTTP 503") as caught:
                visit(server.url_for("/p"))
            assert caught.value.verdict == "unreachable"
    paths = [request.path for request, _ in server.log]
    assert paths == ["/robots.txt", "/robots.txt"]  # one fetch (two tries), then remembered
    assert visit.attempts == 2  # what was sent: nothing more for the second GET


def test_robots_fetched_once_for_many_threads(server):
    recorder = Recorder()

    def robots(request):
        recorder.enter()
        time.sleep(0.2)
        return Response("User-agent: *\nDisallow: /x\n")

    server.expect_request("/robots.txt").respond_with_handler(robots)
    server.expect_request("/p").respond_with_data("ok")
    with Fetcher(robots_settings()) as fetcher:
        statuses = []

        def one():
            statuses.append(fetcher.visit(target(server.url_for("/p")))(server.url_for("/p"))
                            .status)

        threads = [threading.Thread(target=one) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert statuses == [200] * 6 and len(recorder.starts) == 1


def test_robots_redirect_elsewhere_allows(server):
    server.expect_request("/robots.txt").respond_with_data(
        "", 301, {"Location": "http://cdn.example/robots.txt"})
    server.expect_request("/p").respond_with_data("ok")
    assert fetch(server.url_for("/p"), robots_settings()).status == 200


def test_huge_robots_truncated_not_refused(server):
    server.expect_request("/robots.txt").respond_with_data(
        "User-agent: *\nDisallow: /x\n" + "# padding\n" * 100_000)
    server.expect_request("/x").respond_with_data("ok")
    with pytest.raises(FetchError) as caught:
        fetch(server.url_for("/x"), robots_settings(max_bytes=10_000))
    assert caught.value.kind == "robots"


def test_stop_cuts_a_backoff_short(server):
    server.expect_request("/p").respond_with_data("", 503)
    with Fetcher(settings(backoff=5.0, retries=3, total_timeout=30)) as fetcher:
        threading.Timer(0.3, fetcher.stop).start()
        started = time.monotonic()
        with pytest.raises(FetchError, match="stopped"):
            fetcher.visit(target(server.url_for("/p")))(server.url_for("/p"))
        assert time.monotonic() - started < 1.5


def test_unresolvable_name_is_a_connection_error():
    def nowhere(host, port, family=0, kind=0, proto=0, flags=0):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with pytest.raises(FetchError, match="Failed to resolve") as caught:
        fetch("http://no-such-shop.test/p", settings(retries=1), resolver=nowhere)
    assert caught.value.kind == "connection" and caught.value.attempts == 2


def test_connect_timeout():
    # A listener whose backlog is full drops further SYNs: the connect never completes.
    listener = socket.create_server(("127.0.0.1", 0), backlog=0)
    port = listener.getsockname()[1]
    fillers = []
    try:
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
            fillers.append(filler)
        time.sleep(0.05)
        started = time.monotonic()
        with pytest.raises(FetchError, match="no connection within 0.3s") as caught:
            fetch(f"http://127.0.0.1:{port}/p", settings(connect_timeout=0.3, retries=0))
        assert caught.value.kind == "timeout" and time.monotonic() - started < 1.5
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


def test_no_request_once_the_listing_is_out_of_time(server):
    server.expect_request("/p").respond_with_data("ok")
    with Fetcher(settings()) as fetcher:
        visit = fetcher.visit(target(server.url_for("/p")))
        visit.deadline.at = time.monotonic() - 1
        with pytest.raises(FetchError, match="over the 10s") as caught:
            visit(server.url_for("/p"))
    assert caught.value.kind == "timeout" and not server.log


def test_a_politeness_wait_longer_than_the_time_left_gives_up(server):
    server.expect_request("/p").respond_with_data("ok")
    config = settings(polite=True, jitter=0.0, total_timeout=1.0,
                      marketplaces={"cho": Politeness(concurrency=2, min_interval=5.0)})
    with Fetcher(config) as fetcher:
        assert fetcher.visit(target(server.url_for("/p")))(server.url_for("/p")).status == 200
        started = time.monotonic()
        with pytest.raises(FetchError, match="politeness") as caught:
            fetcher.visit(target(server.url_for("/p")))(server.url_for("/p"))
    assert caught.value.kind == "timeout" and time.monotonic() - started < 0.5
    assert len(server.log) == 1


def test_robots_txt_itself_is_never_disallowed(server):
    server.expect_request("/robots.txt").respond_with_data("User-agent: *\nDisallow: /\n")
    page = fetch(server.url_for("/robots.txt"), robots_settings())
    assert page.status == 200 and len(server.log) == 1


def test_utf8_location_followed(raw_server):
    def answer(path):
        if path == "/p":
            return response(301, b"", "Location: /s\xe1\xba\xa3n-ph\xe1\xba\xa9m\r\n".encode(
                "latin-1"))
        return response(200, path.encode())

    raw = raw_server(keep_alive(answer))
    page = fetch(f"{raw.url}/p")
    assert page.body == b"/s%E1%BA%A3n-ph%E1%BA%A9m"
    assert page.final_url == f"{raw.url}/sản-phẩm"


@pytest.mark.parametrize("location", ["http://[::1/x", "http://user:pw@127.0.0.1/x"])
def test_garbage_location_is_a_bad_url(raw_server, location):
    raw = raw_server(keep_alive(lambda path: response(302, b"", f"Location: {location}\r\n")))
    with pytest.raises(FetchError) as caught:
        fetch(f"{raw.url}/p")
    assert caught.value.kind == "bad_url" and caught.value.attempts == 1
