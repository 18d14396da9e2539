"""Listing URLs: canonical form and item id per marketplace (scrapers.identity knows no Flask)."""

from urllib.parse import urlsplit

import pytest

from scrapers.identity import UrlError, parse, split_host


@pytest.mark.parametrize(("adapter", "url", "canonical", "item"), [
    ("shopee", "https://shopee.vn/Tra-hoa-sen-i.123.456?sp_atk=a&xptdk=b&utm_source=fb",
     "https://shopee.vn/Tra-hoa-sen-i.123.456", "123.456"),
    ("shopee", "shopee.vn/product/123/456/", "https://shopee.vn/product/123/456/", "123.456"),
    ("tiki", "https://tiki.vn/tra-sen-p789.html?spid=11&utm_medium=x#reviews",
     "https://tiki.vn/tra-sen-p789.html?spid=11", "789"),
    ("lazada", "https://www.lazada.vn/products/lap-suon-i4000001-s5000001.html?spm=a2o4n",
     "https://www.lazada.vn/products/lap-suon-i4000001-s5000001.html", "4000001"),
    ("lazada", "https://www.lazada.vn/products/pdp-i42.html",
     "https://www.lazada.vn/products/pdp-i42.html", "42"),
    ("tiktok", "https://shop.tiktok.com/view/product/1729?region=VN&locale=vi-VN&u_code=z",
     "https://shop.tiktok.com/view/product/1729?locale=vi-VN&region=VN", "1729"),
    ("postmart", "https://postmart.vn/p/buoi-muc-100001.html?fbclid=q",
     "https://postmart.vn/p/buoi-muc-100001.html", "100001"),
    ("voso", "HTTPS://VOSO.VN/che-p200002.html", "https://voso.vn/che-p200002.html", "200002"),
    ("sendo", "https://www.sendo.vn/mat-ong-12345.html", "https://www.sendo.vn/mat-ong-12345.html",
     "12345"),
    ("generic", "http://127.0.0.1:8765/sp/tra?b=2&a=1&utm_campaign=x",
     "http://127.0.0.1:8765/sp/tra?a=1&b=2", "/sp/tra?a=1&b=2"),
])
def test_parse(adapter, url, canonical, item):
    parsed = parse(url, adapter)
    assert (parsed.canonical, parsed.item_id) == (canonical, item)


def test_same_item_under_another_slug_has_the_same_id():
    a = parse("https://shopee.vn/old-name-i.1.2", "shopee")
    b = parse("https://shopee.vn/new-name-i.1.2?sp_atk=1", "shopee")
    assert a.item_id == b.item_id


@pytest.mark.parametrize(("url", "code"), [
    ("", "empty"),
    ("ftp://shopee.vn/a-i.1.2", "scheme"),
    ("javascript:alert(1)", "scheme"),
    ("https://user:pw@shopee.vn/a-i.1.2", "malformed"),
    ("https://shopee.vn:99999/a", "malformed"),
    ("https://shopee.vn/search?keyword=tra", "not_item"),
])
def test_refused(url, code):
    with pytest.raises(UrlError) as info:
        parse(url, "shopee")
    assert info.value.code == code


def test_host_keeps_only_a_non_default_port():
    assert split_host("https://Shopee.VN:443/x")[1] == "shopee.vn"
    assert split_host("http://127.0.0.1:5001/x")[1] == "127.0.0.1:5001"


@pytest.mark.parametrize(("url", "host", "canonical"), [
    ("http://[2001:DB8:0:0::1]:8080/p?utm_source=x&b=1", "[2001:db8::1]:8080",
     "http://[2001:db8::1]:8080/p?b=1"),
    ("http://[::1]:8080/sp/che", "[::1]:8080", "http://[::1]:8080/sp/che"),
    ("https://[2001:db8::1]:443/p", "[2001:db8::1]", "https://[2001:db8::1]/p"),
    ("http://[::FFFF:192.0.2.1]/p", "[::ffff:192.0.2.1]", "http://[::ffff:192.0.2.1]/p"),
])
def test_an_ipv6_host_keeps_its_brackets(url, host, canonical):
    parsed = parse(url, "generic")
    assert (split_host(url)[1], parsed.host, parsed.canonical) == (host, host, canonical)
    assert urlsplit(parsed.canonical).hostname == host.partition("]")[0].lstrip("[")


@pytest.mark.parametrize("url", [
    "http://[fe80::1%25eth0]/p",  # a zone names an interface of one machine
    "http://[v1.fe]/p",  # an IPvFuture literal
    "http://[1.2.3.4]/p",
    "http://[::1/p",
    "http://2001:db8::1/p",  # no brackets
])
def test_malformed_ip_literals_are_refused(url):
    with pytest.raises(UrlError) as info:
        parse(url, "generic")
    assert info.value.code == "malformed"
