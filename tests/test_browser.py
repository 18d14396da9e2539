"""The pages that matter, driven in Debian's Chromium as an officer would use them."""

import io
import os
import re
import threading
from pathlib import Path

import pytest
from openpyxl import load_workbook
from werkzeug.serving import make_server

from ocop.extensions import db
from ocop.models import Listing, utcnow

from .conftest import PASSWORD
from .shop import FAST, LIVE, SCRIPTED, add_listings

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists() and not os.environ.get("CI"):
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def app_overrides():
    return FAST  # checks may reach the imitation shop on 127.0.0.1


@pytest.fixture
def live_server(app, catalogue):
    """The app served on a free local port for the length of one test."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()
    server.server_close()


@pytest.fixture
def browser():
    """Debian's Chromium, headless."""
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield chromium
        chromium.close()


@pytest.fixture
def watch(browser):
    """Watches tabs for what Chromium refuses under the Content-Security-Policy; a test that
    broke the policy fails at teardown (a refused style or script is silent on the page)."""
    tabs, refused = [], []

    def watch(tab):
        """Record the CSP refusals `tab`'s console reports."""
        tab.on("console", lambda message: refused.append(message.text)
               if "Content Security Policy" in message.text else None)
        tabs.append(tab)
        return tab

    watch.refused = refused
    yield watch
    for tab in tabs:
        if not tab.is_closed():
            tab.evaluate("0")  # a round trip: console messages still on the way arrive first
    assert refused == [], "the pages broke the CSP"


@pytest.fixture
def page(browser, live_server, watch):
    """A signed-in officer's browser tab."""
    tab = watch(browser.new_page(base_url=live_server))
    tab.set_default_timeout(10_000)
    sign_in(tab, "officer@example.vn")
    tab.wait_for_selector("#results")
    return tab


def sign_in(tab, email: str) -> None:
    """Sign `tab` in as `email`."""
    tab.goto("/login")
    tab.fill("#email", email)
    tab.fill("#password", PASSWORD)
    tab.click("main button[type=submit]")
    tab.wait_for_url(lambda url: "/login" not in url)


def test_the_pages_are_served_under_the_csp_and_a_refusal_is_noticed(page, watch):
    policy = page.goto("/products/").headers["content-security-policy"]
    assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy
    with page.expect_console_message(lambda m: "Content Security Policy" in m.text) as refusal:
        page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\\'color: red\\'>')")
    assert "style-src 'self'" in refusal.value.text
    assert set(watch.refused) == {refusal.value.text}  # Chromium may say it twice
    watch.refused.clear()  # the refusal this test caused on purpose


def test_search_as_you_type_with_and_without_diacritics(page):
    expect = sync_api.expect
    page.fill("input[name=q]", "Khẩu Nhục")
    expect(page.locator("#results tbody tr")).to_have_count(1)
    expect(page.locator("#results")).to_contain_text("LC-003")
    page.fill("input[name=q]", "nuoc mam")
    expect(page.locator("#results tbody tr")).to_have_count(1)
    expect(page.locator("#results")).to_contain_text("Nước mắm Đặc biệt")
    expect(page).to_have_url(re.compile(r"/products/\?q=nuoc\+mam$"))
    page.select_option("select[name=stars]", "4")
    expect(page.locator("#results")).to_contain_text("Không có sản phẩm nào khớp")
    expect(page).to_have_url(re.compile(r"/products/\?q=nuoc\+mam&stars=4$"))


def test_add_a_listing_inline(page):
    expect = sync_api.expect
    page.goto("/products/LC-003")
    page.evaluate("window.marker = 'same page'")
    page.fill("#url", "https://tiki.vn/khau-nhuc-p4242.html?utm_source=zalo")
    page.click("#add-listing button[type=submit]")
    expect(page.locator("#listings")).to_contain_text("https://tiki.vn/khau-nhuc-p4242.html")
    expect(page.locator("#listings")).not_to_contain_text("utm_source")
    assert page.evaluate("window.marker") == "same page"  # swapped in place, not reloaded
    expect(page.locator("#url")).to_have_value("")
    page.fill("#url", "https://shopee.vn/che-i.1.2")
    page.click("#add-listing button[type=submit]")
    expect(page.locator("#error-url")).to_contain_text("LC-001")


def test_inline_validation_on_the_product_form(page):
    expect = sync_api.expect
    page.goto("/products/new")
    page.fill("#code", "LC-001")
    page.press("#code", "Tab")
    expect(page.locator("#error-code")).to_contain_text("đã dùng cho sản phẩm")


def test_check_a_listing_and_watch_its_status_change(page, app, shop):
    expect = sync_api.expect
    (key,) = add_listings(app, shop, [LIVE])
    page.goto("/products/T-000")
    page.evaluate("window.marker = 'same page'")
    row = page.locator(f"#listing-{key}")
    expect(row).to_contain_text("Chưa kiểm tra")
    row.get_by_role("button", name="Kiểm tra", exact=True).click()
    expect(page.locator(".run-progress")).to_contain_text("Hoàn tất")
    expect(page.locator(".run-progress progress")).to_have_attribute("value", "1")
    expect(row).to_contain_text("Đang bán")  # the listings block refreshed itself
    assert page.evaluate("window.marker") == "same page"
    page.click(f"#listing-{key} a[href='/listings/{key}']")
    expect(page.locator("#listing")).to_contain_text("150.000 ₫")
    expect(page.locator("#evidence")).to_contain_text("Trang được đọc trực tiếp")


def test_a_listing_checked_in_the_browser_shows_its_screenshot_and_evidence_in_words(page, app,
                                                                                    shop):
    expect = sync_api.expect
    (key,) = add_listings(app, shop, [SCRIPTED])  # an app shell until its script ran
    page.goto(f"/listings/{key}")
    page.click("#check-in-browser")
    expect(page.locator(".run-progress")).to_contain_text("Hoàn tất", timeout=60_000)
    expect(page.locator("#listing-status")).to_contain_text("Đang bán")  # refreshed itself
    evidence = page.locator("#evidence")
    expect(evidence).to_contain_text("Trang được mở bằng trình duyệt như người mua.")
    expect(evidence.locator("details.technical")).not_to_have_attribute("open", "")
    picture = evidence.locator("figure.screenshot img")
    expect(picture).to_be_visible()
    picture.scroll_into_view_if_needed()
    expect(picture).to_have_js_property("complete", True)
    assert picture.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [1366, 900]


def test_public_look_up_on_a_phone(browser, live_server, watch):
    expect = sync_api.expect
    phone = watch(browser.new_page(base_url=live_server, viewport={"width": 390, "height": 844},
                                   is_mobile=True, has_touch=True))
    phone.set_default_timeout(10_000)
    phone.goto("/")
    phone.get_by_role("button", name="Tra cứu gian hàng").click()  # a link styled as one
    expect(phone).to_have_url(re.compile(r"/tra-cuu/$"))
    phone.wait_for_function("window.htmx !== undefined")  # typing before htmx listens is lost
    phone.fill("#q", "che bat tien")  # no diacritics, as people type on a phone
    expect(phone.locator("#product-LC-001")).to_contain_text("Chè Bát tiên Hướng Tâm")
    expect(phone).to_have_url(re.compile(r"/tra-cuu/\?q=che\+bat\+tien$"))
    expect(phone.locator("#product-LC-001 .lookup-listings li")).to_contain_text("Shopee")
    # Nothing wider than the screen: no sideways scrolling on a phone.
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_filter_the_dashboard_and_see_figures_and_address_change(page, app):
    expect = sync_api.expect
    with app.app_context():
        db.session.execute(db.update(Listing).values(status="active", verified_at=utcnow(),
                                                     last_checked_at=utcnow()))
        db.session.commit()
    page.goto("/dashboard/")
    page.evaluate("window.marker = 'same page'")
    expect(page.locator("#share-online")).to_contain_text("1/3 sản phẩm còn hiệu lực")
    page.select_option("select[name=category]", "2")  # Đồ uống: the tea, which is on Shopee
    expect(page.locator("#share-online")).to_contain_text("1/1 sản phẩm còn hiệu lực")
    expect(page).to_have_url(re.compile(r"/dashboard/\?category=2$"))
    page.select_option("select[name=marketplace]", "tiki")
    expect(page.locator("#share-online")).to_contain_text("0/1 sản phẩm còn hiệu lực")
    expect(page).to_have_url(re.compile(r"/dashboard/\?category=2&marketplace=tiki$"))
    expect(page.locator("#summary")).to_contain_text("thuộc nhóm Đồ uống")
    page.click("#trend summary")  # the trend's table follows the filters too
    expect(page.locator("#trend-table tbody tr").first).to_contain_text("0/1 (0,0%)")
    expect(page.locator("#troubled")).to_be_visible()  # the lists loaded after the figures
    expect(page.locator("#changes")).to_contain_text("Chưa có tháng nào được chốt số liệu")
    assert page.evaluate("window.marker") == "same page"


def test_download_the_monthly_report_from_the_dashboard(page):
    page.goto("/dashboard/")
    with page.expect_download() as download:
        page.click("#report button[type=submit]")
    book = load_workbook(io.BytesIO(download.value.path().read_bytes()), read_only=True)
    rows = list(book["Tổng hợp"].iter_rows(values_only=True))
    assert rows[9][:2] == ("Sản phẩm OCOP còn hiệu lực", 3)
    assert download.value.suggested_filename.startswith("bao-cao-ocop-")


@pytest.mark.parametrize("app_overrides", [{**FAST, "SIGN_IN_LIMIT_ACCOUNT": "2 per 15 minutes"}])
def test_a_locked_out_sign_in_says_so_and_a_new_password_signs_out_elsewhere(
        browser, live_server, watch, app_overrides):
    expect = sync_api.expect
    tab = watch(browser.new_page(base_url=live_server))
    tab.goto("/login")
    for password in ("sai-mot-lan", "sai-hai-lan", PASSWORD):
        tab.fill("#email", "producer@example.vn")
        tab.fill("#password", password)
        tab.click("main button[type=submit]")
    expect(tab.locator("main")).to_contain_text(
        "Đã thử sai quá nhiều lần. Hãy thử lại sau 15 phút.")
    # The officer changes their password on a phone; their desktop session ends.
    desktop = watch(browser.new_page(base_url=live_server))
    phone = watch(browser.new_context(base_url=live_server,
                                      viewport={"width": 390, "height": 844}).new_page())
    for tab in (desktop, phone):
        tab.goto("/login")
        tab.fill("#email", "officer@example.vn")
        tab.fill("#password", PASSWORD)
        tab.click("main button[type=submit]")
        tab.wait_for_selector("#results")
    phone.goto("/users/me")
    phone.fill("#current_password", PASSWORD)
    phone.fill("#new_password", "mot cau ngan chi toi biet")
    phone.fill("#confirm", "mot cau ngan chi toi biet")
    phone.click("main button[type=submit]")
    expect(phone.locator("#flashes")).to_contain_text("Đã đổi mật khẩu")
    desktop.goto("/products/")
    expect(desktop).to_have_url(re.compile(r"/login\?next="))


def test_a_producer_proposes_an_officer_refuses_with_a_reason_the_producer_reads_it(
        page, browser, live_server, watch):
    expect = sync_api.expect
    producer = watch(browser.new_context(base_url=live_server).new_page())
    producer.set_default_timeout(10_000)
    sign_in(producer, "producer@example.vn")
    producer.goto("/products/LC-002")
    producer.fill("#url", "https://voso.vn/nuoc-mam-dac-biet-p9090.html")
    producer.click("#add-listing button[type=submit]")
    expect(producer.locator("#listing-flashes")).to_contain_text("đang chờ duyệt")
    # The officer sees the count in the menu and the proposal in the one list.
    page.goto("/products/")
    expect(page.locator("#proposals-menu mark")).to_have_text("1")
    page.click("#proposals-menu a")
    row = page.locator("#proposals tbody tr", has_text="LC-002")
    row.get_by_role("button", name="Từ chối").click()
    row.get_by_role("button", name="Gửi lý do và từ chối").click()  # no reason yet
    expect(row.locator(".field-error")).to_contain_text("Hãy ghi lý do từ chối")
    row.locator("textarea").fill("Đây là gian hàng của người bán lại, không phải của HTX.")
    row.get_by_role("button", name="Gửi lý do và từ chối").click()
    expect(row).to_contain_text("Đã từ chối")
    expect(page.locator("#proposals-menu mark")).to_have_count(0)  # refreshed by the event
    producer.reload()
    expect(producer.locator("#listings .refusal")).to_contain_text(
        "Đây là gian hàng của người bán lại, không phải của HTX.")
    expect(producer.locator("#listings")).to_contain_text("Bị từ chối")
