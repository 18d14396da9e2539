"""Share links entered in the app (the listing form, a workbook import) are followed to their
listing before anything is checked or stored, against a real local server standing for
s.shopee.vn and shopee.vn (an injected resolver sends those names to 127.0.0.1)."""

import io
import threading
import time

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from ocop.extensions import db
from ocop.models import Listing, Marketplace, MarketplaceHost
from tests.scrapers.conftest import Names, RawServer, at, redirect

from .conftest import sign_in
from .helpers import HTMX, assert_fragment, soup
from .workbooks import LISTING_HEADERS, PRODUCT_HEADERS, counts, product_row, write_xlsx

# shope.ee stands for a shortener whose name resolves to a private address.
NAMES = {"s.shopee.vn": "127.0.0.1", "shopee.vn": "127.0.0.1", "shope.ee": "127.0.0.2"}


@pytest.fixture
def extra() -> dict:
    """Settings a test adds by parametrizing this fixture."""
    return {}


@pytest.fixture
def app_overrides(tmp_path, extra) -> dict:
    """Only 127.0.0.1 reachable, names resolved to it, no waiting; uploads in the test's
    folder."""
    return {"SCRAPER_RESOLVER": Names(dict(NAMES)), "SCRAPER_ALLOWED_NETWORKS": "127.0.0.1/32",
            "SCRAPER_POLITE": False, "SCRAPER_RETRIES": 0, "SCRAPER_TIMEOUT": 2.0,
            "SHARE_TIMEOUT": 2.0, "WORKBOOK_UPLOAD_FOLDER": str(tmp_path / "uploads"), **extra}


@pytest.fixture
def short(app):
    """The shortener and the marketplace: one local server, shopee.vn:<port> a Shopee host."""
    with HTTPServer(host="127.0.0.1", port=0, threaded=True) as server:
        with app.app_context():
            shopee = db.session.scalar(db.select(Marketplace).filter_by(slug="shopee"))
            shopee.hosts.append(MarketplaceHost(host=f"shopee.vn:{server.port}"))
            db.session.commit()
        yield server


def listings(app, code: str) -> list[tuple]:
    with app.app_context():
        return [(lst.url, lst.canonical_url, lst.item_id, lst.approved)
                for lst in db.session.scalars(db.select(Listing).join(Listing.product)
                                              .where(Listing.product.has(code=code)))]


def add(client, code: str, url: str, **data):
    return client.post(f"/products/{code}/listings", data={"url": url, **data}, headers=HTMX)


def test_a_share_link_is_stored_as_the_listing_it_leads_to(app, officer, catalogue, short):
    redirect(short, "/AbC", at(short, "s.shopee.vn", "/x"), 301)
    redirect(short, "/x", at(short, "shopee.vn", "/Che-Bat-Tien-i.77.88?sp_atk=q&xptdk=r"))
    link = at(short, "s.shopee.vn", "/AbC")
    html = assert_fragment(add(officer, "LC-002", link), "listings")
    assert "Đã thêm gian hàng trên Shopee" in html.text
    canonical = at(short, "shopee.vn", "/Che-Bat-Tien-i.77.88")
    assert listings(app, "LC-002") == [(link, canonical, "77.88", True)]
    assert canonical in html.find(id="listings").text  # the page shows where it leads
    assert "/Che-Bat-Tien-i.77.88" not in [r.path for r, _ in short.log]  # never fetched


def test_a_producer_proposes_a_listing_by_share_link(app, producer_client, catalogue, short):
    short.expect_request("/p1").respond_with_data(
        f'<html><head><meta http-equiv="refresh" content="0;url='
        f'{at(short, "shopee.vn", "/product/5/6")}"></head></html>', content_type="text/html")
    assert_fragment(add(producer_client, "LC-002", at(short, "s.shopee.vn", "/p1")), "listings")
    assert listings(app, "LC-002") == [(at(short, "s.shopee.vn", "/p1"),
                                        at(short, "shopee.vn", "/product/5/6"), "5.6", False)]


def test_the_duplicate_check_sees_the_listing_behind_the_link(app, officer, catalogue, short):
    redirect(short, "/dup", at(short, "shopee.vn", "/another-slug-i.1.2"))  # LC-001's item
    html = soup(add(officer, "LC-003", at(short, "s.shopee.vn", "/dup")))
    assert "đã được gắn với sản phẩm LC-001" in html.find(id="error-url").text
    assert listings(app, "LC-003") == []


def test_a_link_entered_before_is_known_without_asking_again(app, officer, catalogue, short):
    redirect(short, "/once", at(short, "shopee.vn", "/x-i.3.4"))
    link = at(short, "s.shopee.vn", "/once")
    add(officer, "LC-002", link)
    short.clear()  # the shortener forgets it: a second request would not lead to the listing
    html = soup(add(officer, "LC-003", link))
    assert "đã được gắn với sản phẩm LC-002" in html.find(id="error-url").text
    assert short.log == []


@pytest.fixture
def inside():
    """A listener on 127.0.0.2, a private address: it must never see a connection."""
    server = RawServer(host="127.0.0.2")
    yield server
    time.sleep(0.1)
    assert server.accepted == 0
    server.close()


@pytest.mark.parametrize(("case", "message"), [
    ("off", "dẫn ra ngoài sàn Shopee (tới shopee.co.id)"),
    ("private-ip", "dẫn tới một địa chỉ nội bộ hoặc không công khai (127.0.0.2:"),
    ("private-name", "dẫn tới một địa chỉ nội bộ hoặc không công khai (shope.ee:"),
    ("home", "không dẫn tới trang một sản phẩm của Shopee (mà tới http://shopee.vn:"),
    ("loop", "chuyển hướng quá nhiều lần hoặc quay vòng"),
    ("down", "Không mở được liên kết chia sẻ"),
    ("slow", "Không mở được liên kết chia sẻ"),
])
def test_a_share_link_that_leads_nowhere_is_refused_with_its_reason(
        app, officer, catalogue, short, inside, case, message):
    answer = threading.Event()  # the slow link answers only when the test is done

    def sleepy(_request):
        answer.wait(30)
        return Response("", status=302)

    where = {"off": "https://shopee.co.id/x-i.1.9",
             "private-ip": f"http://127.0.0.2:{inside.port}/x-i.1.9",
             "private-name": f"http://shope.ee:{inside.port}/x",
             "home": at(short, "shopee.vn", "/")}
    if case in where:
        redirect(short, "/bad", where[case])
        short.expect_request("/").respond_with_data("<html><body>Shopee</body></html>",
                                                    content_type="text/html")
    elif case == "loop":
        redirect(short, "/bad", at(short, "s.shopee.vn", "/bad"))
    elif case == "slow":
        short.expect_request("/bad").respond_with_handler(sleepy)
    link = at(short, "s.shopee.vn", "/bad") if case != "down" else "http://s.shopee.vn:9/bad"
    started = time.monotonic()
    html = soup(add(officer, "LC-003", link))
    waited = time.monotonic() - started
    answer.set()
    assert message in html.find(id="error-url").text
    if case == "slow":  # SHARE_TIMEOUT is 2 s: the 30 s answer is not waited for (room for load)
        assert waited < 15
    assert listings(app, "LC-003") == []


def test_a_share_link_of_another_marketplace_than_the_one_chosen(app, officer, catalogue,
                                                                  short):
    with app.app_context():
        tiki = db.session.scalar(db.select(Marketplace).filter_by(slug="tiki")).id
    html = soup(add(officer, "LC-003", at(short, "s.shopee.vn", "/x"), marketplace=str(tiki)))
    assert "liên kết chia sẻ của bộ đọc shopee, không phải của sàn Tiki" in html.find(
        id="error-url").text
    assert short.log == []


def test_the_reason_in_english(app, officer, catalogue, short):
    officer.post("/lang/en", data={"next": "/"})
    redirect(short, "/bad", "https://shopee.co.id/x-i.1.9")
    html = soup(add(officer, "LC-003", at(short, "s.shopee.vn", "/bad")))
    assert "leads off Shopee (to shopee.co.id)" in html.find(id="error-url").text


def upload(client, path):
    data = {"file": (io.BytesIO(path.read_bytes()), path.name)}
    return client.post("/workbook/upload", data=data, content_type="multipart/form-data")


def workbook(tmp_path, links: list[str]):
    return write_xlsx(tmp_path / "tinh.xlsx", {
        "Sản phẩm": [PRODUCT_HEADERS, product_row()],
        "Gian hàng": [LISTING_HEADERS, *(["LC-101", "", link] for link in links)],
    })


def test_an_import_with_one_unresolvable_share_link_imports_nothing(app, officer, short,
                                                                    tmp_path):
    redirect(short, "/good", at(short, "shopee.vn", "/buoi-i.10.20"))
    redirect(short, "/bad", at(short, "shopee.vn", "/search?keyword=buoi"))
    short.expect_request("/search").respond_with_data("<html>Tìm kiếm</html>",
                                                      content_type="text/html")
    path = workbook(tmp_path, [at(short, "s.shopee.vn", "/good"), at(short, "s.shopee.vn", "/bad")])
    html = soup(upload(officer, path))
    rows = [[td.text for td in tr.find_all("td")] for tr in html.select("#problems tr.problem")]
    assert rows == [["Gian hàng", "3", "Đường dẫn", at(short, "s.shopee.vn", "/bad"),
                     "Liên kết chia sẻ không dẫn tới trang một sản phẩm của Shopee (mà tới "
                     f"{at(short, 'shopee.vn', '/search?keyword=buoi')})."]]
    assert html.find(id="confirm-form") is None
    with app.app_context():
        assert counts()["Product"] == 0 and counts()["Listing"] == 0


def test_an_import_of_share_links_stores_their_listings(app, officer, short, tmp_path):
    links = []
    for n in range(12):
        redirect(short, f"/s{n}", at(short, "shopee.vn", f"/buoi-i.10.{n}?sp_atk=x"))
        links.append(at(short, "s.shopee.vn", f"/s{n}"))
    links.append("https://tiki.vn/buoi-p1.html")  # typed out in full: no request
    path = workbook(tmp_path, links)
    response = upload(officer, path)
    confirm = soup(response).find(id="confirm-form")
    assert confirm is not None, soup(response).find(id="problems")
    officer.post("/workbook/confirm",
                 data={"token": confirm.find("input", {"name": "token"})["value"]})
    stored = listings(app, "LC-101")
    assert len(stored) == 13
    assert (links[3], at(short, "shopee.vn", "/buoi-i.10.3"), "10.3", True) in stored
    # the registry's workbook comes back in: its share links are known, nothing is asked
    short.clear()
    assert soup(upload(officer, path)).find(id="problems") is None
    assert short.log == []


@pytest.mark.parametrize("extra", [{"IMPORT_SHARE_SECONDS": 0.0}])
def test_an_import_whose_share_links_outrun_its_budget_says_so(app, officer, short, tmp_path):
    redirect(short, "/s", at(short, "shopee.vn", "/buoi-i.10.1"))
    html = soup(upload(officer, workbook(tmp_path, [at(short, "s.shopee.vn", "/s")])))
    assert "tệp có quá nhiều liên kết chia sẻ cho một lần nhập" in html.find(id="problems").text
    assert short.log == []


def test_the_confirm_step_follows_the_links_again(app, short, tmp_path):
    officer = sign_in(app, "officer@example.vn")
    redirect(short, "/s", at(short, "shopee.vn", "/buoi-i.10.1"))
    response = upload(officer, workbook(tmp_path, [at(short, "s.shopee.vn", "/s")]))
    token = soup(response).find(id="confirm-form").find("input", {"name": "token"})["value"]
    short.clear()
    redirect(short, "/s", at(short, "shopee.vn", "/"))  # the link now leads elsewhere
    short.expect_request("/").respond_with_data("<html>Shopee</html>", content_type="text/html")
    officer.post("/workbook/confirm", data={"token": token})
    with app.app_context():
        assert counts()["Listing"] == 0  # checked again, refused: nothing written


def test_the_report_stays_in_file_order_while_links_are_followed(app, officer, short, tmp_path):
    def slow(_request):
        time.sleep(0.3)
        return Response("", status=302, headers={"Location": at(short, "shopee.vn", "/")})

    short.expect_request("/slow").respond_with_handler(slow)
    short.expect_request("/").respond_with_data("<html>Shopee</html>", content_type="text/html")
    path = write_xlsx(tmp_path / "tinh.xlsx", {
        "Sản phẩm": [PRODUCT_HEADERS, product_row()],
        "Gian hàng": [LISTING_HEADERS, ["LC-101", "", at(short, "s.shopee.vn", "/slow")],
                      ["LC-999", "", "https://tiki.vn/x-p1.html"]],
    })
    html = soup(upload(officer, path))
    rows = [tr.find_all("td")[1].text for tr in html.select("#problems tr.problem")]
    assert rows == ["2", "3"]
