"""Reading pages without the network: every JSON-LD shape, microdata, OpenGraph, phrases, prices."""

import json
import timeit
import unicodedata

import pytest

from scrapers import extract
from scrapers.extract import availability_verdict, find_phrases, fold, parse_price, structured
from tests.scrapers import pages
from tests.scrapers.pages import NAME, PRICE, jsonld, offer, product


@pytest.mark.parametrize(("value", "amount"), [
    ("1.290.000 ₫", 1290000), ("1,290,000đ", 1290000), ("290.000 VND", 290000),
    ("₫1.290.000", 1290000), ("1.290.000đ", 1290000), ("Giá: 45.000₫/hộp", 45000),
    (1290000, 1290000), (1290000.0, 1290000), ("1290000", 1290000), ("290000.00", 290000),
    ("290000.5", 290000), ("1.290.000,00 ₫", 1290000), ("1,290,000.50", 1290000),
    ("100.000 ₫ - 200.000 ₫", 100000), ("₫150.000 – ₫99.000", 99000), ("50.000~80.000", 50000),
    ("1\u00a0290\u00a0000 ₫", 1290000), ("290.000 2 hộp", 290000),
    ("", None), (None, None), ("Liên hệ", None), (0, None), ("0 ₫", None), (True, None),
    (-5, None), (float("nan"), None), (float("inf"), None),
])
def test_parse_price(value, amount):
    assert parse_price(value) == amount


@pytest.mark.parametrize(("value", "verdict"), [
    ("https://schema.org/InStock", "active"), ("http://schema.org/InStock", "active"),
    ("InStock", "active"), ("schema:InStock", "active"), ("https://schema.org/InStock/", "active"),
    ("LimitedAvailability", "active"), ("OnlineOnly", "active"), ("InStoreOnly", "active"),
    ("PreSale", "active"), ("PreOrder", "active"), ("BackOrder", "active"),
    ("MadeToOrder", "active"), ("http://schema.org/OutOfStock", "out_of_stock"),
    ("SoldOut", "out_of_stock"), ("Reserved", "out_of_stock"),
    ("https://schema.org/Discontinued", "removed"),
    ("instock", "active"), ("in stock", "active"), ("In Stock", "active"),
    ("available for order", "active"), ("preorder", "active"), ("oos", "out_of_stock"),
    ("out of stock", "out_of_stock"), ("out_of_stock", "out_of_stock"),
    ({"@id": "https://schema.org/OutOfStock"}, "out_of_stock"), (["InStock"], "active"),
    ("pending", None), ("", None), (None, None), ("Hết hàng", None), ([], None),
])
def test_availability_verdict(value, verdict):
    assert availability_verdict(value) == verdict


def head(*blocks) -> str:
    """A bare page whose head holds `blocks`."""
    return f"<html><head><title>Tiêu đề</title>{''.join(blocks)}</head><body></body></html>"


SHAPES = {
    "plain": product("OutOfStock"),
    "graph": {"@context": "https://schema.org", "@graph": [
        {"@type": "WebSite", "name": "Sàn"}, {"@type": "BreadcrumbList", "itemListElement": []},
        product("OutOfStock")]},
    "array": [{"@type": "Organization", "name": "Sàn"}, product("OutOfStock")],
    "nested": {"@type": "WebPage", "mainEntity": product("OutOfStock")},
    "capitalised keys": {"@type": "Product", "Name": NAME,
                         "Offers": {"@type": "Offer", "Price": "290.000",
                                    "Availability": "http://schema.org/OutOfStock"}},
    "offers list": product(offers=[offer("OutOfStock"), offer("SoldOut", 300000)]),
    "aggregate": product(offers={"@type": "AggregateOffer", "lowPrice": "290000",
                                 "highPrice": "350000", "offerCount": 2,
                                 "offers": [offer("OutOfStock")]}),
    "aggregate only": product(offers={"@type": "AggregateOffer", "lowPrice": 290000,
                                      "availability": "OutOfStock"}),
    "no prefix": product(offers=offer("OutOfStock", prefix="")),
    "schema prefix": product(offers=offer("OutOfStock", prefix="schema:")),
    "id object": product(offers={"@type": "Offer", "price": PRICE,
                                 "availability": {"@id": "https://schema.org/OutOfStock"}}),
    "type url and list": {"@type": ["http://schema.org/Product", "Thing"], "name": NAME,
                          "offers": offer("OutOfStock")},
    "on product": {"@type": "Product", "name": NAME, "availability": "OutOfStock",
                   "offers": {"price": PRICE}},
    "product group": {"@type": "ProductGroup", "name": NAME, "hasVariant": [
        product("OutOfStock"), product("SoldOut")]},
    "price specification": product(offers={"@type": "Offer", "availability": "OutOfStock",
                                           "priceSpecification": {"price": "290.000 ₫"}}),
}


@pytest.mark.parametrize("shape", SHAPES)
def test_jsonld_shapes(shape):
    signals = structured(head(jsonld(SHAPES[shape])))
    assert (signals.verdict, signals.source, signals.product) == ("out_of_stock", "jsonld", True)
    assert signals.title == NAME
    assert signals.price == PRICE
    assert "OutOfStock" in signals.availability or "SoldOut" in signals.availability


def test_one_buyable_offer_makes_the_listing_active():
    signals = structured(head(jsonld(product(offers=[offer("OutOfStock"), offer("InStock")]))))
    assert (signals.verdict, signals.availability) == ("active", "https://schema.org/InStock")


def test_discontinued_is_removed():
    assert structured(head(jsonld(product("Discontinued")))).verdict == "removed"


def test_products_in_a_list_are_not_the_page_product():
    listing = {"@type": "ItemList", "itemListElement": [
        {"@type": "ListItem", "item": product("InStock")}]}
    signals = structured(head(jsonld(listing)))
    assert (signals.product, signals.verdict, signals.title) == (False, None, "Tiêu đề")


def test_the_first_product_is_the_main_one():
    signals = structured(head(jsonld(product("OutOfStock", name="Chính")),
                              jsonld(product("InStock", name="Khác"))))
    assert (signals.title, signals.verdict) == ("Chính", "out_of_stock")


def test_product_without_offers_is_an_entity_without_availability():
    signals = structured(head(jsonld(product(None))))
    assert (signals.product, signals.verdict, signals.price, signals.title) == (
        True, None, None, NAME)


def test_unreadable_blocks_are_counted_and_skipped():
    broken = '<script type="application/ld+json">{"@type": "Product", "name": </script>'
    signals = structured(head(broken, jsonld(product("InStock"))))
    assert (signals.jsonld, signals.jsonld_invalid, signals.verdict) == (2, 1, "active")


def test_wrapped_blocks_and_raw_newlines_are_read():
    raw = json.dumps(product("InStock", name="Trà\nsen"), ensure_ascii=False)
    raw = raw.replace("\\n", "\n")
    block = f"<SCRIPT TYPE='application/ld+json'>\n<!--\n{raw}\n-->\n</SCRIPT>"
    signals = structured(head(block))
    assert (signals.verdict, signals.title) == ("active", "Trà sen")


def test_title_in_markup_is_unescaped():
    signals = structured(head(jsonld(product("InStock", name="Trà &amp; sen"))))
    assert signals.title == "Trà & sen"


@pytest.mark.parametrize(("value", "verdict"), [
    ("instock", "active"), ("in stock", "active"), ("oos", "out_of_stock"),
    ("out of stock", "out_of_stock"), ("preorder", "active"), ("discontinued", "removed"),
])
def test_opengraph_availability(value, verdict):
    signals = structured(pages.og_page(value))
    assert (signals.verdict, signals.source, signals.product) == (verdict, "og", True)
    assert (signals.title, signals.price, signals.availability) == (NAME, PRICE, value)


def test_og_availability_alias_and_og_price():
    html = head('<meta property="og:availability" content="out of stock">',
                '<meta content="₫290.000" property="og:price:amount">',
                '<meta property="og:title" content="Trà &amp; sen">')
    signals = structured(html)
    assert (signals.verdict, signals.price, signals.title) == ("out_of_stock", PRICE, "Trà & sen")


def test_unknown_og_value_decides_nothing():
    signals = structured(pages.og_page("pending"))
    assert (signals.verdict, signals.product, signals.availability) == (None, True, None)


@pytest.mark.parametrize(("value", "verdict"), [
    ("OutOfStock", "out_of_stock"), ("InStock", "active"), ("LimitedAvailability", "active"),
])
def test_microdata(value, verdict):
    signals = structured(pages.microdata_page(value))
    assert (signals.verdict, signals.source, signals.product, signals.price) == (
        verdict, "microdata", True, PRICE)


def test_microdata_in_content_and_text():
    html = head('<div itemscope itemtype="http://schema.org/Product">'
                '<meta itemprop="availability" content="http://schema.org/SoldOut">'
                '<span itemprop="price">1.290.000 ₫</span></div>')
    signals = structured(html)
    assert (signals.verdict, signals.price) == ("out_of_stock", 1290000)


def test_jsonld_wins_over_opengraph():
    html = head('<meta property="product:availability" content="instock">',
                jsonld(product("OutOfStock")))
    assert structured(html).verdict == "out_of_stock"


def test_no_structured_data():
    signals = structured(pages.home_page())
    assert (signals.verdict, signals.product, signals.title) == (
        None, False, "Sàn thử nghiệm – Trang chủ")


def test_fold_and_phrases_tolerate_nfd_case_and_whitespace():
    text = unicodedata.normalize("NFD", "SẢN PHẨM   ĐÃ HẾT\n\t HÀNG")
    assert find_phrases(fold(text)) == {"out_of_stock": "sản phẩm đã hết hàng"}
    assert fold("Trà\u00a0sen") == "trà sen"


@pytest.mark.parametrize(("text", "found"), [
    ("Tạm hết hàng", {"out_of_stock": "tạm hết hàng"}),
    ("Sắp hết hàng, mua nhanh kẻo hết hàng!", {"in_stock": "sắp hết hàng"}),
    ("Không còn hàng", {"out_of_stock": "không còn hàng"}),
    ("Còn hàng · Thêm vào giỏ hàng", {"in_stock": "còn hàng"}),
    ("Sản phẩm đã bị xoá", {"not_found": "sản phẩm đã bị xoá"}),
    ("Sản phẩm đã bị xóa", {"not_found": "sản phẩm đã bị xóa"}),
    ("Ngừng kinh doanh", {"discontinued": "ngừng kinh doanh"}),
    ("Tạm ngừng bán", {"out_of_stock": "tạm ngừng bán"}),
    ("OUT OF STOCK", {"out_of_stock": "out of stock"}),
    ("Not in stock", {"out_of_stock": "not in stock"}),
    ("Only 2 left in stock. Add to cart", {"in_stock": "in stock"}),
    ("This product is no longer available", {"not_found": "this product is no longer available"}),
    ("I\u2019m not a robot", {"captcha": "i'm not a robot"}),
    ("Thêm vào giỏ hàng", {"in_stock": "thêm vào giỏ hàng"}),
    ("Hết hàng | Mua ngay", {"out_of_stock": "hết hàng", "in_stock": "mua ngay"}),
    ("Muangay", {}), ("chethết hàng", {}),
])
def test_phrases(text, found):
    assert find_phrases(fold(text)) == found


def test_visible_text_leaves_out_chrome_and_other_products():
    text = extract.visible_text(pages.phrase_page("Thêm vào giỏ hàng"))
    assert "thêm vào giỏ hàng" in text.area
    for word in ("hết hàng", "mua ngay", "không tồn tại", "verify", "đăng nhập"):
        assert word not in text.area, word
    assert text.title == fold(NAME)
    assert text.heading == fold(NAME)
    assert not text.password_field


def test_visible_text_keeps_the_product_whatever_its_containers_are_called():
    html = ('<html><body class="single-product cookies-not-set"><div id="similar-wrap">'
            '<h1>Trà</h1><p>Hết hàng</p></div><div class="related"><p>Mua ngay</p></div>'
            "</body></html>")
    assert extract.visible_text(html).area == "trà hết hàng"


def test_visible_text_finds_a_password_field_and_survives_odd_input():
    assert extract.visible_text(pages.login_page()).password_field
    xml = '<?xml version="1.0" encoding="utf-8"?><html><body><p>Mua ngay</p></body></html>'
    assert extract.visible_text(xml).area == "mua ngay"
    assert extract.visible_text("   ") is None
    assert extract.visible_text("<p>Hết hàng</p>").area == "hết hàng"


@pytest.mark.parametrize(("html", "rule"), [
    (pages.cloudflare_page(), "cloudflare-challenge"),
    (pages.punish_page(), "captcha"),
    ("<html><head><title>Security Check</title></head></html>", "captcha"),
    (pages.captcha_page(), "captcha"),
])
def test_challenge_markers(html, rule):
    assert extract.challenge(html)[0] == rule


@pytest.mark.parametrize("html", [
    pages.product_page(), pages.shell_page(), pages.login_page(),
    "<html><head><title>Robot hút bụi thông minh</title></head></html>",
])
def test_no_challenge_on_ordinary_pages(html):
    assert extract.challenge(html) is None


def test_jsonld_path_is_fast_on_a_50_kb_page():
    html = pages.product_page("OutOfStock", size=50_000)
    assert 48_000 < len(html.encode()) < 55_000
    best = min(timeit.repeat(lambda: structured(html), number=20, repeat=3)) / 20
    assert structured(html).verdict == "out_of_stock"
    assert best < 0.005, f"{best * 1000:.2f} ms per page"


@pytest.mark.parametrize(("name", "title"), [
    ({"@value": "Trà sen", "@language": "vi"}, "Trà sen"), (["Trà sen", "Lotus tea"], "Trà sen"),
    (42, "Tiêu đề"), ([], "Tiêu đề"), ("   ", "Tiêu đề"),  # the <title> stands in
])
def test_product_name_shapes(name, title):
    assert structured(head(jsonld({"@type": "Product", "name": name}))).title == title


def test_odd_json_ld_is_walked_safely():
    deep = product("InStock")
    for _ in range(20):
        deep = {"@type": "WebPage", "about": deep}
    odd = {"@type": "ProductGroup", "name": NAME, "hasVariant": ["sku-1", product("SoldOut")],
           "isRelatedTo": [1, "x", None]}
    assert structured(head(jsonld(deep))).product is False  # too deep to be the page's product
    assert structured(head(jsonld(odd))).verdict == "out_of_stock"


@pytest.mark.parametrize("hostile", [
    "<a" * 200_000 + ' itemprop="price"',
    "<meta" * 200_000,
    "<title>" * 200_000,
    '<script type="application/ld+json">' * 50_000,
    '<script type="application/ld+json">' + "[" * 100_000 + "</script>",
])
def test_hostile_markup_is_read_in_linear_time(hostile):
    start = timeit.default_timer()
    signals = structured(hostile)
    extract.challenge(hostile)
    assert signals.verdict is None
    assert timeit.default_timer() - start < 1.0
