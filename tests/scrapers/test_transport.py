"""Every adapter through the real engine when the network misbehaves: failures that recover or
persist, slow and oversized answers, gzip bombs, endless redirects, robots.txt refusals and
SSRF attempts. None of them may ever give "removed"."""

import gzip
import time
from dataclasses import replace

import pytest
from werkzeug import Request, Response

from scrapers.engine import check_one
from scrapers.model import Target
from tests.scrapers import pages
from tests.scrapers.market import ALL, PATHS, SETTINGS, Market

LIVE_PAGE = pages.product_page("InStock")


def serve(market: Market, answer) -> list[str]:
    """Every path answers `answer(request, n)`, n counting that path's requests from 0;
    returns the log of paths requested."""
    seen: list[str] = []

    def handler(request: Request) -> Response:
        n = seen.count(request.path)
        seen.append(request.path)
        return answer(request, n)

    market.server.expect_request(r"").respond_with_handler(handler)
    return seen


def html(body, status: int = 200, **headers) -> Response:
    return Response(body, status=status, content_type="text/html; charset=utf-8",
                    headers=headers)


def check(market: Market, adapter: str, *, hosts=(), **changes):
    """The adapter's listing on the market, checked with `changes` to the test settings."""
    target = Target(key=1, url=market.url(PATHS[adapter][0]), adapter=adapter,
                    marketplace=adapter, hosts=frozenset({market.host, *hosts}))
    result = check_one(target, replace(SETTINGS, **changes))
    assert result.verdict != "removed", result.evidence
    return result


@pytest.mark.parametrize("adapter", ALL)
def test_failures_that_recover_are_retried(market, adapter):
    serve(market, lambda request, n: html("busy", 503) if n == 0 else html(LIVE_PAGE))
    result = check(market, adapter, retries=2)
    assert (result.verdict, result.evidence["rule"]) == ("active", "jsonld-availability")
    assert result.evidence["attempts"] >= 2


@pytest.mark.parametrize("adapter", ALL)
def test_failures_that_persist_are_unreachable(market, adapter):
    serve(market, lambda request, n: html("bad gateway", 502))
    result = check(market, adapter, retries=2)
    assert (result.verdict, result.evidence["rule"]) == ("unreachable", "fetch-status")
    assert result.evidence["chain"][-1]["status"] == 502


@pytest.mark.parametrize("adapter", ALL)
def test_a_slow_answer_past_the_timeout_is_unreachable(market, adapter):
    def slow(request, n):
        time.sleep(0.6)
        return html(LIVE_PAGE)

    serve(market, slow)
    result = check(market, adapter, read_timeout=0.2, total_timeout=1.0)
    assert (result.verdict, result.evidence["rule"]) == ("unreachable", "fetch-timeout")


@pytest.mark.parametrize("adapter", ALL)
def test_an_oversized_body_is_unknown(market, adapter):
    serve(market, lambda request, n: html(LIVE_PAGE + " " * 300_000))
    result = check(market, adapter, max_bytes=100_000)
    assert (result.verdict, result.evidence["rule"]) == ("unknown", "fetch-too_large")


@pytest.mark.parametrize("adapter", ALL)
def test_a_gzip_bomb_is_unknown(market, adapter):
    bomb = gzip.compress(b"\0" * 20_000_000)  # 20 MB that travel as about 20 KB
    serve(market, lambda request, n: html(bomb, **{"Content-Encoding": "gzip"}))
    result = check(market, adapter, max_bytes=1_000_000)
    assert (result.verdict, result.evidence["rule"]) == ("unknown", "fetch-too_large")


@pytest.mark.parametrize("adapter", ALL)
def test_endless_redirects_are_unreachable(market, adapter):
    serve(market, lambda request, n: html("", 302, Location=f"{request.path}x"))
    result = check(market, adapter)
    assert (result.verdict, result.evidence["rule"]) == ("unreachable",
                                                         "fetch-too_many_redirects")


@pytest.mark.parametrize("adapter", ALL)
def test_robots_txt_that_disallows_is_obeyed(market, adapter):
    seen = serve(market, lambda request, n: html("User-agent: *\nDisallow: /\n")
                 if request.path == "/robots.txt" else html(LIVE_PAGE))
    result = check(market, adapter, robots=True)
    assert (result.verdict, result.evidence["rule"]) == ("blocked", "fetch-robots")
    assert seen == ["/robots.txt"]  # the listing itself was never asked for


@pytest.mark.parametrize("adapter", ALL)
def test_a_redirect_to_a_private_address_is_refused_before_connecting(market, adapter,
                                                                      raw_server):
    trap = raw_server(host="127.0.0.2")
    trap_host = f"127.0.0.2:{trap.port}"
    serve(market, lambda request, n: html("", 302, Location=f"http://{trap_host}/item"))
    # The trap is among the marketplace's hosts: only the address check can stop the request.
    result = check(market, adapter, hosts=(trap_host,))
    assert (result.verdict, result.evidence["rule"]) == ("unknown", "fetch-refused_address")
    time.sleep(0.05)
    assert trap.accepted == 0


@pytest.mark.parametrize("adapter", ALL)
def test_a_redirect_off_the_marketplace_is_not_followed(market, adapter, raw_server):
    elsewhere = raw_server()
    serve(market, lambda request, n: html(
        "", 302, Location=f"http://localhost:{elsewhere.port}/item"))
    result = check(market, adapter)
    assert (result.verdict, result.evidence["rule"]) == ("unknown", "fetch-off_site")
    time.sleep(0.05)
    assert elsewhere.accepted == 0
