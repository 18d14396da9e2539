"""In Chromium: a producer attests a blocked listing with a photo carrying GPS, an officer sees it
counted in the menu, looks at the image on the waiting list and confirms it; every page on the
way fits a 390×844 phone (screenshots of each role's pages at both sizes land in the test's
temporary folder, to be looked at)."""

import io

import pytest
from PIL import Image

from ocop.extensions import db
from ocop.models import Attestation

from .test_attestations import jpeg_with_gps, set_verdict
from .test_browser import browser, live_server, sign_in, sync_api, watch  # noqa: F401 (fixtures)
from .test_phone import PHONE, too_wide

DESKTOP = {"width": 1366, "height": 900}


@pytest.fixture
def tabs(browser, live_server, watch):  # noqa: F811
    """Opens a tab of the given size signed in as the given email."""
    contexts = []

    def open_tab(email: str, viewport: dict):
        phone = viewport == PHONE
        context = browser.new_context(base_url=live_server, viewport=viewport, is_mobile=phone,
                                      has_touch=phone)
        contexts.append(context)
        tab = watch(context.new_page())
        tab.set_default_timeout(10_000)
        sign_in(tab, email)
        return tab

    yield open_tab
    for context in contexts:
        context.close()


def shoot(tab, folder, name: str) -> list[str]:
    """A full-page screenshot of `tab`, and what makes it wider than a phone if it is one."""
    tab.wait_for_load_state("networkidle")
    tab.screenshot(path=str(folder / f"{name}.png"), full_page=True)
    return too_wide(tab, name, tab.url) if tab.viewport_size == PHONE else []


def test_a_producer_attests_with_a_photo_and_an_officer_confirms_it(app, catalogue, tabs,
                                                                   tmp_path):
    expect = sync_api.expect
    listing_id = set_verdict(app, "blocked", "active")
    photo = tmp_path / "man-hinh-shopee.jpg"
    photo.write_bytes(jpeg_with_gps((900, 1600)))
    problems = []

    producer = tabs("producer@example.vn", DESKTOP)
    producer.goto("/products/LC-001")
    producer.click(f"#listing-{listing_id} a.attest-link")
    producer.wait_for_url(f"**/listings/{listing_id}#attestations")
    expect(producer.locator("#attest-form input[type=date]")).not_to_have_value("")
    producer.set_input_files("#attest-form input[type=file]", str(photo))
    producer.fill("#attest-form textarea", "Chụp trên ứng dụng Shopee, đang bán 45.000 ₫")
    producer.click("#attest-form button[type=submit]")
    expect(producer.locator("#attestation-flashes")).to_contain_text("cán bộ sẽ xem ảnh")
    expect(producer.locator("#attestations tbody tr")).to_contain_text("Chờ cán bộ xác nhận")
    problems += shoot(producer, tmp_path, "producer-listing-desktop")
    with app.app_context():
        stored = db.session.scalars(db.select(Attestation)).one()
        kept = Image.open(io.BytesIO(stored.image))
        assert stored.confirmed_at is None and not kept.getexif() and kept.size == (900, 1600)

    producer_phone = tabs("producer@example.vn", PHONE)
    for path, name in ((f"/listings/{listing_id}", "producer-listing-phone"),
                       ("/products/LC-001", "producer-product-phone")):
        producer_phone.goto(path)
        problems += shoot(producer_phone, tmp_path, name)
    producer.goto("/products/LC-001")
    problems += shoot(producer, tmp_path, "producer-product-desktop")

    officer_phone = tabs("officer@example.vn", PHONE)
    officer_phone.goto("/attestations")
    problems += shoot(officer_phone, tmp_path, "officer-waiting-phone")

    officer = tabs("officer@example.vn", DESKTOP)
    officer.goto("/attestations")
    expect(officer.locator("#attestations-menu mark")).to_have_text("1")
    row = officer.locator(f"#waiting-{stored.id}")
    expect(row).to_contain_text("Chụp trên ứng dụng Shopee")
    # The image came back from the server and decoded in the browser under the page's CSP.
    image = row.locator("img")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth") == 900
    problems += shoot(officer, tmp_path, "officer-waiting-desktop")
    row.get_by_role("button", name="Xác nhận", exact=True).click()
    expect(row).to_contain_text("Đang được tính đến hết")
    expect(officer.locator("#attestations-menu mark")).to_have_count(0)  # the menu was told
    with app.app_context():
        assert db.session.get(Attestation, stored.id).confirmed_at is not None

    officer.goto(f"/listings/{listing_id}")
    expect(officer.locator(f"#attestation-{stored.id}")).to_contain_text("Đang được tính")
    problems += shoot(officer, tmp_path, "officer-listing-desktop")
    officer_phone.goto(f"/listings/{listing_id}")
    problems += shoot(officer_phone, tmp_path, "officer-listing-phone")
    assert not problems, "\n".join(problems)
