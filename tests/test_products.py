"""The product list, page and form."""

from datetime import date

import pytest

from ocop.extensions import db
from ocop.models import AuditEntry, Product

from .conftest import make_product, producer_named
from .helpers import HTMX, assert_fragment, assert_full_page, soup


def codes(response) -> list[str]:
    return [row.find("a").text for row in soup(response).select("#results tbody tr")]


def test_list_is_a_full_page_or_just_the_results(officer, catalogue):
    assert_full_page(officer.get("/products/"), "results")
    html = assert_fragment(officer.get("/products/?q=che", headers=HTMX), "results")
    assert html.find(id="filters") is None


def test_boosted_and_history_restore_requests_get_the_whole_page(officer, catalogue):
    assert_full_page(officer.get("/products/", headers={**HTMX, "HX-Boosted": "true"}), "results")
    restore = {**HTMX, "HX-History-Restore-Request": "true"}
    assert_full_page(officer.get("/products/", headers=restore), "results")


@pytest.mark.parametrize(("query", "expected"), [
    ("nuoc mam", ["LC-002"]),
    ("NƯỚC MẮM", ["LC-002"]),
    ("dd", ["LC-002"]),            # Telex "dd" finds "Đặc biệt"
    ("huong tam", ["LC-001", "LC-002"]),  # the producer's name counts too
    ("khau nhuc muong", ["LC-003"]),
    ("lc-003", ["LC-003"]),
    ("100%", []),
    ("không có", []),
])
def test_search_ignores_diacritics_and_case(officer, catalogue, query, expected):
    assert codes(officer.get("/products/", query_string={"q": query})) == expected


def test_filters_sorting_and_pages_stay_in_the_url(officer, app, catalogue):
    with app.app_context():
        own = producer_named("HTX Chè Hướng Tâm")
        for n in range(30):
            make_product(f"ZZ-{n:02}", f"Mật ong {n}", own, stars=5, category=1)
        db.session.commit()
    response = officer.get("/products/?stars=5&sort=name&desc=1")
    assert len(codes(response)) == 25
    assert codes(response)[0] == "ZZ-09"  # "Mật ong 9" sorts last by name, first descending
    next_link = soup(response).select_one("a[rel=next]")["href"]
    assert "stars=5" in next_link and "sort=name" in next_link and "desc=1" in next_link
    assert len(codes(officer.get(next_link))) == 5
    header = soup(response).select_one("th[aria-sort] a")["href"]
    assert "stars=5" in header


def test_filters(officer, app, catalogue):
    assert codes(officer.get("/products/?category=2")) == ["LC-001"]
    assert codes(officer.get("/products/?commune=Mường Khương")) == ["LC-003"]
    assert codes(officer.get("/products/?marketplace=shopee")) == ["LC-001"]
    assert codes(officer.get("/products/?no_listing=1")) == ["LC-002", "LC-003"]
    with app.app_context():
        db.session.get(Product, catalogue["ham"]).withdrawn = True
        old = make_product("LC-004", "Cốm cũ", producer_named("HTX Sơn Hòa"),
                           certified_on=date(2019, 1, 1), expires_on=date(2022, 1, 1))
        db.session.commit()
        assert old.status == "expired"
    assert codes(officer.get("/products/?status=withdrawn")) == ["LC-003"]
    assert codes(officer.get("/products/?status=expired")) == ["LC-004"]
    assert codes(officer.get("/products/?status=certified")) == ["LC-001", "LC-002"]


def test_nonsense_filters_are_ignored_not_obeyed(officer, catalogue):
    response = officer.get("/products/?stars=9&category=x&sort=password&page=-3&status=zzz")
    assert response.status_code == 200
    assert codes(response) == ["LC-001", "LC-002", "LC-003"]
    assert codes(officer.get("/products/?page=99")) == []


def test_producer_sees_only_own_products(producer_client, catalogue):
    assert codes(producer_client.get("/products/")) == ["LC-001", "LC-002"]
    assert producer_client.get("/products/LC-003").status_code == 404
    assert producer_client.get("/products/LC-001").status_code == 200


@pytest.mark.parametrize("path", ["/products/new", "/products/LC-001/edit"])
def test_producer_cannot_edit_products(producer_client, catalogue, path):
    assert producer_client.get(path).status_code == 403
    assert producer_client.post(path, data={"code": "X"}).status_code == 403


def test_producer_cannot_delete(producer_client, app, catalogue):
    assert producer_client.post("/products/LC-001/delete").status_code == 403
    with app.app_context():
        assert db.session.get(Product, catalogue["tea"]) is not None


def form_data(app, **changes) -> dict:
    with app.app_context():
        producer = producer_named("HTX Sơn Hòa")
        data = {"code": "LC-010", "name": "Ruốc lợn bản", "producer": f"x [#{producer.id}]",
                "category": "1", "stars": "3", "decision_no": "4261/QĐ-UBND",
                "certified_on": "2025-03-01", "expires_on": ""}
    return {**data, **changes}


def test_create_fills_expiry_and_redirects(officer, app, catalogue):
    response = officer.post("/products/new", data=form_data(app))
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/products/LC-010")
    with app.app_context():
        product = db.session.scalar(db.select(Product).filter_by(code="LC-010"))
        assert product.expires_on == date(2028, 3, 1)
        assert product.producer.name == "HTX Sơn Hòa"
        entry = db.session.scalar(db.select(AuditEntry).filter_by(entity="product",
                                                                  entity_id=product.id))
        assert entry.action == "create" and entry.actor == "officer@example.vn"
        assert entry.changes["name"] == [None, "Ruốc lợn bản"]


def test_a_saved_product_says_so_once(officer, app, catalogue):
    officer.post("/products/new", data=form_data(app))
    page = soup(officer.get("/products/LC-010"))
    assert [p.text for p in page.select(".flash.success")] == ["Đã lưu sản phẩm LC-010."]
    assert len(page.find_all(id="flashes")) == 1


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"code": "LC-001"}, "code", "đã dùng cho sản phẩm Chè Bát tiên Hướng Tâm"),
    ({"code": "lc-001"}, "code", "đã dùng"),
    ({"code": "có dấu"}, "code", "Chỉ dùng chữ không dấu"),
    ({"stars": "6"}, "stars", "Lựa chọn không hợp lệ"),
    ({"category": "9"}, "category", "Lựa chọn không hợp lệ"),
    ({"expires_on": "2024-01-01"}, "expires_on", "Ngày hết hạn phải sau ngày công nhận"),
    ({"producer": "Không tồn tại"}, "producer", "Chọn một chủ thể có trong danh sách"),
    ({"certified_on": "31/02/2025"}, "certified_on", "Ngày không hợp lệ"),
])
def test_create_refuses_bad_input_and_writes_nothing(officer, app, catalogue, changes, field,
                                                      message):
    response = officer.post("/products/new", data=form_data(app, **changes))
    assert response.status_code == 200
    error = soup(response).find(id=f"error-{field}")
    assert message in error.text
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Product.id))) == 3


def test_inline_validation_returns_only_the_fields_error(officer, app, catalogue):
    response = officer.post("/products/new?validate=code", data=form_data(app, code="LC-001"),
                            headers=HTMX)
    html = assert_fragment(response, "error-code")
    assert "đã dùng cho sản phẩm" in html.text
    response = officer.post("/products/new?validate=name", data=form_data(app, code="LC-001"),
                            headers=HTMX)
    assert soup(response).find(id="error-name").text.strip() == ""


def test_edit_form_is_a_page_and_saves(officer, app, catalogue):
    html = assert_full_page(officer.get("/products/LC-002/edit"), "product-form")
    assert html.find(id="producer")["value"].startswith("HTX Chè Hướng Tâm [#")
    data = {i["name"]: i.get("value", "") for i in html.select("#product-form input")}
    data.update(category="1", stars="4", name="Nước mắm cốt")
    response = officer.post("/products/LC-002/edit", data=data)
    assert response.status_code == 303
    with app.app_context():
        product = db.session.scalar(db.select(Product).filter_by(code="LC-002"))
        assert (product.name, product.stars, product.version) == ("Nước mắm cốt", 4, 2)
    assert codes(officer.get("/products/?q=cot")) == ["LC-002"]


def test_stale_edit_is_refused_and_explained(officer, admin, app, catalogue):
    html = soup(officer.get("/products/LC-002/edit"))
    stale = {i["name"]: i.get("value", "") for i in html.select("#product-form input")}
    stale.update(category="1", stars="3")
    fresh = dict(stale, name="Sửa trong thẻ khác")
    assert admin.post("/products/LC-002/edit", data=fresh).status_code == 303
    response = officer.post("/products/LC-002/edit", data=dict(stale, name="Sửa muộn"))
    assert response.status_code == 200
    assert soup(response).find(id="stale") is not None
    with app.app_context():
        product = db.session.scalar(db.select(Product).filter_by(code="LC-002"))
        assert product.name == "Sửa trong thẻ khác"


def test_product_page_and_delete(officer, app, catalogue):
    html = assert_full_page(officer.get("/products/LC-001"), "listings")
    assert "shopee.vn/che-i.1.2" in html.find(id="listings").text
    assert_fragment(officer.get("/products/LC-001", headers=HTMX), "listings")
    assert officer.get("/products/NOPE").status_code == 404
    response = officer.post("/products/LC-001/delete")
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(Product, catalogue["tea"]) is None
        entries = db.session.scalars(db.select(AuditEntry).filter_by(action="delete")).all()
        assert {e.entity for e in entries} == {"product", "listing"}


def test_producer_suggestions_ignore_diacritics(officer, catalogue):
    response = officer.get("/products/producer-options?producer=son hoa", headers=HTMX)
    options = [o["value"] for o in soup(response).select("#producer-options option")]
    assert len(options) == 1 and options[0].startswith("HTX Sơn Hòa [#")


def test_user_text_is_escaped(officer, app, catalogue):
    officer.post("/products/new", data=form_data(app, name="<script>alert(1)</script>"))
    response = officer.get("/products/?q=script")
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;" in response.text
