"""Share links followed to their listing against real servers on loopback addresses.

The shortener and the marketplace are the one local server; names such as s.shopee.vn reach it
through an injected resolver. Settings allow 127.0.0.1/32 only: listeners on 127.0.0.2 stand for
private addresses and must never see a connection.
"""

import time

import pytest

from scrapers import adapters
from scrapers.share import ShareResolver, share_adapter
from tests.scrapers.conftest import Names, at, redirect, settings

SHOPEE = adapters.get("shopee")
LOCAL_NAMES = {"s.shopee.vn": "127.0.0.1", "shope.ee": "127.0.0.1", "shopee.vn": "127.0.0.1",
               "vt.tiktok.com": "127.0.0.1", "www.tiktok.com": "127.0.0.1",
               "s.lazada.vn": "127.0.0.1", "www.lazada.vn": "127.0.0.1"}


@pytest.fixture
def names():
    return Names(dict(LOCAL_NAMES))


@pytest.fixture
def shares(names):
    """A resolver on the test settings whose names reach the local server."""
    with ShareResolver(settings(), resolver=names, timeout=3.0) as resolver:
        yield resolver


def html(server, path: str, body: str, status: int = 200) -> None:
    server.expect_request(path).respond_with_data(body, status=status,
                                                  content_type="text/html; charset=utf-8")


def shopee(server) -> frozenset[str]:
    return frozenset({f"shopee.vn:{server.port}"})


def requested(server) -> list[str]:
    return [request.path for request, _ in server.log]


def test_a_redirect_chain_ends_at_the_listing_which_is_not_fetched(server, shares):
    redirect(server, "/AbCd", at(server, "shope.ee", "/old"), 301)
    redirect(server, "/old", at(server, "shopee.vn", "/universal-link?x=1"))
    redirect(server, "/universal-link", at(server, "shopee.vn", "/Tra-sen-i.11.22?sp_atk=t"), 307)
    found = shares.resolve(at(server, "s.shopee.vn", "/AbCd"), SHOPEE, shopee(server))
    assert found.outcome == "resolved", found
    assert found.listing.canonical == at(server, "shopee.vn", "/Tra-sen-i.11.22")
    assert (found.listing.item_id, found.listing.entered) == ("11.22", found.entered)
    assert [hop["status"] for hop in found.chain] == [301, 302, 307]
    assert requested(server) == ["/AbCd", "/old", "/universal-link"]  # not the listing


@pytest.mark.parametrize("head", [
    '<meta http-equiv="refresh" content="0; url={url}">',
    '<link rel="canonical" href="{url}">',
    '<meta property="og:url" content="{url}">',
])
def test_a_200_page_that_names_the_listing_is_one_more_hop(server, shares, head):
    listing = at(server, "shopee.vn", "/product/5/6")
    html(server, "/ZzZz", f"<html><head>{head.format(url=listing)}</head><body>…</body></html>")
    found = shares.resolve(at(server, "s.shopee.vn", "/ZzZz"), SHOPEE, shopee(server))
    assert (found.outcome, found.listing.item_id) == ("resolved", "5.6")
    assert requested(server) == ["/ZzZz"]


def test_a_relative_meta_refresh_is_followed_on_the_shortener(server, shares):
    html(server, "/a", '<meta http-equiv="Refresh" content="1;URL=\'/b\'">')
    redirect(server, "/b", at(server, "shopee.vn", "/x-i.1.2"))
    found = shares.resolve(at(server, "s.shopee.vn", "/a"), SHOPEE, shopee(server))
    assert (found.outcome, found.listing.item_id) == ("resolved", "1.2")


def test_a_canonical_link_off_the_marketplace_is_not_taken(server, shares, names):
    html(server, "/a", '<link rel="canonical" href="https://elsewhere.test/x-i.1.2">')
    found = shares.resolve(at(server, "s.shopee.vn", "/a"), SHOPEE, shopee(server))
    assert found.outcome == "not_listing"
    assert "elsewhere.test" not in names.calls


def test_a_hop_off_the_marketplace_is_refused_before_it_is_requested(server, shares, names):
    redirect(server, "/a", "https://shopee.co.id/x-i.1.2")  # another country's site
    found = shares.resolve(at(server, "s.shopee.vn", "/a"), SHOPEE, shopee(server))
    assert (found.outcome, found.last) == ("off_site", "https://shopee.co.id/x-i.1.2")
    assert "shopee.co.id" not in names.calls


def test_a_hop_to_a_private_address_is_refused_and_sends_nothing(server, shares, raw_server):
    inside = raw_server(host="127.0.0.2")
    redirect(server, "/a", f"http://127.0.0.2:{inside.port}/x")
    found = shares.resolve(at(server, "s.shopee.vn", "/a"), SHOPEE, shopee(server))
    assert (found.outcome, found.last) == ("refused", f"http://127.0.0.2:{inside.port}/x")
    time.sleep(0.1)
    assert inside.accepted == 0


def test_a_share_host_that_resolves_to_a_private_address_is_refused(server, raw_server):
    inside = raw_server(host="127.0.0.2")
    names = Names({**LOCAL_NAMES, "shope.ee": "127.0.0.2"})
    redirect(server, "/a", f"http://shope.ee:{inside.port}/x")
    with ShareResolver(settings(), resolver=names, timeout=3.0) as shares:
        found = shares.resolve(at(server, "s.shopee.vn", "/a"), SHOPEE, shopee(server))
        assert (found.outcome, found.last) == ("refused", f"http://shope.ee:{inside.port}/x")
        first = shares.resolve(f"http://shope.ee:{inside.port}/y", SHOPEE, shopee(server))
        assert first.outcome == "refused"
    time.sleep(0.1)
    assert inside.accepted == 0


def test_a_loop_and_a_long_chain_stop(server, shares):
    redirect(server, "/a", at(server, "s.shopee.vn", "/b"))
    redirect(server, "/b", at(server, "s.shopee.vn", "/a"))
    loop = shares.resolve(at(server, "s.shopee.vn", "/a"), SHOPEE, shopee(server))
    assert loop.outcome == "too_many_redirects" and "loop" in loop.detail
    for n in range(10):
        redirect(server, f"/r{n}", at(server, "s.shopee.vn", f"/r{n + 1}"))
    long = shares.resolve(at(server, "s.shopee.vn", "/r0"), SHOPEE, shopee(server))
    assert long.outcome == "too_many_redirects"
    assert len(long.chain) == 6


def test_a_shortener_that_does_not_answer_is_unreachable(raw_server, names):
    def silent(conn):
        time.sleep(3)
        return b""

    slow = raw_server(silent)
    with ShareResolver(settings(read_timeout=5.0), resolver=names, timeout=1.0) as shares:
        started = time.monotonic()
        found = shares.resolve(f"http://s.shopee.vn:{slow.port}/a", SHOPEE,
                               {f"shopee.vn:{slow.port}"})
    assert found.outcome == "unreachable" and "timeout" in found.detail
    assert time.monotonic() - started < 2.5


def test_landing_on_the_home_page_or_a_404_is_not_a_listing(server, shares):
    redirect(server, "/a", at(server, "shopee.vn", "/"))
    html(server, "/", "<html><head><title>Shopee</title></head><body>Trang chủ</body></html>")
    found = shares.resolve(at(server, "s.shopee.vn", "/a"), SHOPEE, shopee(server))
    assert (found.outcome, found.last) == ("not_listing", at(server, "shopee.vn", "/"))
    html(server, "/gone", "not here", status=404)
    assert shares.resolve(at(server, "s.shopee.vn", "/gone"), SHOPEE,
                          shopee(server)).outcome == "not_listing"


def test_a_wall_at_the_shortener_is_unreachable_not_a_verdict(server, shares):
    html(server, "/a", "Access denied", status=403)
    found = shares.resolve(at(server, "s.shopee.vn", "/a"), SHOPEE, shopee(server))
    assert found.outcome == "unreachable"


def test_tiktok_and_lazada_share_links(server, shares):
    redirect(server, "/ZS1/", at(server, "www.tiktok.com",
                                 "/view/product/1729?region=VN&locale=vi-VN&u_code=z"))
    found = shares.resolve(at(server, "vt.tiktok.com", "/ZS1/"), adapters.get("tiktok"),
                           {f"www.tiktok.com:{server.port}"})
    assert found.listing.canonical == at(server, "www.tiktok.com",
                                         "/view/product/1729?locale=vi-VN&region=VN")
    redirect(server, "/s.AbC", at(server, "www.lazada.vn", "/products/che-i42-s43.html?spm=a"))
    found = shares.resolve(at(server, "s.lazada.vn", "/s.AbC"), adapters.get("lazada"),
                           {f"www.lazada.vn:{server.port}"})
    assert (found.outcome, found.listing.item_id) == ("resolved", "42")


def test_the_budget_bounds_every_link_of_a_caller(server, names):
    def slow(_request):
        time.sleep(0.5)
        from werkzeug import Response
        return Response("", status=302, headers={"Location": at(server, "shopee.vn", "/a-i.1.2")})

    server.expect_request("/slow").respond_with_handler(slow)
    with ShareResolver(settings(), resolver=names, budget=1.2, workers=2) as shares:
        started = time.monotonic()
        futures = [shares.submit(at(server, "s.shopee.vn", "/slow"), SHOPEE, shopee(server))
                   for _ in range(12)]
        outcomes = [f.result().outcome for f in futures]
    assert time.monotonic() - started < 2.5
    assert "resolved" in outcomes and "budget" in outcomes
    assert set(outcomes) <= {"resolved", "budget", "unreachable"}


def test_share_hosts_are_matched_by_name_whatever_the_port():
    assert share_adapter("https://s.shopee.vn/AbCd").name == "shopee"
    assert share_adapter("http://SHOPE.EE:8080/x").name == "shopee"
    assert share_adapter("https://vm.tiktok.com/ZM1/").name == "tiktok"
    assert share_adapter("https://s.lazada.vn/s.x").name == "lazada"
    assert share_adapter("https://shopee.vn/a-i.1.2") is None
    assert share_adapter("not a url") is None
