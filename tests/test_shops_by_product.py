"""TikTok Shop and Lazada shops connected through the web and asked about their listings, whose
addresses name only the product: the nonce rides in the platform's `state`, the shop is named
by the exchange, and a run asks the producer's shops on the marketplace, one product a call.
Only an answer with the item, or "no such item" from every shop that may hold it, is recorded;
another seller's product, an error about one product, or a shop that cannot be asked leave the
listing to its page in the same run."""

from urllib.parse import urlsplit

import pytest
from cryptography.fernet import Fernet
from pytest_httpserver import HTTPServer
from sqlalchemy import select

from ocop.checks import runner
from ocop.extensions import db
from ocop.models import Check, Listing, Marketplace, MarketplaceHost
from ocop.sample_platforms.imitation import item
from scrapers.openplatform import lazada, tiktok
from tests.conftest import make_product, producer_named, sign_in
from tests.openplatform.lazada_server import LazadaServer
from tests.openplatform.tiktok_server import PRODUCT_PATH, TikTokServer
from tests.shop import BLOCKED, FAST, Shop
from tests.shopee import PUBLIC_URL, connection, producer_id, start

TIKTOK_ITEMS = {"1729": item("ACTIVATE", 4), "1730": item("SELLER_DEACTIVATED", 2),
                "1731": item("DELETED", 0), "1732": item("ACTIVATE", 0),
                "1733": item("FREEZE", 3), "1728": item("ACTIVATE", 9)}
LAZADA_ITEMS = {"3001": item("Active", 5), "3002": item("InActive", 5),
                "3003": item("Deleted", 0), "3004": item("Active", 0),
                "3005": item("Pending QC", 5), "3000": item("Active", 9)}


@pytest.fixture
def platforms():
    with TikTokServer(redirect=f"{PUBLIC_URL}/shops/callback/tiktok") as tt, \
            LazadaServer(redirect=f"{PUBLIC_URL}/shops/callback/lazada") as lz:
        tt.add_shop("7494", "Chè Hướng Tâm TikTok", dict(TIKTOK_ITEMS))
        tt.add_shop("7495", "Chè Hướng Tâm TikTok 2", {"1740": item("ACTIVATE", 6)})
        tt.add_shop("7600", "Người bán khác", {"1800": item("ACTIVATE", 50)})
        lz.add_shop("2001", "Chè Hướng Tâm Lazada", dict(LAZADA_ITEMS))
        lz.add_shop("2002", "Chè Hướng Tâm Lazada 2", {"3010": item("Active", 7)})
        lz.add_shop("2600", "Người bán khác", {"3100": item("Active", 50)})
        yield {"tiktok": tt, "lazada": lz}


@pytest.fixture
def app_overrides(platforms):
    tt, lz = platforms["tiktok"], platforms["lazada"]
    return {**FAST, "PUBLIC_URL": PUBLIC_URL, "TOKEN_KEY": Fernet.generate_key().decode(),
            "TIKTOK_PARTNER_ID": tt.app_key, "TIKTOK_PARTNER_KEY": tt.app_secret,
            "TIKTOK_API_BASE": tt.base, "TIKTOK_AUTH_BASE": tt.base,
            "LAZADA_PARTNER_ID": lz.app_key, "LAZADA_PARTNER_KEY": lz.app_secret,
            "LAZADA_API_BASE": f"{lz.base}/rest", "LAZADA_AUTH_BASE": lz.base}


@pytest.fixture
def pages(app):
    """Each marketplace's listing pages on its own 127.0.0.1 port, blocked as they block bots:
    what the page route sees of a listing the API did not settle."""
    with HTTPServer(host="127.0.0.1", port=0) as tt, HTTPServer(host="127.0.0.1", port=0) as lz:
        shops = {"tiktok": Shop(tt), "lazada": Shop(lz)}
        with app.app_context():
            for slug, shop in shops.items():
                marketplace = db.session.scalar(select(Marketplace).filter_by(slug=slug))
                marketplace.hosts.append(MarketplaceHost(host=shop.host))
                marketplace.fetch = "http"
            db.session.commit()
        yield shops


def path_of(slug: str, item_id: str) -> str:
    return (f"/view/product/{item_id}" if slug == "tiktok"
            else f"/products/che-bat-tien-i{item_id}-s{item_id}1.html")


def connect(client, platforms, producer: int, slug: str, shop_id: str):
    """The whole web flow for one shop: the producer starts, consents on the imitation as the
    seller, and comes back; the app's answer."""
    link = start(client, producer, slug)
    returned = urlsplit(platforms[slug].consent(link, shop_id))
    assert f"{returned.scheme}://{returned.netloc}{returned.path}" == (
        f"{PUBLIC_URL}/shops/callback/{slug}")
    return client.get(f"{returned.path}?{returned.query}"), f"{returned.path}?{returned.query}"


def add(app, pages: dict[str, Shop], slug: str, item_ids: list[str]) -> dict[str, int]:
    """Listings of the producer's products at the marketplace's product URLs, their pages
    blocked: listing id by item id."""
    pages = pages[slug]
    with app.app_context():
        producer = producer_named("HTX Chè Hướng Tâm")
        marketplace = db.session.scalar(select(Marketplace).filter_by(slug=slug))
        ids = {}
        for item_id in item_ids:
            path = path_of(slug, item_id)
            pages.script(path, BLOCKED)
            product = make_product(f"{slug[:2].upper()}-{item_id}", f"Sản phẩm {item_id}",
                                   producer)
            listing = Listing(product=product, marketplace=marketplace, url=pages.url(path),
                              canonical_url=pages.url(path), item_id=item_id)
            db.session.add(listing)
            db.session.flush()
            ids[item_id] = listing.id
        db.session.commit()
        return ids


def run_all(app) -> None:
    with app.app_context():
        run, _ = runner.start("all", origin="test")
        runner.execute(run.id)


def state(app, listing_id: int) -> tuple:
    """(last verdict, status, method of its one check, the shop(s) its evidence names)."""
    with app.app_context():
        row = db.session.get(Listing, listing_id)
        (check,) = db.session.scalars(select(Check).filter_by(listing_id=listing_id)).all()
        return row.last_verdict, row.status, check.method, row.evidence.get("shop_id")


def item_calls(server, slug: str) -> list[str]:
    """The item ids asked of the platform, in order."""
    if slug == "tiktok":
        return [path.removeprefix(PRODUCT_PATH) for path, _ in server.calls
                if path.startswith(PRODUCT_PATH)]
    return [query["item_id"] for path, query in server.calls
            if path == f"/rest{lazada.ITEM_PATH}"]


@pytest.mark.parametrize("slug,shop_id", [("tiktok", "7494"), ("lazada", "2001")])
def test_a_shop_connects_through_the_web_with_its_nonce_in_state(app, producer_client,
                                                                 platforms, slug, shop_id):
    own = producer_id(app)
    answer, path = connect(producer_client, platforms, own, slug, shop_id)
    assert answer.status_code == 303, answer.text
    row = connection(app, shop_id)
    assert row.producer_id == own and row.state == "connected"
    assert row.shop_name == platforms[slug].shops[shop_id].name
    if slug == "tiktok":
        assert row.extra.get("shop_cipher")
    page = producer_client.get(f"/shops/producers/{own}")
    assert platforms[slug].shops[shop_id].name in page.text
    assert "kiểm tra qua trang" not in page.text  # its listings are asked of the shop now
    listed = sign_in(app, "officer@example.vn").get("/shops/")
    assert "kiểm tra qua trang" not in listed.text
    again = producer_client.get(path)
    assert again.status_code == 400 and "đã được dùng một lần" in again.text


EXPECTED = {
    "tiktok": {"1729": ("active", "active"), "1730": ("unlisted", "unlisted"),
               "1731": ("removed", "removed"), "1732": ("out_of_stock", "out_of_stock"),
               "1733": ("unknown", None)},
    "lazada": {"3001": ("active", "active"), "3002": ("unlisted", "unlisted"),
               "3003": ("removed", "removed"), "3004": ("out_of_stock", "out_of_stock"),
               "3005": ("unknown", None),
               "3006": ("removed", "removed")},  # Lazada's documented "Item not exist" (208)
}
FAILING = {"tiktok": "1728", "lazada": "3000"}  # an error about this one product
OTHER_SELLERS = {"tiktok": "1800", "lazada": "3100"}


@pytest.mark.parametrize("slug,shop_id", [("tiktok", "7494"), ("lazada", "2001")])
def test_each_status_is_verified_by_the_api_and_what_it_does_not_settle_by_the_page(
        app, producer_client, platforms, pages, slug, shop_id):
    server = platforms[slug]
    connect(producer_client, platforms, producer_id(app), slug, shop_id)
    failing, other = FAILING[slug], OTHER_SELLERS[slug]
    ids = add(app, pages, slug, [*EXPECTED[slug], failing, other])
    if slug == "tiktok":
        server.broken[PRODUCT_PATH + failing] = (
            500, '{"code": 12019001, "message": "Internal error", "data": null}',
            "application/json")
    else:
        server.failing[failing] = ("ServiceTimeout", "The request has failed due to a timeout")
    run_all(app)
    for item_id, (verdict, status) in EXPECTED[slug].items():
        assert state(app, ids[item_id]) == (verdict, status, "seller_api", shop_id), item_id
    with app.app_context():
        evidence = db.session.get(Listing, ids[next(iter(EXPECTED[slug]))]).evidence
    assert (evidence["stock"], evidence["price"], evidence["batch"]) == (
        4 if slug == "tiktok" else 5, 150_000, 1)
    assert evidence["document"] == (tiktok if slug == "tiktok" else lazada).DOCUMENT
    # The failing product (asked first) stopped none of the others; it and another seller's
    # product were not the shop's to answer: their pages say, in the same run.
    asked = item_calls(server, slug)
    assert asked[0] == failing and sorted(asked) == sorted(ids)
    for item_id in (failing, other):
        assert state(app, ids[item_id])[:3] == ("blocked", None, "page"), item_id
        assert pages[slug].hits[path_of(slug, item_id)] >= 1
    assert all(pages[slug].hits[path_of(slug, i)] == 0 for i in EXPECTED[slug])
    assert connection(app, shop_id).state == "connected"
    assert connection(app, shop_id).last_error is None
    # The listing's page says how its status is known, in the marketplace's own words.
    shown = producer_client.get(f"/listings/{ids[next(iter(EXPECTED[slug]))]}")
    assert "trả lời qua tài khoản của chủ thể: status" in shown.text
    assert "Sàn trả lời qua tài khoản của chủ thể: trạng thái" in shown.text  # the rule, too


@pytest.mark.parametrize("slug,shops", [("tiktok", ("7494", "7495")),
                                        ("lazada", ("2001", "2002"))])
def test_two_shops_on_one_marketplace_each_answer_for_their_own_items(
        app, producer_client, platforms, pages, slug, shops):
    server = platforms[slug]
    first, second = shops
    for shop_id in shops:
        connect(producer_client, platforms, producer_id(app), slug, shop_id)
    mine = {"tiktok": ("1729", "1740"), "lazada": ("3001", "3010")}[slug]
    gone = {"tiktok": "1999", "lazada": "3999"}[slug]  # in neither shop
    ids = add(app, pages, slug, [*mine, gone, OTHER_SELLERS[slug]])
    run_all(app)
    assert state(app, ids[mine[0]]) == ("active", "active", "seller_api", first)
    assert state(app, ids[mine[1]]) == ("active", "active", "seller_api", second)
    if slug == "lazada":  # both shops said "Item not exist": no shop of the producer has it
        assert state(app, ids[gone]) == ("removed", "removed", "seller_api", f"{first}, {second}")
    else:  # TikTok documents no "not found" answer: never removed by the API
        assert state(app, ids[gone])[:3] == ("blocked", None, "page")
    assert state(app, ids[OTHER_SELLERS[slug]])[:3] == ("blocked", None, "page")
    # The first shop's item was not asked of the second.
    asked = item_calls(server, slug)
    assert asked.count(mine[0]) == 1 and asked.count(mine[1]) == 2


def test_no_such_item_is_no_proof_while_a_shop_that_may_hold_it_cannot_be_asked(
        app, producer_client, platforms, pages):
    server = platforms["lazada"]
    for shop_id in ("2001", "2002"):
        connect(producer_client, platforms, producer_id(app), "lazada", shop_id)
    ids = add(app, pages, "lazada", ["3001", "3010", "3999"])
    server.revoke("2002")
    server.expire_tokens()  # 2001 refreshes; 2002 cannot
    run_all(app)
    assert state(app, ids["3001"]) == ("active", "active", "seller_api", "2001")
    assert connection(app, "2002").state == "revoked"
    for item_id in ("3010", "3999"):  # maybe the lost shop's: their pages say
        assert state(app, ids[item_id])[:3] == ("blocked", None, "page"), item_id


def test_an_expired_token_is_refreshed_once_and_the_shop_then_answers(app, producer_client,
                                                                        platforms, pages):
    server = platforms["tiktok"]
    connect(producer_client, platforms, producer_id(app), "tiktok", "7494")
    ids = add(app, pages, "tiktok", ["1729", "1730"])
    sealed = connection(app, "7494").access_token_sealed
    server.expire_tokens()
    run_all(app)
    assert state(app, ids["1729"])[:3] == ("active", "active", "seller_api")
    assert state(app, ids["1730"])[:3] == ("unlisted", "unlisted", "seller_api")
    assert item_calls(server, "tiktok") == ["1729", "1729", "1730"]  # refused once, asked again
    assert connection(app, "7494").access_token_sealed != sealed


def test_a_platform_that_does_not_answer_stops_the_shop_and_says_why(app, producer_client,
                                                                      platforms, pages):
    connect(producer_client, platforms, producer_id(app), "lazada", "2001")
    ids = add(app, pages, "lazada", ["3001", "3002"])
    platforms["lazada"].broken[f"/rest{lazada.ITEM_PATH}"] = (502, "Bad Gateway", "text/html")
    run_all(app)
    assert item_calls(platforms["lazada"], "lazada") == ["3001"]  # not one call per item
    for item_id in ("3001", "3002"):
        assert state(app, ids[item_id])[:3] == ("blocked", None, "page")
    row = connection(app, "2001")
    assert row.state == "connected" and row.last_error == "not_json HTTP 502"
