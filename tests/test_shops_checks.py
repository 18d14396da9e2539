"""Check runs with connected shops: their listings verified by the imitation Shopee's API in
one batch, the others by their pages, in one run (in this process and spread over processes);
a lost authorization falls back to the pages; tokens refreshed when due; the evidence and the
`unlisted` status as people read them."""

import json
from datetime import timedelta

import pytest
import requests
from pytest_httpserver import HTTPServer
from sqlalchemy import select

from ocop.checks import runner
from ocop.checks.record import State, apply
from ocop.extensions import db
from ocop.models import Check, Listing, Marketplace, MarketplaceHost, ShopConnection, utcnow
from ocop.sample_platforms.imitation import item
from ocop.shops import operations
from scrapers.openplatform.shopee import ITEMS_PATH, REFRESH_PATH
from tests.conftest import make_product, producer_named, sign_in
from tests.shop import BLOCKED, FAST, LIVE, Shop, add_listings
from tests.shopee import ShopeeServer, back, connection, producer_id, settings

ITEMS = {"101": item("NORMAL", 12), "102": item("UNLIST", 3), "103": item("SELLER_DELETE", 0),
         "104": item("NORMAL", 0), "105": item("REVIEWING", 5)}


@pytest.fixture
def shopee():
    with ShopeeServer() as server:
        server.add_shop("5001", "Chè Hướng Tâm Official", dict(ITEMS))
        yield server


@pytest.fixture
def app_overrides(shopee):
    return {**FAST, **settings(shopee)}


@pytest.fixture
def pages(app):
    """Shopee's listing pages, imitated on 127.0.0.1 and read over HTTP: what the page route
    sees when a listing is not answered by the API (blocked, as Shopee blocks bots)."""
    with HTTPServer(host="127.0.0.1", port=0) as server:
        shop = Shop(server)
        for path in ("/api/v4/item/get", *(f"/che-i.5001.{n}" for n in range(101, 106)),
                     "/tra-i.7001.1"):
            shop.script(path, BLOCKED)
        with app.app_context():
            shopee = db.session.scalar(select(Marketplace).filter_by(slug="shopee"))
            shopee.hosts.append(MarketplaceHost(host=shop.host))
            shopee.fetch = "http"
            db.session.commit()
        yield shop


def shopee_listings(app, pages: Shop) -> dict[str, int]:
    """The producer's Shopee listings: five items of shop 5001, one of a shop not connected."""
    with app.app_context():
        producer = producer_named("HTX Chè Hướng Tâm")
        shopee = db.session.scalar(select(Marketplace).filter_by(slug="shopee"))
        ids = {}
        for n, path in enumerate([*(f"/che-i.5001.{n}" for n in range(101, 106)),
                                  "/tra-i.7001.1"]):
            product = make_product(f"S-{n:03d}", f"Sản phẩm Shopee {n}", producer)
            listing = Listing(product=product, marketplace=shopee, url=pages.url(path),
                              canonical_url=pages.url(path), item_id=path.split("i.")[1])
            db.session.add(listing)
            db.session.flush()
            ids[path.rsplit(".", 1)[1]] = listing.id
        db.session.commit()
        return ids


def run_all(app, parts: int = 1) -> None:
    with app.app_context():
        run, _ = runner.start("all", origin="test")
        runner.execute(run.id, parts=parts)


def listing(app, listing_id: int) -> Listing:
    with app.app_context():
        row = db.session.get(Listing, listing_id)
        db.session.expunge(row)
        return row


def checks_of(app, listing_id: int) -> list[Check]:
    with app.app_context():
        rows = db.session.scalars(select(Check).filter_by(listing_id=listing_id)).all()
        for row in rows:
            db.session.expunge(row)
        return rows


@pytest.mark.parametrize("parts", [1, 2])
def test_connected_listings_are_verified_by_the_api_and_the_others_by_their_pages(
        app, producer_client, shopee, pages, shop, parts):
    back(producer_client, shopee, producer_id(app), "5001")
    ids = shopee_listings(app, pages)
    (other,) = add_listings(app, shop, [LIVE])  # another marketplace: its page says
    run_all(app, parts)
    expected = {"101": ("active", "active"), "102": ("unlisted", "unlisted"),
                "103": ("removed", "removed"), "104": ("out_of_stock", "out_of_stock"),
                "105": ("unknown", None)}
    for key, (verdict, status) in expected.items():
        row = listing(app, ids[key])
        assert (row.last_verdict, row.status) == (verdict, status), key
        assert row.evidence["route"] == "seller_api" and row.evidence["item_id"] == key
        assert row.removal_seen_at is None
        (check,) = checks_of(app, ids[key])
        assert check.method == "seller_api" and check.phase == 1
        assert row.method == ("seller_api" if status else None)
    first = listing(app, ids["101"]).evidence
    assert (first["api_status"], first["stock"], first["price"]) == ("NORMAL", 12, 150_000)
    assert first["rule"] == "seller_api-item_status-NORMAL"
    # Removed at once: the marketplace said so through the seller's account, nothing to confirm.
    assert [c.status_after for c in checks_of(app, ids["103"])] == ["removed"]
    # One call for the five items (per process when spread over two), none of their pages read.
    batches = shopee.batches()
    assert sum(batches) == 5 and len(batches) == parts
    assert all(pages.hits[f"/che-i.5001.{n}"] == 0 for n in range(101, 106))
    # A shop not connected, and another marketplace: their pages.
    assert [c.method for c in checks_of(app, ids["1"])] == ["page"]
    assert listing(app, other).status == "active" and listing(app, other).method == "page"


def test_a_revoked_authorization_falls_back_to_the_pages_and_says_why(app, producer_client,
                                                                      shopee, pages):
    back(producer_client, shopee, producer_id(app), "5001")
    ids = shopee_listings(app, pages)
    shopee.revoke("5001")
    shopee.expire_tokens()
    run_all(app)
    row = connection(app, "5001")
    assert row.state == "revoked" and row.last_error.startswith("error_auth")
    for key in ("101", "102", "103"):
        (check,) = checks_of(app, ids[key])
        assert check.method == "page" and check.verdict == "blocked"
    page = producer_client.get(f"/shops/producers/{producer_id(app)}")
    assert "Cần kết nối lại gian hàng này" in page.text


def test_an_expired_access_token_is_refreshed_and_the_batch_asked_again(app, producer_client,
                                                                         shopee, pages):
    back(producer_client, shopee, producer_id(app), "5001")
    ids = shopee_listings(app, pages)
    sealed = connection(app, "5001").access_token_sealed
    shopee.expire_tokens()  # lapsed early, as far as the app can tell
    run_all(app)
    assert listing(app, ids["101"]).method == "seller_api"
    assert shopee.batches() == [5, 5]  # refused once, then answered
    assert connection(app, "5001").access_token_sealed != sealed


def test_a_token_about_to_lapse_is_refreshed_before_the_run_asks(app, producer_client, shopee,
                                                                  pages):
    back(producer_client, shopee, producer_id(app), "5001")
    shopee_listings(app, pages)
    with app.app_context():
        db.session.scalar(select(ShopConnection)).access_expires = utcnow() + timedelta(
            minutes=1)
        db.session.commit()
    run_all(app)
    paths = [path for path, _query in shopee.calls]
    assert paths.index(REFRESH_PATH) < paths.index(ITEMS_PATH)
    assert shopee.batches() == [5]


def test_a_browser_rerun_asked_by_an_officer_reads_the_page(app, producer_client, shopee,
                                                            pages):
    back(producer_client, shopee, producer_id(app), "5001")
    ids = shopee_listings(app, pages)
    with app.app_context():
        run, _ = runner.start("listing", ids["101"], origin="test", fetch="http")
        runner.execute(run.id)
    assert shopee.batches() == []
    assert [c.method for c in checks_of(app, ids["101"])] == ["page"]


def test_refresh_command_renews_due_tokens_and_reports_failures(app, producer_client, shopee):
    back(producer_client, shopee, producer_id(app), "5001")
    cli = app.test_cli_runner()
    result = cli.invoke(args=["ocop", "shops", "refresh"])
    assert result.exit_code == 0 and "Đã gia hạn 0 gian hàng" in result.output
    with app.app_context():
        db.session.scalar(select(ShopConnection)).access_expires = utcnow() + timedelta(
            minutes=30)
        db.session.commit()
    result = cli.invoke(args=["ocop", "shops", "refresh"])
    assert result.exit_code == 0 and "Đã gia hạn 1 gian hàng" in result.output
    row = connection(app, "5001")
    assert row.access_expires - utcnow() > timedelta(hours=3) and row.state == "connected"
    # The seller cancels; the next refresh finds out and says the shop must be reconnected.
    shopee.revoke("5001")
    with app.app_context():
        db.session.scalar(select(ShopConnection)).access_expires = utcnow()
        db.session.commit()
    result = cli.invoke(args=["ocop", "shops", "refresh"])
    assert result.exit_code == 1 and "1 gian hàng không gia hạn được" in result.output
    assert connection(app, "5001").state == "revoked"


def test_an_authorization_near_its_end_that_cannot_be_renewed_is_flagged(app, producer_client,
                                                                         shopee):
    back(producer_client, shopee, producer_id(app), "5001")
    with app.app_context():
        row = db.session.scalar(select(ShopConnection))
        row.refresh_expires = utcnow() + timedelta(days=2)
        db.session.commit()
    app.config["SHOPEE_API_BASE"] = "http://127.0.0.1:9"  # the platform cannot be reached
    result = app.test_cli_runner().invoke(args=["ocop", "shops", "refresh"])
    assert result.exit_code == 1
    row = connection(app, "5001")
    assert row.state == "lapsing" and row.last_error == "unreachable ConnectionError"
    page = producer_client.get(f"/shops/producers/{producer_id(app)}")
    assert "Sắp hết hạn" in page.text and "unreachable ConnectionError" in page.text
    # Past its end, the shop must be connected again; its listings go back to the pages.
    with app.app_context():
        db.session.scalar(select(ShopConnection)).refresh_expires = utcnow() - timedelta(
            minutes=1)
        db.session.commit()
    app.test_cli_runner().invoke(args=["ocop", "shops", "refresh"])
    assert connection(app, "5001").state == "expired"
    page = producer_client.get(f"/shops/producers/{producer_id(app)}")
    assert "Hết hạn, cần kết nối lại" in page.text


def test_a_removal_by_the_sellers_api_is_applied_at_once_even_when_pages_are_degraded():
    now = utcnow()
    before = State("active", now - timedelta(days=1), now - timedelta(days=1), None)
    kwargs = {"confirming": False, "degraded": True, "confirm_after": timedelta(minutes=1)}
    assert apply(before, "removed", now, authoritative=True, **kwargs) == State(
        "removed", now, before.last_online_at, None)
    assert apply(before, "removed", now, **kwargs) == before  # a page's word waits
    pending = apply(before, "removed", now, **{**kwargs, "degraded": False})
    assert pending.status == "active" and pending.removal_seen_at == now


def test_the_evidence_and_the_unlisted_status_in_words(app, producer_client, shopee, pages):
    back(producer_client, shopee, producer_id(app), "5001")
    ids = shopee_listings(app, pages)
    run_all(app)
    page = producer_client.get(f"/listings/{ids['101']}")
    assert ("Sàn Shopee trả lời qua tài khoản của chủ thể: item_status NORMAL, còn 12."
            in page.text)
    hidden = producer_client.get(f"/listings/{ids['102']}")
    assert "Ẩn khỏi sàn" in hidden.text and "status-unlisted" in hidden.text
    product = producer_client.get("/products/S-001")
    assert "hãy hiện lại sản phẩm trong trang người bán" in product.text
    gone = producer_client.get(f"/listings/{ids['103']}")
    assert "trạng thái SELLER_DELETE" in gone.text
    officer = sign_in(app, "officer@example.vn")
    api = officer.get("/api/v1/listings?status=unlisted")
    assert [row["id"] for row in json.loads(api.text)["items"]] == [ids["102"]]


def test_a_connection_renewed_meanwhile_by_another_process_is_not_renewed_again(
        app, producer_client, shopee):
    back(producer_client, shopee, producer_id(app), "5001")
    with app.app_context():
        row = db.session.scalar(select(ShopConnection))
        seen = row.access_expires
        # Another process renews it after this one read the row.
        with db.engine.begin() as other:
            other.execute(ShopConnection.__table__.update().values(
                access_expires=seen + timedelta(hours=4)))
        with requests.Session() as http:
            assert operations.renew(row, http, utcnow())
        assert row.access_expires == seen + timedelta(hours=4)
        db.session.commit()
    assert REFRESH_PATH not in [path for path, _query in shopee.calls]


def test_tokens_sealed_under_another_key_fall_back_to_the_pages(app, producer_client, shopee,
                                                                 pages):
    back(producer_client, shopee, producer_id(app), "5001")
    ids = shopee_listings(app, pages)
    app.config["TOKEN_KEY"] = settings(shopee)["TOKEN_KEY"]  # a new key: the old seals fail
    run_all(app)
    row = connection(app, "5001")
    assert row.state == "revoked" and "OCOP_TOKEN_KEY" in row.last_error
    assert [c.method for c in checks_of(app, ids["101"])] == ["page"]
