"""The Shopee Open Platform client against its imitation: signatures, the authorization flow,
tokens that expire or are revoked, each item status's verdict, and batches of 50."""

from dataclasses import replace
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from ocop.sample_platforms.imitation import item
from scrapers.identity import UrlError
from scrapers.openplatform import AuthExpired, AuthRevoked, Item, Partner, PlatformError
from scrapers.openplatform import shopee as client
from tests.openplatform.conftest import utcnow

REDIRECT = "https://ocop.example.vn/shops/callback?nonce=abc"


def connect(server, session, shop_id="5001"):
    """A grant for `shop_id` through the whole flow: link, consent, callback, exchange."""
    now = utcnow()
    back = server.consent(client.authorize_url(server.partner, REDIRECT, now), shop_id)
    query = {k: v[0] for k, v in parse_qs(urlsplit(back).query).items()}
    assert client.returned(query)["nonce"] == "abc"  # the app's own parameters come back
    code, shop = client.callback(query)
    return client.exchange(server.partner, code, shop, session, now)


def test_listing_ids_from_both_url_shapes():
    assert client.listing_ids("https://shopee.vn/Che-Bat-Tien-i.5001.101?sp_atk=x") == (
        "5001", "101")
    assert client.listing_ids("shopee.vn/product/5001/101") == ("5001", "101")
    with pytest.raises(UrlError):
        client.listing_ids("https://shopee.vn/shop/5001")


def test_authorize_url_is_signed_over_partner_path_and_timestamp(shopee):
    now = utcnow()
    url = client.authorize_url(shopee.partner, REDIRECT, now)
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{shopee.base}{client.AUTH_PATH}"
    assert query["redirect"] == [REDIRECT] and query["partner_id"] == [shopee.partner_id]
    # An auth_base, when set, is where the seller goes.
    elsewhere = replace(shopee.partner, auth_base="https://open.example")
    assert client.authorize_url(elsewhere, REDIRECT, now).startswith(
        "https://open.example/api/v2/shop/auth_partner?")


def test_connect_gives_tokens_that_lapse_as_answered(shopee, session):
    shopee.add_shop("5001")
    before = utcnow()
    grant = connect(shopee, session)
    assert grant.shop_id == "5001" and grant.access_token and grant.refresh_token
    assert timedelta(hours=3, minutes=59) < grant.access_expires - before <= timedelta(hours=4,
                                                                                       seconds=5)
    assert timedelta(days=29) < grant.refresh_expires - before <= timedelta(days=30, seconds=5)


def test_connect_names_the_shop_as_shopee_has_it(shopee, session):
    shopee.add_shop("5001", "Chè Hướng Tâm Official")
    assert connect(shopee, session).shop_name == "Chè Hướng Tâm Official"
    asked = [q for p, q in shopee.calls if p == client.SHOP_PATH]
    assert len(asked) == 1 and asked[0]["shop_id"] == "5001"  # a signed shop call


def test_a_shop_info_that_fails_leaves_the_name_out_not_the_connection(shopee, session):
    shopee.add_shop("5001", "Chè Hướng Tâm Official")
    shopee.broken[client.SHOP_PATH] = (502, "<html>Bad gateway</html>", "text/html")
    grant = connect(shopee, session)
    assert grant.shop_name == "" and grant.access_token


CASES = [  # (item_status, stock, verdict, rule)
    ("NORMAL", 7, "active", "seller_api-item_status-NORMAL"),
    ("NORMAL", 0, "out_of_stock", "seller_api-stock-0"),
    ("NORMAL", None, "unknown", "seller_api-stock-missing"),
    ("UNLIST", 7, "unlisted", "seller_api-item_status-UNLIST"),
    ("BANNED", 7, "removed", "seller_api-item_status-BANNED"),
    ("SELLER_DELETE", 0, "removed", "seller_api-item_status-SELLER_DELETE"),
    ("SHOPEE_DELETE", 7, "removed", "seller_api-item_status-SHOPEE_DELETE"),
    ("REVIEWING", 7, "unknown", "seller_api-item_status-REVIEWING"),
    ("SOME_NEW_STATUS", 7, "unknown", "seller_api-item_status-SOME_NEW_STATUS"),
]


@pytest.mark.parametrize(("status", "stock", "verdict", "rule"), CASES)
def test_each_item_status_read_and_judged(shopee, session, status, stock, verdict, rule):
    shopee.add_shop("5001", items={"101": item(status, stock, 185_000, "Trà hoa sen")})
    grant = connect(shopee, session)
    found = client.items(shopee.partner, grant, ["101"], session, utcnow())
    assert found == {"101": Item("101", status, stock, 185_000, "Trà hoa sen")}
    assert client.verdict(found["101"]) == (verdict, rule)


def test_every_documented_status_has_a_case():
    assert set(client.ITEM_STATUSES) <= {case[0] for case in CASES}


def test_an_item_the_shop_does_not_have_is_absent_and_removed(shopee, session):
    shopee.add_shop("5001", items={"101": item("NORMAL")})
    shopee.add_shop("5002", items={"202": item("NORMAL")})
    grant = connect(shopee, session)
    found = client.items(shopee.partner, grant, ["101", "202", "999"], session, utcnow())
    assert set(found) == {"101"}
    assert client.verdict(found.get("999")) == ("removed", "seller_api-item-absent")


def test_more_than_50_items_are_asked_50_at_a_time(shopee, session):
    ids = [str(1000 + n) for n in range(120)]
    shopee.add_shop("5001", items={i: item("NORMAL") for i in ids})
    grant = connect(shopee, session)
    found = client.items(shopee.partner, grant, ids + ids[:5], session, utcnow())
    assert set(found) == set(ids)
    assert shopee.batches() == [50, 50, 20]


def test_the_server_refuses_more_than_50(shopee, session):
    """The imitation enforces the limit the client batches by: a client asking 51 at once
    would fail."""
    shopee.add_shop("5001")
    grant = connect(shopee, session)
    with pytest.raises(PlatformError) as raised:
        client._call(shopee.partner, session, "GET", client.ITEMS_PATH, utcnow(),
                     client._signed(shopee.partner, client.ITEMS_PATH, utcnow(), grant)
                     | {"item_id_list": ",".join(str(n) for n in range(1, 52))})
    assert raised.value.code == "error_param"


def test_ids_that_are_not_numbers_are_refused_before_any_call(shopee, session):
    shopee.add_shop("5001")
    grant = connect(shopee, session)
    calls = len(shopee.calls)
    with pytest.raises(ValueError):
        client.items(shopee.partner, grant, ["5001.101"], session, utcnow())
    assert len(shopee.calls) == calls


def test_expired_access_token_then_refresh(shopee, session):
    shopee.add_shop("5001", items={"101": item("NORMAL")})
    grant = connect(shopee, session)
    shopee.expire_tokens()
    with pytest.raises(AuthExpired) as raised:
        client.items(shopee.partner, grant, ["101"], session, utcnow())
    assert raised.value.code == "invalid_acceess_token"
    renewed = client.refresh(shopee.partner, grant, session, utcnow())
    assert renewed.refresh_token != grant.refresh_token and renewed.shop_id == "5001"
    assert set(client.items(shopee.partner, renewed, ["101"], session, utcnow())) == {"101"}
    with pytest.raises(AuthRevoked):  # a refresh token is spent by its use
        client.refresh(shopee.partner, grant, session, utcnow())


def test_revoked_authorization_must_be_reconnected(shopee, session):
    shopee.add_shop("5001", items={"101": item("NORMAL")})
    grant = connect(shopee, session)
    shopee.revoke("5001")
    with pytest.raises(AuthExpired):
        client.items(shopee.partner, grant, ["101"], session, utcnow())
    with pytest.raises(AuthRevoked):
        client.refresh(shopee.partner, grant, session, utcnow())


def test_expired_refresh_token_is_revoked(shopee, session):
    shopee.add_shop("5001")
    grant = connect(shopee, session)
    shopee.expire_refresh()
    with pytest.raises(AuthRevoked) as raised:
        client.refresh(shopee.partner, grant, session, utcnow())
    assert raised.value.code == "refresh_token_expired"


def test_a_code_is_single_use(shopee, session):
    shopee.add_shop("5001")
    now = utcnow()
    back = shopee.consent(client.authorize_url(shopee.partner, REDIRECT, now), "5001")
    code, shop = client.callback({k: v[0] for k, v in parse_qs(urlsplit(back).query).items()})
    client.exchange(shopee.partner, code, shop, session, now)
    with pytest.raises(AuthRevoked) as raised:
        client.exchange(shopee.partner, code, shop, session, now)
    assert raised.value.code == "invalid_code"


def test_a_code_for_another_shop_is_refused(shopee, session):
    shopee.add_shop("5001")
    shopee.add_shop("5002")
    back = shopee.consent(client.authorize_url(shopee.partner, REDIRECT, utcnow()), "5001")
    code, _ = client.callback({k: v[0] for k, v in parse_qs(urlsplit(back).query).items()})
    with pytest.raises(AuthRevoked):
        client.exchange(shopee.partner, code, "5002", session, utcnow())


def test_wrong_key_is_refused_as_a_wrong_sign(shopee, session):
    shopee.add_shop("5001", items={"101": item("NORMAL")})
    grant = connect(shopee, session)
    forged = Partner(shopee.partner_id, "not-the-key", shopee.base)
    with pytest.raises(PlatformError) as raised:
        client.items(forged, grant, ["101"], session, utcnow())
    assert raised.value.code == "error_sign" and type(raised.value) is PlatformError
    page = session.get(client.authorize_url(forged, REDIRECT, utcnow()), timeout=5)
    assert page.status_code == 403 and page.json()["error"] == "error_sign"


def test_a_stale_timestamp_is_refused(shopee, session):
    shopee.add_shop("5001", items={"101": item("NORMAL")})
    grant = connect(shopee, session)
    with pytest.raises(PlatformError) as raised:
        client.items(shopee.partner, grant, ["101"], session, utcnow() - timedelta(minutes=6))
    assert raised.value.code == "error_param"
    stale = client.authorize_url(shopee.partner, REDIRECT, utcnow() - timedelta(minutes=6))
    assert session.get(stale, timeout=5).json()["error"] == "error_param"


def test_the_shop_id_is_part_of_the_sign(shopee, session):
    shopee.add_shop("5001", items={"101": item("NORMAL")})
    shopee.add_shop("5002", items={"101": item("BANNED")})
    grant = connect(shopee, session)
    with pytest.raises(PlatformError) as raised:
        query = client._signed(shopee.partner, client.ITEMS_PATH, utcnow(), grant)
        client._call(shopee.partner, session, "GET", client.ITEMS_PATH, utcnow(),
                     query | {"shop_id": "5002", "item_id_list": "101"})
    assert raised.value.code == "error_sign"


def test_callback_without_a_code_or_with_a_refusal(shopee):
    shopee.add_shop("5001")
    with pytest.raises(PlatformError):
        client.callback({})
    with pytest.raises(PlatformError):
        client.callback({"code": "abc", "shop_id": "x"})
    back = shopee.consent(client.authorize_url(shopee.partner, REDIRECT, utcnow()), "5001",
                          answer="no")
    with pytest.raises(PlatformError) as raised:
        client.callback({k: v[0] for k, v in parse_qs(urlsplit(back).query).items()})
    assert raised.value.code == "access_denied"


def test_no_answer_is_unreachable(session):
    gone = Partner("2001234", "k", "http://127.0.0.1:9")
    with pytest.raises(PlatformError) as raised:
        client.exchange(gone, "code", "1", session, utcnow())
    assert raised.value.code == "unreachable"
