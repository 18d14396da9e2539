"""The TikTok Shop Partner API client against its imitation: the sign over path, sorted
parameters and body; the authorization flow with its state; tokens that expire or are
revoked; each product status's verdict."""

import hashlib
import hmac
from dataclasses import replace
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from ocop.sample_platforms.imitation import item
from scrapers.identity import UrlError
from scrapers.openplatform import AuthExpired, AuthRevoked, Item, Partner, PlatformError
from scrapers.openplatform import tiktok as client
from tests.openplatform.conftest import CALLBACK, utcnow

REDIRECT = f"{CALLBACK}?nonce=abc"


def came_back(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def connect(server, session, shop_id="7001"):
    """A grant for `shop_id` through the whole flow: link, consent, callback, exchange."""
    back = server.consent(client.authorize_url(server.partner, REDIRECT, utcnow()), shop_id)
    assert back.startswith(CALLBACK + "?")  # where the app registered, not in the link
    args = came_back(back)
    assert client.returned(args)["nonce"] == "abc"
    return client.exchange(server.partner, *client.callback(args), session, utcnow())



def test_listing_ids_name_the_item_and_no_shop():
    assert client.listing_ids(
        "https://shop.tiktok.com/view/product/1729?region=VN&locale=vi-VN&utm_source=x") == (
        None, "1729")
    assert client.listing_ids("https://www.tiktok.com/vn/pdp/che-bat-tien/1729") == (None, "1729")
    with pytest.raises(UrlError):
        client.listing_ids("https://shop.tiktok.com/@chehuongtam")


def test_sign_follows_the_documented_recipe():
    """Path, then name+value pairs sorted by name without sign and access_token, then the
    body, wrapped in the secret: computed here by hand for one request."""
    query = {"timestamp": "1700000000", "app_key": "k", "shop_cipher": "c", "sign": "x",
             "access_token": "t"}
    text = "s/product/202309/products/1app_keykshop_cipherctimestamp1700000000{\"a\":1}s"
    expected = hmac.new(b"s", text.encode(), hashlib.sha256).hexdigest()
    assert client.sign("s", "/product/202309/products/1", query, '{"a":1}') == expected


def test_connect_names_the_shop_and_keeps_its_cipher(tiktok, session):
    tiktok.add_shop("7001", "Chè Hướng Tâm")
    grant = connect(tiktok, session)
    assert (grant.shop_id, grant.shop_name) == ("7001", "Chè Hướng Tâm")
    assert grant.extra["shop_cipher"] == tiktok.cipher("7001")
    assert grant.access_expires > utcnow() and grant.refresh_expires > grant.access_expires


CASES = [  # (status, stock, verdict, rule)
    ("ACTIVATE", 9, "active", "seller_api-status-ACTIVATE"),
    ("ACTIVATE", 0, "out_of_stock", "seller_api-stock-0"),
    ("ACTIVATE", None, "unknown", "seller_api-stock-missing"),
    ("SELLER_DEACTIVATED", 9, "unlisted", "seller_api-status-SELLER_DEACTIVATED"),
    ("PLATFORM_DEACTIVATED", 9, "removed", "seller_api-status-PLATFORM_DEACTIVATED"),
    ("DELETED", 0, "removed", "seller_api-status-DELETED"),
    ("FREEZE", 9, "unknown", "seller_api-status-FREEZE"),
    ("DRAFT", 9, "unknown", "seller_api-status-DRAFT"),
    ("PENDING", 9, "unknown", "seller_api-status-PENDING"),
    ("FAILED", 9, "unknown", "seller_api-status-FAILED"),
    ("SOMETHING_ELSE", 9, "unknown", "seller_api-status-SOMETHING_ELSE"),
]


@pytest.mark.parametrize(("status", "stock", "verdict", "rule"), CASES)
def test_each_product_status_read_and_judged(tiktok, session, status, stock, verdict, rule):
    tiktok.add_shop("7001", items={"1729": item(status, stock, 95_000, "Mận Tam hoa sấy dẻo")})
    grant = connect(tiktok, session)
    found = client.items(tiktok.partner, grant, ["1729"], session, utcnow())
    assert found == {"1729": Item("1729", status, stock, 95_000, "Mận Tam hoa sấy dẻo")}
    assert client.verdict(found["1729"]) == (verdict, rule)


def test_every_documented_status_has_a_case():
    assert set(client.ITEM_STATUSES) <= {case[0] for case in CASES}


def test_one_call_per_product(tiktok, session):
    tiktok.add_shop("7001", items={str(n): item("ACTIVATE") for n in range(1, 4)})
    grant = connect(tiktok, session)
    assert set(client.items(tiktok.partner, grant, ["1", "2", "3", "2"], session,
                            utcnow())) == {"1", "2", "3"}
    asked = [p for p, _ in tiktok.calls if p.startswith(client.PRODUCT_PATH)]
    assert asked == [client.PRODUCT_PATH + n for n in ("1", "2", "3")]


def test_a_product_error_is_an_error_not_an_absence(tiktok, session):
    tiktok.add_shop("7001", items={"1": item("ACTIVATE")})
    grant = connect(tiktok, session)
    with pytest.raises(PlatformError) as raised:
        client.items(tiktok.partner, grant, ["1", "999"], session, utcnow())
    assert type(raised.value) is PlatformError


def test_another_shops_cipher_is_refused(tiktok, session):
    tiktok.add_shop("7001", items={"1": item("ACTIVATE")})
    grant = connect(tiktok, session)
    forged = replace(grant, extra=grant.extra | {"shop_cipher": "ROW_other"})
    with pytest.raises(PlatformError):
        client.items(tiktok.partner, forged, ["1"], session, utcnow())


def test_expired_access_token_then_refresh(tiktok, session):
    tiktok.add_shop("7001", items={"1": item("ACTIVATE")})
    grant = connect(tiktok, session)
    tiktok.expire_tokens()
    with pytest.raises(AuthExpired) as raised:
        client.items(tiktok.partner, grant, ["1"], session, utcnow())
    assert raised.value.code == "105002"
    renewed = client.refresh(tiktok.partner, grant, session, utcnow())
    assert renewed.extra == grant.extra and renewed.access_token != grant.access_token
    assert set(client.items(tiktok.partner, renewed, ["1"], session, utcnow())) == {"1"}


def test_revoked_or_lapsed_authorization_must_be_reconnected(tiktok, session):
    tiktok.add_shop("7001", items={"1": item("ACTIVATE")})
    grant = connect(tiktok, session)
    tiktok.revoke("7001")
    with pytest.raises(AuthExpired):
        client.items(tiktok.partner, grant, ["1"], session, utcnow())
    with pytest.raises(AuthRevoked):
        client.refresh(tiktok.partner, grant, session, utcnow())
    second = connect(tiktok, session)
    tiktok.expire_refresh()
    with pytest.raises(AuthRevoked):
        client.refresh(tiktok.partner, second, session, utcnow())


def test_a_code_is_single_use(tiktok, session):
    tiktok.add_shop("7001")
    back = tiktok.consent(client.authorize_url(tiktok.partner, REDIRECT, utcnow()), "7001")
    code, _ = client.callback(came_back(back))
    client.exchange(tiktok.partner, code, "", session, utcnow())
    with pytest.raises(AuthRevoked):
        client.exchange(tiktok.partner, code, "", session, utcnow())


def test_wrong_secret_is_refused_as_a_wrong_sign(tiktok, session):
    tiktok.add_shop("7001", items={"1": item("ACTIVATE")})
    grant = connect(tiktok, session)
    forged = Partner(tiktok.app_key, "not-the-secret", tiktok.base)
    with pytest.raises(PlatformError) as raised:
        client.items(forged, grant, ["1"], session, utcnow())
    assert raised.value.code == "106001" and type(raised.value) is PlatformError


def test_a_stale_timestamp_is_refused(tiktok, session):
    tiktok.add_shop("7001", items={"1": item("ACTIVATE")})
    grant = connect(tiktok, session)
    with pytest.raises(PlatformError):
        client.items(tiktok.partner, grant, ["1"], session, utcnow() - timedelta(minutes=6))


def test_exchange_for_a_shop_the_seller_did_not_authorize(tiktok, session):
    tiktok.add_shop("7001")
    tiktok.add_shop("7002")
    back = tiktok.consent(client.authorize_url(tiktok.partner, REDIRECT, utcnow()), "7001")
    with pytest.raises(PlatformError) as raised:
        client.exchange(tiktok.partner, client.callback(came_back(back))[0], "7002", session,
                        utcnow())
    assert raised.value.code == "which_shop"


def test_callback_without_a_code_or_with_a_refusal(tiktok):
    tiktok.add_shop("7001")
    with pytest.raises(PlatformError):
        client.callback({"state": "nonce=abc"})
    back = tiktok.consent(client.authorize_url(tiktok.partner, REDIRECT, utcnow()), "7001",
                          answer="no")
    with pytest.raises(PlatformError):
        client.callback(came_back(back))


def test_ids_that_are_not_numbers_are_refused_before_any_call(tiktok, session):
    tiktok.add_shop("7001")
    grant = connect(tiktok, session)
    calls = len(tiktok.calls)
    with pytest.raises(ValueError):
        client.items(tiktok.partner, grant, ["1729.1"], session, utcnow())
    assert len(tiktok.calls) == calls
