"""In Chromium: a producer chooses how often to hear of each kind on a phone; the settings page
and the unsubscribe pages fit a phone and a desktop (screenshots in the test's folder)."""

import pytest

from ocop.extensions import db
from ocop.models import User
from ocop.notify import preferences, tokens

from .test_browser import browser, live_server, sign_in, sync_api, watch  # noqa: F401
from .test_notify_pages import resolver

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def app_overrides():
    return {"SCRAPER_RESOLVER": resolver}


@pytest.fixture
def tab(browser, live_server, watch):  # noqa: F811
    """Opens a tab of the given size, signed in as the given email unless None."""
    contexts = []

    def open_tab(viewport: dict, email: str | None = "producer@example.vn"):
        context = browser.new_context(base_url=live_server, viewport=viewport,
                                      is_mobile=viewport == PHONE, has_touch=viewport == PHONE)
        contexts.append(context)
        page = watch(context.new_page())
        page.set_default_timeout(10_000)
        if email:
            sign_in(page, email)
        return page

    yield open_tab
    for context in contexts:
        context.close()


def shoot(page, folder, name: str) -> None:
    """A full-page screenshot; on a phone, nothing may make the page scroll sideways. (The
    screenshot leaves empty style attributes behind, which htmx would copy onto the next page
    it swaps in, against the CSP: a tab is shot after its last action, or loaded afresh.)"""
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
    if page.viewport_size == PHONE:
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name


def producer_settings(app) -> tuple[dict, bool]:
    with app.app_context():
        producer = db.session.scalar(db.select(User).filter_by(email="producer@example.vn"))
        return preferences.chosen(producer), producer.notify_email


def test_a_producer_chooses_how_often_on_a_phone(app, tab, tmp_path):
    expect = sync_api.expect
    phone = tab(PHONE)
    phone.click("details.menu summary")
    phone.get_by_role("link", name="Thông báo", exact=True).click()
    expect(phone.locator("#notifications select")).to_have_count(len(preferences.OWN))
    phone.select_option("#kind_listing_out_of_stock", "daily")
    phone.select_option("#kind_certificate_90", "never")
    phone.uncheck("#notify_email")
    phone.get_by_role("button", name="Lưu cách nhận thông báo").click()
    expect(phone.locator("#flashes")).to_contain_text("Đã lưu cách nhận thông báo.")
    expect(phone.locator("#kind_listing_out_of_stock")).to_have_value("daily")
    chosen, by_email = producer_settings(app)
    assert chosen == {**preferences.DEFAULTS["producer"], "listing_out_of_stock": "daily",
                      "certificate_90": "never"}
    assert by_email is False
    shoot(phone, tmp_path, "account-phone")
    phone.goto("/account/")
    phone.fill("#url", "https://hooks.example.vn/ocop")
    phone.get_by_role("button", name="Đặt webhook").click()
    expect(phone.locator("#webhook-secret-value")).to_be_visible()
    shoot(phone, tmp_path, "account-phone-webhook-secret")

    desktop = tab(DESKTOP)
    desktop.goto("/account/")
    expect(desktop.locator("#webhook-current")).to_contain_text("https://hooks.example.vn/ocop")
    shoot(desktop, tmp_path, "account-desktop")
    desktop.goto("/account/")
    desktop.fill("#url", "https://hooks.example.vn/moi")
    desktop.get_by_role("button", name="Thay webhook (khoá bí mật mới)").click()
    expect(desktop.locator("#webhook-secret-value")).to_be_visible()
    shoot(desktop, tmp_path, "account-desktop-webhook-secret")


def test_the_unsubscribe_pages_at_both_sizes(app, tab, tmp_path):
    expect = sync_api.expect
    with app.app_context():
        producer_id = db.session.scalar(db.select(User.id).filter_by(email="producer@example.vn"))
        one, every = tokens.make(producer_id, "listing_removed"), tokens.make(producer_id)
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page = tab(viewport, email=None)
        page.goto(tokens.PATH + one)
        expect(page.locator("#unsubscribe")).to_contain_text("Gian hàng bị gỡ khỏi sàn")
        shoot(page, tmp_path, f"unsubscribe-{name}")
        page.goto(tokens.PATH + "forged" + one[6:])
        expect(page.locator("#unsubscribe-refused")).to_contain_text("không đúng")
        shoot(page, tmp_path, f"unsubscribe-refused-{name}")
    assert producer_settings(app)[0]["listing_removed"] == "instant"  # looking changed nothing
    page.goto(tokens.PATH + every)
    page.get_by_role("button", name="Ngừng nhận").click()
    expect(page.locator("#unsubscribed")).to_contain_text("không nhận thông báo nào nữa")
    shoot(page, tmp_path, "unsubscribed-phone")
    chosen, by_email = producer_settings(app)
    assert set(chosen.values()) == {"never"} and by_email is False
