"""Adapters end to end: imitation marketplaces on a real local server, checked by the real engine.

Every scenario asserts the verdict and the rule that decided it; any scenario whose verdict
is not "removed" also asserts that it never became "removed".
"""

from urllib.parse import urlsplit

import pytest

from scrapers import adapters
from scrapers.adapters.api import ApiAdapter
from scrapers.model import Page, Target
from tests.scrapers import pages
from tests.scrapers.market import ALL, API, PATHS
from tests.scrapers.pages import NAME, PRICE


def expect(result, verdict: str, rule: str):
    """The verdict and rule, and never a removal the scenario does not call for."""
    assert (result.verdict, result.evidence["rule"]) == (verdict, rule), result.evidence
    if verdict != "removed":
        assert result.verdict != "removed"


def listing(adapter: str) -> str:
    return PATHS[adapter][0]


# Scenarios every adapter shares: serve(market, adapter) registers the imitation responses.
def live(m, a):
    m.page(listing(a), pages.product_page("InStock", size=50_000))


def out_of_stock(m, a):
    m.page(listing(a), pages.product_page("OutOfStock"))


def discontinued(m, a):
    m.page(listing(a), pages.product_page("Discontinued"))


def og_out_of_stock(m, a):
    m.page(listing(a), pages.og_page("oos"))


def microdata_live(m, a):
    m.page(listing(a), pages.microdata_page("InStock"))


def phrase_sold_out(m, a):
    m.page(listing(a), pages.phrase_page("Tạm hết hàng"))


def phrase_buy(m, a):
    m.page(listing(a), pages.phrase_page("Thêm vào giỏ hàng"))


def phrase_discontinued(m, a):
    m.page(listing(a), pages.phrase_page("Sản phẩm ngừng kinh doanh"))


def gone_404(m, a):
    m.page(listing(a), pages.soft_404_page(), status=404)


def gone_410(m, a):
    m.page(listing(a), "Gone", status=410, content_type="text/plain")


def soft_404(m, a):
    m.page(listing(a), pages.soft_404_page())


def not_found_text_on_a_product(m, a):
    m.page(listing(a), pages.document("<p>Sản phẩm không tồn tại trong kho khác.</p>",
                                      head=pages.jsonld(pages.product(None))))


def to_home(m, a):
    m.redirect(listing(a), "/", 302)
    m.page("/", pages.home_page())


def to_search(m, a):
    m.redirect(listing(a), "/search?q=tra+sen")
    m.page("/search", pages.search_page())


def to_new_slug(m, a):
    m.redirect(listing(a), PATHS[a][1])
    m.page(PATHS[a][1], pages.product_page("InStock"))


def forbidden(m, a):
    m.page(listing(a), "<h1>403 Forbidden</h1>", status=403)


def unauthorized(m, a):
    m.page(listing(a), "", status=401)


def captcha_200(m, a):
    m.page(listing(a), pages.captcha_page())


def cloudflare_403(m, a):
    m.page(listing(a), pages.cloudflare_page(), status=403)


def cloudflare_header(m, a):
    m.page(listing(a), "<html><body>…</body></html>", headers={"cf-mitigated": "challenge"})


def punish_200(m, a):
    m.page(listing(a), pages.punish_page())


def to_captcha(m, a):
    m.redirect(listing(a), "/verify/captcha?anti_bot_tracking_id=1", 302)
    m.page("/verify/captcha", pages.captcha_page())


def to_login(m, a):
    m.redirect(listing(a), "/buyer/login?next=x", 302)
    m.page("/buyer/login", pages.login_page())


def login_200(m, a):
    m.page(listing(a), pages.login_page())


def challenge_on_home(m, a):
    m.redirect(listing(a), "/", 302)
    m.page("/", pages.cloudflare_page())


def login_on_home(m, a):
    m.redirect(listing(a), "/", 302)
    m.page("/", pages.login_page())


def app_shell(m, a):
    m.page(listing(a), pages.shell_page())


def truncated(m, a):
    m.page(listing(a), pages.truncated_page())


def wrong_type(m, a):
    m.page(listing(a), b"\x89PNG\r\n\x1a\n....", content_type="image/png")


def json_instead(m, a):
    m.page(listing(a), '{"ok": true}', content_type="application/json")


def empty(m, a):
    m.page(listing(a), "")


def unavailable(m, a):
    m.page(listing(a), "busy", status=503, content_type="text/plain")


def rate_limited(m, a):
    m.page(listing(a), "slow down", status=429, headers={"Retry-After": "0"})


def teapot(m, a):
    m.page(listing(a), "?", status=418)


def no_signals(m, a):
    m.page(listing(a), pages.document("<h1>Giới thiệu</h1>" + "<p>Văn bản dài.</p>" * 40,
                                      chrome=False))


def price_without_availability(m, a):
    m.page(listing(a), pages.document(f"<h1>{NAME}</h1>",
                                      head=pages.jsonld(pages.product(offers={"price": PRICE}))))


def human_check_text(m, a):
    m.page(listing(a), pages.document("<p>Please verify you are a human to continue.</p>",
                                      title="Sàn", chrome=False))


def captcha_widget_only(m, a):
    m.page(listing(a), pages.document('<form><div class="h-captcha" data-sitekey="k"></div>'
                                      "</form>", title="Sàn", chrome=False))


def broken_jsonld(m, a):
    m.page(listing(a), pages.document("<p>Văn bản.</p>" * 50, chrome=False,
                                      head='<script type="application/ld+json">{"@type": '
                                           '"Product", "offers": </script>'))


def comment_only(m, a):
    m.page(listing(a), "<!-- nothing here -->")


SHARED = {
    price_without_availability: ("active", "product-entity"),
    human_check_text: ("blocked", "captcha"),
    captcha_widget_only: ("blocked", "captcha"),
    broken_jsonld: ("unknown", "invalid-jsonld"),
    comment_only: ("unknown", "empty-body"),
    live: ("active", "jsonld-availability"),
    out_of_stock: ("out_of_stock", "jsonld-availability"),
    discontinued: ("removed", "jsonld-availability"),
    og_out_of_stock: ("out_of_stock", "og-availability"),
    microdata_live: ("active", "microdata-availability"),
    phrase_sold_out: ("out_of_stock", "phrase-out-of-stock"),
    phrase_buy: ("active", "phrase-in-stock"),
    phrase_discontinued: ("out_of_stock", "phrase-discontinued"),
    gone_404: ("removed", "http-404"),
    gone_410: ("removed", "http-410"),
    soft_404: ("removed", "soft-404"),
    not_found_text_on_a_product: ("unknown", "no-signals"),
    to_home: ("removed", "redirect-away"),
    to_search: ("removed", "redirect-away"),
    to_new_slug: ("active", "jsonld-availability"),
    forbidden: ("blocked", "http-403"),
    unauthorized: ("blocked", "http-401"),
    captcha_200: ("blocked", "captcha"),
    cloudflare_403: ("blocked", "cloudflare-challenge"),
    cloudflare_header: ("blocked", "cloudflare-challenge"),
    punish_200: ("blocked", "captcha"),
    to_captcha: ("blocked", "captcha"),
    to_login: ("blocked", "login-wall"),
    login_200: ("blocked", "login-wall"),
    challenge_on_home: ("blocked", "cloudflare-challenge"),
    login_on_home: ("blocked", "login-wall"),
    app_shell: ("unknown", "app-shell"),
    truncated: ("unknown", "truncated"),
    wrong_type: ("unknown", "content-type"),
    json_instead: ("unknown", "content-type"),
    empty: ("unknown", "empty-body"),
    unavailable: ("unreachable", "fetch-status"),
    rate_limited: ("unreachable", "fetch-status"),
    teapot: ("unknown", "http-418"),
    no_signals: ("unknown", "no-signals"),
}


@pytest.mark.parametrize("adapter", ALL)
@pytest.mark.parametrize("scenario", SHARED, ids=lambda s: s.__name__)
def test_shared_scenarios(market, adapter, scenario):
    market.quiet_api(adapter)
    scenario(market, adapter)
    expect(market.check(adapter), *SHARED[scenario])


@pytest.mark.parametrize("adapter", ALL)
def test_live_page_fills_title_and_price(market, adapter):
    market.quiet_api(adapter)
    live(market, adapter)
    evidence = market.check(adapter).evidence
    assert (evidence["title"], evidence["price"]) == (NAME, PRICE)
    assert evidence["availability"] == "https://schema.org/InStock"


@pytest.mark.parametrize("adapter", [a for a in ALL if PATHS[a][2]])
def test_redirect_to_another_item_is_unknown(market, adapter):
    market.quiet_api(adapter)
    market.redirect(listing(adapter), PATHS[adapter][2])
    market.page(PATHS[adapter][2], pages.product_page("InStock"))
    expect(market.check(adapter), "unknown", "redirect-other-item")


def test_generic_judges_the_page_another_path_redirects_to(market):
    market.redirect("/sp/tra-sen", "/san-pham/tra-sen.html")
    market.page("/san-pham/tra-sen.html", pages.product_page("OutOfStock"))
    expect(market.check("generic"), "out_of_stock", "jsonld-availability")


@pytest.mark.parametrize("away", ["/danh-muc/tra", "/collections/tra", "/?s=tra",
                                  "/index.html", "/shop/"])
def test_generic_category_and_search_pages_are_away(market, away):
    market.redirect("/sp/tra-sen", away)
    market.page(urlsplit(away).path, pages.home_page())
    expect(market.check("generic"), "removed", "redirect-away")


def test_generic_shopify_product_under_a_collection_is_an_item(market):
    market.redirect("/sp/tra-sen", "/collections/tra/products/tra-sen")
    market.page("/collections/tra/products/tra-sen", pages.product_page("InStock"))
    expect(market.check("generic"), "active", "jsonld-availability")


# Shopee: the item API decides when it answers with an item.
SHOPEE_QUERY = {"shopid": "123", "itemid": "456"}


@pytest.mark.parametrize(("stock", "verdict"), [(12, "active"), (0, "out_of_stock")])
def test_shopee_api_stock(market, stock, verdict):
    market.json(API["shopee"], pages.shopee_item(stock), query=SHOPEE_QUERY)
    result = market.check("shopee")
    expect(result, verdict, "api-stock")
    assert (result.evidence["title"], result.evidence["price"]) == (NAME, PRICE)
    assert len(result.evidence["requests"]) == 1  # the page was not needed


def test_shopee_product_url_shape_asks_the_same_item(market):
    market.json(API["shopee"], pages.shopee_item(3), query=SHOPEE_QUERY)
    expect(market.check("shopee", "/product/123/456"), "active", "api-stock")


@pytest.mark.parametrize(("api", "page", "verdict", "rule"), [
    ((pages.shopee_error(), 200), pages.shell_page(), "blocked", "api-error"),
    (("Forbidden", 403), pages.shell_page(), "blocked", "http-403"),
    ((pages.shopee_error(), 200), None, "removed", "http-404"),
    (("<html>oops", 200), pages.shell_page(), "unknown", "app-shell"),
    ((pages.punish_page(), 200), pages.shell_page(), "blocked", "captcha"),
    (([1, 2], 200), pages.shell_page(), "unknown", "app-shell"),
    ((pages.shopee_item(5, status="banned"), 200), pages.shell_page(), "unknown", "app-shell"),
    (({"error": 0, "data": {"name": NAME}}, 200), pages.shell_page(), "unknown", "app-shell"),
    (({"error": 0, "data": None}, 200), pages.product_page("OutOfStock"), "out_of_stock",
     "jsonld-availability"),
    (("busy", 500), pages.product_page("InStock"), "active", "jsonld-availability"),
])
def test_shopee_api_that_does_not_decide(market, api, page, verdict, rule):
    market.json(API["shopee"], api[0], status=api[1])
    if page is None:
        market.page(listing("shopee"), "Not found", status=404)
    else:
        market.page(listing("shopee"), page)
    expect(market.check("shopee"), verdict, rule)


def test_shopee_api_redirected_to_verification_is_blocked(market):
    market.redirect(API["shopee"], "/verify/traffic", 302)
    market.page("/verify/traffic", pages.captcha_page())
    market.page(listing("shopee"), pages.shell_page())
    result = market.check("shopee")
    expect(result, "blocked", "captcha")
    assert "page:" in result.evidence["detail"]


def test_shopee_garbage_says_what_the_api_sent(market):
    market.json(API["shopee"], "<html>oops")
    market.page(listing("shopee"), pages.shell_page())
    assert "not JSON" in market.check("shopee").evidence["detail"]


# Tiki: the public product API, the page when it is refused or garbled.
@pytest.mark.parametrize(("status", "verdict"), [
    ("available", "active"), ("out_of_stock", "out_of_stock"), ("discontinued", "removed"),
    ("pre_order", "active"),
])
def test_tiki_api_inventory_status(market, status, verdict):
    market.json(API["tiki"], pages.tiki_product(status),
                query={"platform": "web", "spid": "11"})
    result = market.check("tiki")
    expect(result, verdict, "api-inventory-status")
    assert (result.evidence["title"], result.evidence["price"]) == (NAME, PRICE)
    assert result.evidence["availability"] == status


def test_tiki_without_spid_asks_for_the_product_alone(market):
    market.json(API["tiki"], pages.tiki_product(), query={"platform": "web"})
    expect(market.check("tiki", "/tra-sen-p789.html"), "active", "api-inventory-status")


def test_tiki_api_not_found_is_removed(market):
    market.json(API["tiki"], pages.tiki_not_found(), status=404)
    expect(market.check("tiki"), "removed", "api-not-found")


@pytest.mark.parametrize(("api", "page", "verdict", "rule"), [
    (("<h1>Not Found</h1>", 404), pages.product_page("InStock"), "active", "jsonld-availability"),
    (("Forbidden", 403), pages.product_page("OutOfStock"), "out_of_stock", "jsonld-availability"),
    (("Forbidden", 403), pages.shell_page(), "blocked", "http-403"),
    (("{\"name\": ", 200), pages.product_page("InStock"), "active", "jsonld-availability"),
    (("{\"name\": ", 200), pages.shell_page(), "unknown", "app-shell"),
    ((pages.tiki_product("upcoming"), 200), pages.shell_page(), "unknown", "app-shell"),
    (("busy", 502), pages.phrase_page("Hết hàng"), "out_of_stock", "phrase-out-of-stock"),
])
def test_tiki_falls_back_to_the_page(market, api, page, verdict, rule):
    market.json(API["tiki"], api[0], status=api[1])
    market.page(listing("tiki"), page)
    result = market.check("tiki")
    expect(result, verdict, rule)
    assert "API" in result.evidence["detail"]


# Lazada: the module JSON its pages embed.
@pytest.mark.parametrize(("stock", "verdict"), [(7, "active"), (0, "out_of_stock")])
def test_lazada_module_data(market, stock, verdict):
    market.page(listing("lazada"), pages.lazada_page(stock))
    result = market.check("lazada")
    expect(result, verdict, "page-data-stock")
    assert (result.evidence["title"], result.evidence["price"]) == (NAME, PRICE)


def test_lazada_redirect_to_punish_is_blocked(market):
    market.redirect(listing("lazada"), "/_____tmd_____/punish?x5secdata=abc", 302)
    market.page("/_____tmd_____/punish", pages.punish_page())
    expect(market.check("lazada"), "blocked", "captcha")


def test_lazada_unreadable_module_data_is_skipped(market):
    body = pages.document("<script>window.pageData = {broken</script>"
                          "<script>window.pageData = {\"x\": {\"skuInfos\": []}};</script>"
                          "<script>__moduleData__ = {\"skuInfos\": {\"0\": {\"stock\": \"n/a\"}}}"
                          ";</script>", chrome=False)
    market.page(listing("lazada"), body)
    expect(market.check("lazada"), "unknown", "app-shell")


def test_lazada_stock_as_text(market):
    body = pages.document('<script>window.pageData = {"skuInfos": {"0": {"stock": "4"}}};'
                          "</script>", chrome=False, title="Trà")
    market.page(listing("lazada"), body)
    result = market.check("lazada")
    expect(result, "active", "page-data-stock")
    assert (result.evidence["title"], result.evidence["price"]) == ("Trà", None)


def test_registry():
    assert set(adapters.ADAPTERS) == set(PATHS)
    assert adapters.get("tiki").name == "tiki"
    with pytest.raises(KeyError):
        adapters.get("amazon")


def test_cloudflare_503_challenge_is_blocked_at_once(market):
    market.page(listing("voso"), pages.cloudflare_page(), status=503,
                headers={"cf-mitigated": "challenge"})
    result = market.check("voso")
    expect(result, "blocked", "cloudflare-challenge")
    assert result.evidence["attempts"] == 1  # an answer, not a hiccup to retry


def test_a_persistent_503_is_unreachable_with_its_status_in_the_chain(market):
    market.page(listing("voso"), pages.cloudflare_page(), status=503)
    result = market.check("voso")
    expect(result, "unreachable", "fetch-status")
    assert result.evidence["chain"] == [{"status": 503, "url": result.evidence["url"]}]


def test_shopee_url_without_an_item_is_judged_by_its_page_alone(market):
    market.page("/shop-tra", pages.product_page("InStock"))
    result = market.check("shopee", "/shop-tra")
    expect(result, "active", "jsonld-availability")
    assert len(result.evidence["requests"]) == 1


def test_tiki_url_without_an_item_asks_no_api(market):
    market.page("/tra-sen.html", pages.product_page("OutOfStock"))
    expect(market.check("tiki", "/tra-sen.html"), "out_of_stock", "jsonld-availability")


@pytest.mark.parametrize(("status", "body"), [(404, {"error": 4}), (418, "?")])
def test_shopee_api_statuses_that_say_nothing(market, status, body):
    market.json(API["shopee"], body, status=status)
    market.page(listing("shopee"), pages.product_page("InStock"))
    result = market.check("shopee")
    expect(result, "active", "jsonld-availability")
    assert f"API answered HTTP {status}" in result.evidence["detail"]


def page(status: int, body: str = "", url: str = "http://sàn.test/sp/a") -> Page:
    """A page as the engine would hand it to an adapter."""
    return Page(url, url, status, [{"status": status, "url": url}],
                {"content-type": "text/html"}, body.encode(), 0.0, 1)


@pytest.mark.parametrize("status", [500, 502, 408, 429])
def test_transient_statuses_handed_over_are_unreachable(status):
    target = Target(1, "http://sàn.test/sp/a", "generic", "g", frozenset({"sàn.test"}))
    finding = adapters.get("generic").judge(target, page(status, "busy"))
    assert (finding.verdict, finding.rule) == ("unreachable", f"http-{status}")


def test_an_api_adapter_without_an_api_judges_the_page():
    class Plain(ApiAdapter):
        name = "generic"

    target = Target(1, "http://sàn.test/sp/a", "generic", "g", frozenset({"sàn.test"}))
    finding = Plain().check(target, lambda url, accept=None: page(200, pages.og_page("instock")))
    assert (finding.verdict, finding.rule) == ("active", "og-availability")
    assert Plain().judge_json({"a": 1}).rule == "api-shape"
