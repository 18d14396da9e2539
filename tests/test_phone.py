"""Every page a role reaches from the menu, and the detail pages used daily, fit a 390×844 phone:
no sideways scrolling of the page, and the collapsed menu still reaches sign-out and language."""

import time

import pytest

from ocop.audit import acting_as
from ocop.extensions import db
from ocop.models import CheckRun, Marketplace, Product, User

from .conftest import producer_named
from .helpers import HTMX
from .shop import FAST, LIVE
from .test_browser import browser, live_server, page, sign_in, sync_api, watch  # noqa: F401 (fixtures)
from .workbooks import product_row, sample_workbook

PHONE = {"width": 390, "height": 844}
# A listing address as long as the ones marketplaces hand out, to see how it wraps.
LONG_PATH = ("/san-pham/che-bat-tien-huong-tam-hop-giay-100g-chinh-hang-htx-che-huong-tam-bac-ha"
             "-lao-cai-i.530002.7000003?spid=3000002&utm_source=zalo&utm_campaign=ocop-2026")

# The element that sticks out furthest to the right, skipping what a scrolling box clips.
WIDEST = r"""width => {
  const clipped = el => {
    for (let box = el.parentElement; box && box !== document.body; box = box.parentElement) {
      if (getComputedStyle(box).overflowX !== 'visible') return true;
    }
    return false;
  };
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + [...el.classList].map(c => '.' + c).join('');
  let widest = null, right = width;
  for (const el of document.body.querySelectorAll('*')) {
    const edge = el.getBoundingClientRect().right;
    if (edge > right + 0.5 && !clipped(el)) { widest = el; right = edge; }
  }
  let path = '';
  for (let el = widest, n = 0; el && el !== document.body && n < 4; el = el.parentElement, n++) {
    path = name(el) + (path ? ' > ' + path : '');
  }
  return {scrollWidth: document.documentElement.scrollWidth, width,
          widest: widest
            ? `${path} "${widest.textContent.replace(/\s+/g, ' ').trim().slice(0, 40)}"` : null,
          right: Math.round(right)};
}"""


@pytest.fixture
def app_overrides():
    return FAST  # the check run below reaches the imitation shop on 127.0.0.1


@pytest.fixture
def daily(app, catalogue, shop, officer):
    """The records behind the daily detail pages: a listing with a long address checked in a real
    run, a producer's proposal waiting for approval, a product edited so its history has rows."""
    with app.app_context():
        tea = db.session.get(Product, catalogue["tea"])
        marketplace = db.session.scalar(db.select(Marketplace).filter_by(slug="cho-thu"))
        checked = shop.listing(tea, marketplace, LONG_PATH.split("?")[0], LIVE)
        checked.canonical_url = checked.url = shop.url(LONG_PATH)
        proposer = db.session.scalar(db.select(User).filter_by(email="producer@example.vn"))
        shop.listing(tea, marketplace, "/p/de-xuat", LIVE, approved=False, added_by=proposer)
        db.session.commit()
        listing_id = checked.id
    response = officer.post(f"/checks/listings/{listing_id}", headers=HTMX)
    assert response.status_code == 200, response.text
    with app.app_context():
        run_id = db.session.scalar(db.select(CheckRun.id))
        deadline = time.monotonic() + 20
        while db.session.get(CheckRun, run_id).finished_at is None:
            assert time.monotonic() < deadline, "the check run did not finish"
            time.sleep(0.2)
            db.session.expire_all()
        with acting_as("officer@example.vn"):
            tea = db.session.get(Product, catalogue["tea"])
            tea.name = "Chè Bát tiên Hướng Tâm – hộp giấy 100 g, loại đặc biệt"
            tea.subgroup = "Chè và các sản phẩm từ chè (chè búp, chè xanh, chè đen, chè ướp hoa)"
            tea.decision_no = "4261/QĐ-UBND-2021-bổ-sung-lần-hai"
            db.session.commit()
        producer_id = producer_named("HTX Chè Hướng Tâm").id
    return {"listing": listing_id, "run": run_id, "producer": producer_id,
            "product": catalogue["tea"]}


@pytest.fixture
def phone(browser, live_server, watch):  # noqa: F811
    """Opens a phone-sized tab, signed in as the given email unless None."""
    contexts = []

    def open_tab(email: str | None):
        context = browser.new_context(base_url=live_server, viewport=PHONE, is_mobile=True,
                                      has_touch=True)
        contexts.append(context)
        tab = watch(context.new_page())
        tab.set_default_timeout(10_000)
        if email:
            sign_in(tab, email)
        return tab

    yield open_tab
    for context in contexts:
        context.close()


def detail_pages(role: str, daily: dict) -> list[str]:
    """The pages one click from the menu that `role` uses every day."""
    visitor = ["/", "/tra-cuu/?q=che", "/login"]
    producer = ["/products/LC-001", f"/listings/{daily['listing']}"]
    officer = producer + [
        "/products/new", "/products/LC-001/edit", f"/checks/{daily['run']}",
        f"/producers/{daily['producer']}", f"/producers/{daily['producer']}/edit",
        "/producers/new", f"/history/product/{daily['product']}",
        f"/history/listing/{daily['listing']}", "/users/me/api-keys"]
    admin = officer + ["/dashboard/target", "/users/new", "/users/sign-ins", "/marketplaces/new",
                       "/users/1/edit"]
    return {"visitor": visitor, "producer": producer, "officer": officer, "admin": admin}[role]


def too_wide(tab, role: str, what: str) -> list[str]:
    """What makes the page in `tab` wider than the phone, if anything."""
    tab.wait_for_load_state("networkidle")  # parts of some pages load after them
    seen = tab.evaluate(WIDEST, PHONE["width"])  # a phone zooms out to show what is wider
    if seen["scrollWidth"] <= seen["width"]:
        return []
    return [f"{role} {what}: {seen['scrollWidth']} px wide at {seen['width']} px; "
            f"widest: {seen['widest']} reaching {seen['right']} px"]


def preview_an_import(tab, tmp_path) -> None:
    """Upload a workbook that changes the registry and wait for its preview."""
    book = sample_workbook(tmp_path / "nhap.xlsx", products=[
        product_row(), product_row("LC-001", "Chè Bát tiên Hướng Tâm", "HTX Chè Hướng Tâm",
                                   tax_code="5300123456", commune="Bắc Hà",
                                   category="Đồ uống", stars=4)],
        listings=[["LC-001", "", "https://tiki.vn/che-bat-tien-huong-tam-hop-giay-p3001.html"]])
    tab.goto("/workbook/")
    tab.set_input_files("#upload-form input[type=file]", str(book))
    tab.click("#upload-form button[type=submit]")
    tab.wait_for_selector("#preview #changes")


@pytest.mark.parametrize("role, email", [("visitor", None), ("producer", "producer@example.vn"),
                                         ("officer", "officer@example.vn"),
                                         ("admin", "admin@example.vn")])
def test_every_page_of_a_role_fits_a_phone(phone, daily, tmp_path, role, email):
    tab = phone(email)
    tab.goto("/")
    menu = tab.eval_on_selector_all(
        "header nav a[href^='/']", "links => links.map(a => a.getAttribute('href'))")
    pages = list(dict.fromkeys(menu + detail_pages(role, daily)))
    problems = []
    for path in pages:
        response = tab.goto(path)
        assert response.status == 200, f"{role} {path}: {response.status}"
        problems += too_wide(tab, role, path)
    if role in ("officer", "admin"):
        preview_an_import(tab, tmp_path)
        problems += too_wide(tab, role, "the import preview")
    assert len(menu) >= (2 if role == "visitor" else 3)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("email", ["officer@example.vn", None])
def test_the_folded_menu_opens_on_sign_out_and_language(phone, catalogue, email):
    expect = sync_api.expect
    tab = phone(email)
    tab.goto("/tra-cuu/")
    toggle = tab.locator("header details.menu > summary")
    last = tab.get_by_role("button", name="Đăng xuất") if email else \
        tab.get_by_role("link", name="Đăng nhập")
    expect(toggle).to_be_visible()
    expect(last).to_be_hidden()  # collapsed until asked for
    toggle.click()
    for target in (last, tab.get_by_role("button", name="English")):
        expect(target).to_be_visible()
        box = target.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    tab.get_by_role("button", name="English").click()
    expect(tab.locator("footer")).to_contain_text("Department of Industry and Trade")
    expect(tab.locator("header details.menu > summary")).to_be_visible()  # still folded


def test_the_menu_is_open_on_a_desktop(page):  # noqa: F811
    expect = sync_api.expect
    page.set_viewport_size({"width": 1366, "height": 900})
    expect(page.locator("header details.menu > summary")).to_be_hidden()
    expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible()
    expect(page.get_by_role("link", name="Lịch sử")).to_be_visible()
