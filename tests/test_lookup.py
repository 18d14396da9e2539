"""The public look-up: anyone may search, nobody sees personal data or proposals."""

from datetime import timedelta

import pytest

from ocop.extensions import db
from ocop.models import Listing, Marketplace, utcnow
from tests.conftest import make_producer, make_product, producer_named
from tests.helpers import HTMX, assert_fragment, assert_full_page


@pytest.fixture
def registry(app, catalogue):
    """The catalogue plus a producer with every kind of personal data, and listings in each
    state: verified active with a price, stale, and a proposal awaiting approval."""
    with app.app_context():
        producer = make_producer("HTX Mật ong Bạc Hà", tax_code="5300999888",
                                 phone="0912 345 678", email="mat.ong@example.vn",
                                 representative="Nguyễn Văn Riêng", commune="Bắc Hà",
                                 address="Thôn Riêng Tư, Bắc Hà")
        honey = make_product("LC-100", "Mật ong bạc hà <b>rừng</b>", producer, stars=4)
        tiki = db.session.scalar(db.select(Marketplace).filter_by(slug="tiki"))
        voso = db.session.scalar(db.select(Marketplace).filter_by(slug="voso"))
        postmart = db.session.scalar(db.select(Marketplace).filter_by(slug="postmart"))
        now = utcnow()
        db.session.add_all([
            Listing(product=honey, marketplace=tiki, url="https://tiki.vn/mat-ong-p1.html",
                    canonical_url="https://tiki.vn/mat-ong-p1.html", item_id="1",
                    status="active", verified_at=now, last_checked_at=now,
                    evidence={"price": 185000, "title": "Mật ong", "chain": [],
                              "rule": "jsonld-availability"}),
            Listing(product=honey, marketplace=voso, url="https://voso.vn/mat-ong-p2.html",
                    canonical_url="https://voso.vn/mat-ong-p2.html", item_id="2",
                    status="active", verified_at=now - timedelta(days=60),
                    last_checked_at=now, last_verdict="blocked"),
            Listing(product=honey, marketplace=postmart,
                    url="https://postmart.vn/p/mat-ong-3.html",
                    canonical_url="https://postmart.vn/p/mat-ong-3.html", item_id="3",
                    approved=False),
        ])
        db.session.commit()


def test_anyone_finds_a_product_without_diacritics(client, registry):
    page = assert_full_page(client.get("/tra-cuu/?q=mat+ong+bac+ha"), "results")
    card = page.find(id="product-LC-100")
    assert card is not None and "HTX Mật ong Bạc Hà" in card.text
    items = card.select(".lookup-listings li")
    assert [li.strong.text for li in items] == ["Tiki", "Voso"]  # the proposal is not shown
    assert "Đang bán" in items[0].text and "185.000 ₫" in items[0].text
    assert "Xác minh lần cuối" in items[0].text
    assert "Quá hạn xác minh" in items[1].text and "lần cuối: Bị chặn" in items[1].text
    assert items[0].a["href"] == "https://tiki.vn/mat-ong-p1.html"
    assert "<b>" not in str(card.h2) and "&lt;b&gt;" in str(card.h2)  # user text is escaped


def test_typing_swaps_only_the_results_and_keeps_the_address(client, registry):
    response = client.get("/tra-cuu/?q=LC-100", headers=HTMX)
    html = assert_fragment(response, "results")
    assert html.find(id="product-LC-100") is not None
    assert response.headers["HX-Push-Url"] == "/tra-cuu/?q=LC-100"


def test_no_personal_data_and_no_tax_code_probing(client, registry):
    text = client.get("/tra-cuu/?q=mat+ong").text
    for private in ("5300999888", "0912 345 678", "mat.ong@example.vn", "Nguyễn Văn Riêng",
                    "Thôn Riêng Tư", "/history", "postmart.vn"):
        assert private not in text
    # The producer's searchable text holds its tax code; a number never searches producers.
    assert "Không tìm thấy sản phẩm nào" in client.get("/tra-cuu/?q=5300999888").text


def test_short_empty_and_unmatched_searches_say_so(client, registry):
    assert "Gõ ít nhất 2 ký tự" in client.get("/tra-cuu/?q=m").text
    assert client.get("/tra-cuu/").status_code == 200
    assert "Không tìm thấy sản phẩm nào khớp “xyz”" in client.get("/tra-cuu/?q=xyz").text


def test_results_come_a_page_at_a_time(app, client, catalogue):
    with app.app_context():
        producer = producer_named("HTX Sơn Hòa")
        for n in range(12):
            make_product(f"LC-2{n:02d}", f"Lạp sườn số {n}", producer)
        db.session.commit()
    first = assert_full_page(client.get("/tra-cuu/?q=lap+suon"), "results")
    assert len(first.select(".lookup-product")) == 10 and "12 sản phẩm" in first.text
    second = assert_fragment(client.get("/tra-cuu/?q=lap+suon&page=2", headers=HTMX), "results")
    assert len(second.select(".lookup-product")) == 2
    past = assert_fragment(client.get("/tra-cuu/?q=lap+suon&page=9", headers=HTMX), "results")
    assert "Trang này đã quá số kết quả" in past.text
