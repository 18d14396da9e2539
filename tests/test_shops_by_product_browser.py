"""In Chromium: a producer connects their Lazada shop on the imitation open platform (the nonce
rides in `state`), an officer checks the product, and the producer reads that Lazada itself
answered for a listing whose address names only the product."""

import re

import pytest
from cryptography.fernet import Fernet

from ocop.extensions import db
from ocop.models import Listing, Marketplace, Product
from ocop.sample_platforms.imitation import item
from tests.openplatform.lazada_server import LazadaServer
from tests.shop import FAST

from .test_browser import browser, live_server, page, sign_in, sync_api, watch  # noqa: F401

URL = "https://www.lazada.vn/products/che-bat-tien-huong-tam-i3001-s30011.html"


@pytest.fixture
def lazada():
    with LazadaServer(redirect="set by the test") as server:
        server.add_shop("2001", "Chè Hướng Tâm Lazada", {"3001": item("InActive", 5)})
        yield server


@pytest.fixture
def app_overrides(lazada):
    return {**FAST, "TOKEN_KEY": Fernet.generate_key().decode(),
            "LAZADA_PARTNER_ID": lazada.app_key, "LAZADA_PARTNER_KEY": lazada.app_secret,
            "LAZADA_API_BASE": f"{lazada.base}/rest", "LAZADA_AUTH_BASE": lazada.base}


def test_a_producer_connects_a_lazada_shop_and_sees_a_listing_verified_by_it(
        app, live_server, browser, watch, page, lazada):  # noqa: F811
    expect = sync_api.expect
    app.config["PUBLIC_URL"] = live_server
    lazada.redirect = f"{live_server}/shops/callback/lazada"  # as registered with the app
    with app.app_context():
        marketplace = db.session.scalar(db.select(Marketplace).filter_by(slug="lazada"))
        sauce = db.session.scalar(db.select(Product).filter_by(code="LC-002"))
        db.session.add(Listing(product=sauce, marketplace=marketplace, url=URL, canonical_url=URL,
                               item_id="3001"))
        db.session.commit()
    producer = watch(browser.new_context(base_url=live_server, viewport={"width": 390,
                                                                         "height": 844},
                                         is_mobile=True, has_touch=True).new_page())
    producer.set_default_timeout(10_000)
    sign_in(producer, "producer@example.vn")
    producer.goto("/shops/")
    producer.click("#connect-lazada")
    producer.get_by_role("button", name="Tiếp tục sang Lazada").click()
    expect(producer).to_have_url(re.compile(re.escape(lazada.base) + "/oauth/authorize"))
    producer.get_by_role("button", name="Đồng ý").click()
    expect(producer.locator("#flashes")).to_contain_text(
        "Đã kết nối gian hàng Chè Hướng Tâm Lazada trên Lazada")
    expect(producer.locator("#shop-connections")).to_contain_text("Đã kết nối")
    assert producer.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.goto("/products/LC-002")
    page.get_by_role("button", name="Kiểm tra", exact=True).click()
    expect(page.locator(".run-progress")).to_contain_text("Hoàn tất")
    with app.app_context():
        listing_id = db.session.scalar(db.select(Listing.id).filter_by(item_id="3001"))
    producer.goto(f"/listings/{listing_id}")
    expect(producer.locator("#listing-status")).to_contain_text("Ẩn khỏi sàn")
    expect(producer.locator("#evidence")).to_contain_text(
        "Sàn Lazada trả lời qua tài khoản của chủ thể: status InActive, còn 5.")
    assert producer.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
