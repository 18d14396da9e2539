"""In Chromium: a producer connects their Shopee shop on the imitation open platform, an officer
checks the product, and the producer reads that the marketplace itself answered."""

import re

import pytest

from ocop.extensions import db
from ocop.models import Listing
from ocop.sample_platforms.imitation import item
from tests.shop import FAST
from tests.shopee import ShopeeServer, settings

from .test_browser import browser, live_server, page, sign_in, sync_api, watch  # noqa: F401


@pytest.fixture
def shopee():
    """The imitation Shopee, holding the catalogue's listing (shopee.vn/che-i.1.2): shop 1."""
    with ShopeeServer() as server:
        server.add_shop("1", "Chè Hướng Tâm Official", {"2": item("NORMAL", 12)})
        yield server


@pytest.fixture
def app_overrides(shopee):
    return {**FAST, **settings(shopee)}


def test_a_producer_connects_a_shop_and_sees_it_verified_by_the_marketplace(
        app, live_server, browser, watch, page, shopee):  # noqa: F811
    expect = sync_api.expect
    app.config["PUBLIC_URL"] = live_server  # where Shopee sends the seller back
    producer = watch(browser.new_context(base_url=live_server).new_page())
    producer.set_default_timeout(10_000)
    sign_in(producer, "producer@example.vn")
    producer.get_by_role("link", name="Gian hàng kết nối").click()
    producer.click("#connect-shopee")
    expect(producer.locator("#what-we-read")).to_contain_text("Không đọc đơn hàng")
    producer.get_by_role("button", name="Tiếp tục sang Shopee").click()
    # On the marketplace: the seller picks the shop and agrees.
    expect(producer).to_have_url(re.compile(re.escape(shopee.base) + "/api/v2/shop/auth_partner"))
    producer.select_option("select[name=shop_id]", "1")
    producer.get_by_role("button", name="Đồng ý").click()
    # Back home, connected.
    expect(producer.locator("#flashes")).to_contain_text(
        "Đã kết nối gian hàng Chè Hướng Tâm Official trên Shopee")
    expect(producer.locator("#shop-connections")).to_contain_text("Đã kết nối")
    # The officer checks the product; the marketplace's API answers for the listing.
    page.goto("/products/LC-001")
    page.get_by_role("button", name="Kiểm tra", exact=True).click()
    expect(page.locator(".run-progress")).to_contain_text("Hoàn tất")
    with app.app_context():
        listing_id = db.session.scalar(db.select(Listing.id).filter_by(item_id="1.2"))
    producer.goto(f"/listings/{listing_id}")
    expect(producer.locator("#listing-status")).to_contain_text("Đang bán")
    expect(producer.locator("#evidence")).to_contain_text(
        "Sàn Shopee trả lời qua tài khoản của chủ thể: item_status NORMAL, còn 12.")


def test_the_connect_page_and_the_shops_page_fit_a_phone(
        app, live_server, browser, watch, shopee):  # noqa: F811
    phone = watch(browser.new_context(base_url=live_server, viewport={"width": 390,
                                                                      "height": 844},
                                      is_mobile=True, has_touch=True).new_page())
    phone.set_default_timeout(10_000)
    sign_in(phone, "producer@example.vn")
    phone.click("details.menu summary")
    phone.get_by_role("link", name="Gian hàng kết nối").click()
    sync_api.expect(phone.locator("#connect-shopee")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    phone.click("#connect-shopee")
    sync_api.expect(phone.get_by_role("button", name="Tiếp tục sang Shopee")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
