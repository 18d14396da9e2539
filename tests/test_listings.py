"""Adding, approving and removing listings inline on a product's page."""

import pytest

from ocop.extensions import db
from ocop.models import Listing, Marketplace, MarketplaceHost, Product

from .helpers import HTMX, assert_fragment, assert_full_page, soup


def listings_of(app, code: str) -> list[Listing]:
    with app.app_context():
        product = db.session.scalar(db.select(Product).filter_by(code=code))
        return [(lst.marketplace.slug, lst.canonical_url, lst.item_id, lst.approved)
                for lst in product.listings]


def test_add_listing_inline_canonicalises_and_detects_the_marketplace(officer, app, catalogue):
    url = "https://tiki.vn/che-bat-tien-p789.html?spid=11&utm_source=zalo&fbclid=x"
    response = officer.post("/products/LC-001/listings", data={"url": url}, headers=HTMX)
    html = assert_fragment(response, "listings")
    assert "Đã thêm gian hàng trên Tiki" in html.text
    assert ("tiki", "https://tiki.vn/che-bat-tien-p789.html?spid=11", "789", True) in listings_of(
        app, "LC-001")


def test_add_listing_without_htmx_gets_the_whole_page(officer, app, catalogue):
    response = officer.post("/products/LC-002/listings",
                            data={"url": "https://postmart.vn/p/nuoc-mam-100009.html"})
    assert_full_page(response, "listings")
    assert listings_of(app, "LC-002")[0][:3] == (
        "postmart", "https://postmart.vn/p/nuoc-mam-100009.html", "100009")


@pytest.mark.parametrize(("url", "message"), [
    ("https://shopee.vn/other-slug-i.1.2?sp_atk=z", "đã được gắn với sản phẩm LC-001"),
    ("https://example.com/p/1", "không thuộc sàn nào"),
    ("ftp://shopee.vn/x-i.1.3", "http:// hoặc https://"),
    ("https://shopee.vn/search?keyword=che", "không trỏ tới một trang sản phẩm của Shopee"),
    ("http://[::1", "Đường dẫn không hợp lệ"),
    ("", "bắt buộc"),
])
def test_bad_listing_urls_are_refused_with_a_reason(officer, app, catalogue, url, message):
    response = officer.post("/products/LC-003/listings", data={"url": url}, headers=HTMX)
    html = assert_fragment(response, "listings")
    assert message in html.find(id="error-url").text
    assert listings_of(app, "LC-003") == []


def test_marketplace_chosen_must_match_the_host(officer, app, catalogue):
    with app.app_context():
        lazada = db.session.scalar(db.select(Marketplace).filter_by(slug="lazada")).id
    response = officer.post("/products/LC-003/listings", headers=HTMX, data={
        "url": "https://tiki.vn/khau-nhuc-p55.html", "marketplace": str(lazada)})
    assert "thuộc sàn Tiki, không phải Lazada" in soup(response).find(id="error-url").text


def test_a_local_test_server_can_be_a_marketplace(officer, app, catalogue):
    with app.app_context():
        db.session.add(Marketplace(name="Chợ thử", slug="cho-thu", adapter="generic",
                                   hosts=[MarketplaceHost(host="127.0.0.1:8765")]))
        db.session.commit()
    officer.post("/products/LC-003/listings", headers=HTMX,
                 data={"url": "http://127.0.0.1:8765/sp/khau-nhuc?utm_source=x"})
    assert listings_of(app, "LC-003") == [
        ("cho-thu", "http://127.0.0.1:8765/sp/khau-nhuc", "/sp/khau-nhuc", True)]


def test_disabled_marketplace_is_refused(officer, app, catalogue):
    with app.app_context():
        db.session.scalar(db.select(Marketplace).filter_by(slug="voso")).enabled = False
        db.session.commit()
    response = officer.post("/products/LC-003/listings", headers=HTMX,
                            data={"url": "https://voso.vn/khau-nhuc-p1.html"})
    assert "tạm ngừng" in soup(response).find(id="error-url").text


def test_producer_proposes_and_officer_approves(producer_client, officer, app, catalogue):
    response = producer_client.post("/products/LC-002/listings", headers=HTMX,
                                    data={"url": "https://voso.vn/nuoc-mam-p77.html"})
    html = assert_fragment(response, "listings")
    assert "Chờ duyệt" in html.text
    assert listings_of(app, "LC-002")[0][3] is False
    with app.app_context():
        listing_id = db.session.scalar(db.select(Listing.id).filter_by(item_id="77"))
    assert producer_client.post(f"/listings/{listing_id}/approve").status_code == 403
    response = officer.post(f"/listings/{listing_id}/approve", headers=HTMX)
    assert "Chờ duyệt" not in assert_fragment(response, "listings").text
    assert listings_of(app, "LC-002")[0][3] is True


def test_producer_cannot_touch_another_producers_product(producer_client, app, catalogue):
    response = producer_client.post("/products/LC-003/listings",
                                    data={"url": "https://voso.vn/khau-nhuc-p1.html"})
    assert response.status_code == 404
    assert listings_of(app, "LC-003") == []


def test_producer_may_withdraw_only_an_unapproved_proposal(producer_client, app, catalogue):
    with app.app_context():
        approved = db.session.scalar(db.select(Listing.id).filter_by(item_id="1.2"))
    assert producer_client.post(f"/listings/{approved}/delete").status_code == 403
    producer_client.post("/products/LC-002/listings", data={"url": "https://voso.vn/x-p78.html"})
    with app.app_context():
        proposal = db.session.scalar(db.select(Listing.id).filter_by(item_id="78"))
    assert producer_client.post(f"/listings/{proposal}/delete", headers=HTMX).status_code == 200
    assert listings_of(app, "LC-002") == []


def test_officer_removes_a_listing_inline(officer, app, catalogue):
    with app.app_context():
        listing_id = db.session.scalar(db.select(Listing.id).filter_by(item_id="1.2"))
    html = assert_fragment(officer.post(f"/listings/{listing_id}/delete", headers=HTMX),
                           "listings")
    assert "chưa có gian hàng" in html.text
    assert listings_of(app, "LC-001") == []
    assert officer.get(f"/listings/{listing_id}").status_code == 404


def test_listing_page_links_its_product_and_says_it_was_never_checked(officer, app, catalogue,
                                                                      client):
    with app.app_context():
        listing_id = db.session.scalar(db.select(Listing.id).filter_by(item_id="1.2"))
    page = assert_full_page(officer.get(f"/listings/{listing_id}"), "listing")
    assert page.find("a", href="/products/LC-001") is not None
    assert "chưa được kiểm tra lần nào" in page.find(id="listing").text
    assert "Chưa kiểm tra" in page.find(id="listing-status").text
    assert client.get(f"/listings/{listing_id}").status_code == 302  # sign in first
