"""The Lazada Open Platform client against its imitation: the uppercase sign over path and
sorted parameters (access token included, no secret wrapped around), the authorization flow
with its state, tokens that expire or are revoked, each item status's verdict from the active
SKUs' stock, and items Lazada says do not exist."""

import hashlib
import hmac
from dataclasses import replace
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from ocop.sample_platforms.imitation import item
from scrapers.identity import UrlError
from scrapers.openplatform import AuthExpired, AuthRevoked, Item, Partner, PlatformError
from scrapers.openplatform import lazada as client
from tests.openplatform.conftest import CALLBACK, utcnow

REDIRECT = f"{CALLBACK}?nonce=abc"


def came_back(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def connect(server, session, shop_id="9001"):
    """A grant for `shop_id` through the whole flow: link, consent, callback, exchange."""
    back = server.consent(client.authorize_url(server.partner, REDIRECT, utcnow()), shop_id)
    assert back.startswith(CALLBACK + "?")
    args = came_back(back)
    assert client.returned(args)["nonce"] == "abc"
    return client.exchange(server.partner, *client.callback(args), session, utcnow())



def test_listing_ids_name_the_item_and_no_shop():
    assert client.listing_ids(
        "https://www.lazada.vn/products/che-bat-tien-i3001-s30011.html?spm=a2o4n") == (None, "3001")
    assert client.listing_ids("lazada.vn/products/pdp-i3001.html") == (None, "3001")
    with pytest.raises(UrlError):
        client.listing_ids("https://www.lazada.vn/shop/che-huong-tam/")


def test_sign_follows_the_guide_example():
    """The guide's example: "/test/api" + "bar2foo1foo_bar3foobar4", HMAC-SHA256, upper hex."""
    expected = hmac.new(b"secret", b"/test/apibar2foo1foo_bar3foobar4",
                        hashlib.sha256).hexdigest().upper()
    params = {"foo": "1", "bar": "2", "foo_bar": "3", "foobar": "4", "sign": "ignored"}
    assert client.sign("secret", "/test/api", params) == expected


def test_authorize_url_sends_the_registered_callback_and_the_nonce_in_state(lazada):
    query = came_back(client.authorize_url(lazada.partner, REDIRECT, utcnow()))
    assert query["redirect_uri"] == CALLBACK and query["state"] == "nonce=abc"
    assert query["client_id"] == lazada.app_key and query["response_type"] == "code"


def test_connect_names_the_seller(lazada, session):
    lazada.add_shop("9001", "HTX Mản Thẩn")
    grant = connect(lazada, session)
    assert (grant.shop_id, grant.shop_name) == ("9001", "HTX Mản Thẩn")
    assert timedelta(days=6) < grant.access_expires - utcnow() <= timedelta(days=7)
    assert timedelta(days=29) < grant.refresh_expires - utcnow() <= timedelta(days=30)


def test_a_token_that_cannot_be_refreshed_has_no_refresh_moment(lazada, session):
    lazada.add_shop("9001")
    lazada.refreshable = False
    assert connect(lazada, session).refresh_expires is None


CASES = [  # (status, stock of the active SKU, verdict, rule)
    ("Active", 12, "active", "seller_api-status-Active"),
    ("Active", 0, "out_of_stock", "seller_api-stock-0"),
    ("Active", None, "unknown", "seller_api-stock-missing"),
    ("InActive", 12, "unlisted", "seller_api-status-InActive"),
    ("Suspended", 12, "removed", "seller_api-status-Suspended"),
    ("Deleted", 0, "removed", "seller_api-status-Deleted"),
    ("Pending QC", 12, "unknown", "seller_api-status-Pending_QC"),
    ("Live Reject", 12, "unknown", "seller_api-status-Live_Reject"),
]


@pytest.mark.parametrize(("status", "stock", "verdict", "rule"), CASES)
def test_each_item_status_read_and_judged(lazada, session, status, stock, verdict, rule):
    lazada.add_shop("9001", items={"3301": item(status, stock, 120_000, "Quả lê Si Ma Cai")})
    grant = connect(lazada, session)
    found = client.items(lazada.partner, grant, ["3301"], session, utcnow())
    # The inactive SKU's 50 units are not for sale, and do not count.
    assert found == {"3301": Item("3301", status, stock, 120_000, "Quả lê Si Ma Cai")}
    assert client.verdict(found["3301"]) == (verdict, rule)


def test_every_documented_status_has_a_case():
    assert set(client.ITEM_STATUSES) <= {case[0] for case in CASES}


def test_an_item_with_no_active_sku_has_no_stock():
    found = client._item({"status": "Active", "skus": [{"Status": "inactive", "Available": 9}]},
                         "1")
    assert found.stock == 0 and client.verdict(found) == ("out_of_stock", "seller_api-stock-0")


def test_an_item_lazada_says_does_not_exist_is_absent(lazada, session):
    lazada.add_shop("9001", items={"1": item("Active")})
    grant = connect(lazada, session)
    found = client.items(lazada.partner, grant, ["1", "404"], session, utcnow())
    assert set(found) == {"1"}
    assert client.verdict(found.get("404")) == ("removed", "seller_api-item-absent")


def test_another_sellers_item_is_an_error_not_an_absence(lazada, session):
    lazada.add_shop("9001", items={"1": item("Active")})
    lazada.add_shop("9002", items={"2": item("Active")})
    grant = connect(lazada, session)
    with pytest.raises(PlatformError) as raised:
        client.items(lazada.partner, grant, ["1", "2"], session, utcnow())
    assert raised.value.code == "EDIT_ITEM_NOT_BELONG_SELLER"


def test_expired_access_token_then_refresh(lazada, session):
    lazada.add_shop("9001", items={"1": item("Active")})
    grant = connect(lazada, session)
    lazada.expire_tokens()
    with pytest.raises(AuthExpired) as raised:
        client.items(lazada.partner, grant, ["1"], session, utcnow())
    assert raised.value.code == "IllegalAccessToken"
    renewed = client.refresh(lazada.partner, grant, session, utcnow())
    assert renewed.shop_name == grant.shop_name and renewed.access_token != grant.access_token
    # The refresh token keeps its first lifetime.
    assert abs(renewed.refresh_expires - grant.refresh_expires) < timedelta(seconds=5)
    assert set(client.items(lazada.partner, renewed, ["1"], session, utcnow())) == {"1"}
    with pytest.raises(AuthRevoked):
        client.refresh(lazada.partner, grant, session, utcnow())


def test_revoked_or_lapsed_authorization_must_be_reconnected(lazada, session):
    lazada.add_shop("9001", items={"1": item("Active")})
    grant = connect(lazada, session)
    lazada.revoke("9001")
    with pytest.raises(AuthExpired):
        client.items(lazada.partner, grant, ["1"], session, utcnow())
    with pytest.raises(AuthRevoked) as raised:
        client.refresh(lazada.partner, grant, session, utcnow())
    assert raised.value.code == "IllegalRefreshToken"
    second = connect(lazada, session)
    lazada.expire_refresh()
    with pytest.raises(AuthRevoked):
        client.refresh(lazada.partner, second, session, utcnow())


def test_a_code_is_single_use(lazada, session):
    lazada.add_shop("9001")
    back = lazada.consent(client.authorize_url(lazada.partner, REDIRECT, utcnow()), "9001")
    code, _ = client.callback(came_back(back))
    client.exchange(lazada.partner, code, "", session, utcnow())
    with pytest.raises(AuthRevoked) as raised:
        client.exchange(lazada.partner, code, "", session, utcnow())
    assert raised.value.code == "InvalidCode"


def test_exchange_for_a_shop_the_seller_did_not_authorize(lazada, session):
    lazada.add_shop("9001")
    back = lazada.consent(client.authorize_url(lazada.partner, REDIRECT, utcnow()), "9001")
    with pytest.raises(PlatformError) as raised:
        client.exchange(lazada.partner, client.callback(came_back(back))[0], "9002", session,
                        utcnow())
    assert raised.value.code == "which_shop"


def test_wrong_secret_is_refused_as_a_wrong_sign(lazada, session):
    lazada.add_shop("9001", items={"1": item("Active")})
    grant = connect(lazada, session)
    forged = replace(lazada.partner, partner_key="not-the-secret")
    with pytest.raises(PlatformError) as raised:
        client.items(forged, grant, ["1"], session, utcnow())
    assert raised.value.code == "IncompleteSignature" and type(raised.value) is PlatformError


def test_a_stale_timestamp_is_refused(lazada, session):
    lazada.add_shop("9001", items={"1": item("Active")})
    grant = connect(lazada, session)
    with pytest.raises(PlatformError) as raised:
        client.items(lazada.partner, grant, ["1"], session, utcnow() - timedelta(hours=3))
    assert raised.value.code == "InvalidParameter"


def test_an_unregistered_callback_is_refused(lazada, session):
    url = client.authorize_url(lazada.partner, "https://elsewhere.example/cb?nonce=x", utcnow())
    assert session.get(url, timeout=5).status_code == 400


def test_auth_host_defaults_to_the_api_base_host():
    partner = Partner("1", "s", "http://127.0.0.1:8/rest")
    assert client.authorize_url(partner, REDIRECT, utcnow()).startswith(
        "http://127.0.0.1:8/oauth/authorize?")


def test_callback_without_a_code_or_with_a_refusal(lazada):
    lazada.add_shop("9001")
    with pytest.raises(PlatformError):
        client.callback({"state": "nonce=abc"})
    back = lazada.consent(client.authorize_url(lazada.partner, REDIRECT, utcnow()), "9001",
                          answer="no")
    with pytest.raises(PlatformError):
        client.callback(came_back(back))


def test_ids_that_are_not_numbers_are_refused_before_any_call(lazada, session):
    lazada.add_shop("9001")
    grant = connect(lazada, session)
    calls = len(lazada.calls)
    with pytest.raises(ValueError):
        client.items(lazada.partner, grant, ["i3301"], session, utcnow())
    assert len(lazada.calls) == calls
