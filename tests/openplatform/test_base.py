"""What the three clients share, and how they take an answer they cannot use: a gateway's HTML
page, a token answer without its tokens, fields that are not what was documented."""

import json
import math

import pytest

from ocop.sample_platforms.imitation import item
from scrapers.openplatform import Item, PlatformError
from scrapers.openplatform import lazada as lazada_client
from scrapers.openplatform import shopee as shopee_client
from scrapers.openplatform import tiktok as tiktok_client
from scrapers.openplatform.base import stock_verdict, whole
from tests.openplatform import test_lazada, test_shopee, test_tiktok


@pytest.mark.parametrize(("value", "expected"), [
    (150000, 150000), (150000.4, 150000), ("185000.00", 185000), ("12", 12),
    (True, None), (None, None), ("mười", None), (math.nan, None), (math.inf, None),
    ("nan", None), ([1], None),
])
def test_whole_reads_numbers_and_numeric_text_only(value, expected):
    assert whole(value) == expected


def test_a_negative_stock_is_no_stock():
    statuses = {"ON": ("active", "seller_api-s-ON")}
    assert stock_verdict(Item("1", "ON", -3, None, None), statuses, "s") == (
        "out_of_stock", "seller_api-stock-0")


def test_an_unknown_status_is_named_safely_in_its_rule():
    assert shopee_client.verdict(Item("1", "A B/C<x>", 5, None, None)) == (
        "unknown", "seller_api-item_status-A_B_C_x_")
    assert shopee_client.verdict(Item("1", "", 5, None, None)) == (
        "unknown", "seller_api-item_status-empty")


def test_a_gateway_page_instead_of_json(shopee, session):
    shopee.add_shop("5001")
    shopee.broken[shopee_client.TOKEN_PATH] = (502, "<html>Bad gateway</html>", "text/html")
    with pytest.raises(PlatformError) as raised:
        test_shopee.connect(shopee, session)
    assert raised.value.code == "not_json" and "502" in raised.value.message


@pytest.mark.parametrize("answer", [
    {"error": "", "access_token": "a", "refresh_token": "r"},
    {"error": "", "access_token": "a", "refresh_token": "r", "expire_in": "soon"},
    {"error": "", "access_token": "a", "refresh_token": "r", "expire_in": 1e300},
    {"error": "", "access_token": "", "refresh_token": "r", "expire_in": 14400},
])
def test_shopee_token_answer_without_usable_tokens(shopee, session, answer):
    shopee.add_shop("5001")
    shopee.broken[shopee_client.TOKEN_PATH] = (200, json.dumps(answer), "application/json")
    with pytest.raises(PlatformError) as raised:
        test_shopee.connect(shopee, session)
    assert raised.value.code == "bad_answer"


def test_tiktok_token_answer_without_expiry(tiktok, session):
    tiktok.add_shop("7001")
    tiktok.broken[tiktok_client.TOKEN_PATH] = (200, json.dumps(
        {"code": 0, "data": {"access_token": "a", "refresh_token": "r"}}), "application/json")
    with pytest.raises(PlatformError) as raised:
        test_tiktok.connect(tiktok, session)
    assert raised.value.code == "bad_answer"


def test_tiktok_authorization_without_a_shop(tiktok, session):
    tiktok.add_shop("7001")
    tiktok.broken[tiktok_client.SHOPS_PATH] = (200, json.dumps(
        {"code": 0, "data": {"shops": [{"id": "7001"}]}}), "application/json")  # no cipher
    with pytest.raises(PlatformError) as raised:
        test_tiktok.connect(tiktok, session)
    assert raised.value.code == "no_shop"


def test_lazada_token_answer_without_lifetimes_or_seller(lazada, session):
    token = "/rest" + lazada_client.TOKEN_PATH
    lazada.add_shop("9001")
    answer = {"code": "0", "access_token": "a", "refresh_token": "r", "expires_in": 60,
              "country_user_info": [{"country": "vn", "seller_id": "9001"}]}
    lazada.broken[token] = (200, json.dumps(answer), "application/json")
    with pytest.raises(PlatformError) as raised:
        test_lazada.connect(lazada, session)
    assert raised.value.code == "bad_answer"
    answer |= {"refresh_expires_in": 60, "country_user_info": [
        {"country": "sg", "seller_id": "1"}, {"country": "my", "seller_id": "2"}]}
    lazada.broken[token] = (200, json.dumps(answer), "application/json")
    with pytest.raises(PlatformError) as raised:
        test_lazada.connect(lazada, session)
    assert raised.value.code == "which_shop"


def test_item_fields_of_the_wrong_kind_are_unknown_not_guessed():
    odd = shopee_client._item({"item_id": 7, "item_status": None, "price_info": ["x"],
                        "stock_info_v2": {"summary_info": {"total_available_stock": "lots"}}})
    assert odd == Item("7", "", None, None, None)
    assert shopee_client._item({"item_status": "NORMAL"}) is None  # no id: nothing to key it by
    assert tiktok_client._item({"status": "ACTIVATE", "skus": [
        {"inventory": [{"quantity": "many"}]}]}, "1").stock is None
    assert lazada_client._item({"status": "Active", "skus": [{"Status": "active"}]},
                               "1").stock is None


def test_an_item_list_entry_without_an_id_is_skipped(shopee, session):
    shopee.add_shop("5001", items={"1": item("NORMAL")})
    grant = test_shopee.connect(shopee, session)
    shopee.broken[shopee_client.ITEMS_PATH] = (200, json.dumps({"error": "", "response": {
        "item_list": [{"item_status": "NORMAL"}, "junk"]}}), "application/json")
    assert shopee_client.items(shopee.partner, grant, ["1"], session, test_shopee.utcnow()) == {}
