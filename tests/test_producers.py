"""Producer list, page and form."""

import pytest

from ocop.extensions import db
from ocop.models import Producer

from .helpers import HTMX, assert_fragment, assert_full_page, soup


def names(response) -> list[str]:
    return [row.find("a").text for row in soup(response).select("#results tbody tr")]


def test_list_and_search(officer, catalogue):
    assert_full_page(officer.get("/producers/"), "results")
    html = assert_fragment(officer.get("/producers/?q=son hoa", headers=HTMX), "results")
    assert [a.text for a in html.select("tbody a")] == ["HTX Sơn Hòa"]
    assert names(officer.get("/producers/?q=5300123456")) == ["HTX Chè Hướng Tâm"]
    assert names(officer.get("/producers/?commune=Bắc Hà&kind=htx")) == ["HTX Chè Hướng Tâm"]


def test_page_lists_products(officer, app, catalogue):
    with app.app_context():
        pid = db.session.scalar(db.select(Producer.id).filter_by(tax_code="5300654321"))
    html = assert_full_page(officer.get(f"/producers/{pid}"), "products")
    assert "LC-003" in html.find(id="products").text
    assert_fragment(officer.get(f"/producers/{pid}", headers=HTMX), "products")


@pytest.mark.parametrize("path", ["/producers/", "/producers/new", "/producers/1",
                                  "/producers/1/edit"])
def test_producer_accounts_cannot_manage_producers(producer_client, catalogue, path):
    assert producer_client.get(path).status_code == 403


def data(**changes) -> dict:
    return {"name": "HTX Quế hữu cơ Nậm Đét", "kind": "htx", "tax_code": "5300111222",
            "province": "Lào Cai", "commune": "Bắc Hà", "phone": "0912 345 678",
            "email": "que@example.vn", **changes}


def test_create_and_edit(officer, app, catalogue):
    response = officer.post("/producers/new", data=data())
    assert response.status_code == 303
    with app.app_context():
        producer = db.session.scalar(db.select(Producer).filter_by(tax_code="5300111222"))
        pid = producer.id
    html = soup(officer.get(f"/producers/{pid}/edit"))
    form = {i["name"]: i.get("value", "") for i in html.select("#producer-form input")}
    form.update(kind="htx", name="HTX Quế Nậm Đét")
    assert officer.post(f"/producers/{pid}/edit", data=form).status_code == 303
    assert names(officer.get("/producers/?q=que nam det")) == ["HTX Quế Nậm Đét"]


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"tax_code": "5300123456"}, "tax_code", "đã thuộc về HTX Chè Hướng Tâm"),
    ({"tax_code": "12AB"}, "tax_code", "10 chữ số"),
    ({"kind": "llc"}, "kind", "Lựa chọn không hợp lệ"),
    ({"email": "not-an-email"}, "email", "không hợp lệ"),
    ({"name": ""}, "name", "bắt buộc"),
])
def test_bad_input_is_refused(officer, app, catalogue, changes, field, message):
    response = officer.post("/producers/new", data=data(**changes))
    assert response.status_code == 200
    assert message in soup(response).find(id=f"error-{field}").text
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Producer.id))) == 2


def test_inline_validation(officer, catalogue):
    response = officer.post("/producers/new?validate=tax_code", headers=HTMX,
                            data=data(tax_code="5300123456"))
    assert "đã thuộc về" in assert_fragment(response, "error-tax_code").text


def test_stale_edit_is_refused(officer, admin, app, catalogue):
    with app.app_context():
        pid = db.session.scalar(db.select(Producer.id).filter_by(tax_code="5300654321"))
    html = soup(officer.get(f"/producers/{pid}/edit"))
    stale = {i["name"]: i.get("value", "") for i in html.select("#producer-form input")}
    stale["kind"] = "htx"
    assert admin.post(f"/producers/{pid}/edit", data=dict(stale, phone="0988 000 111")
                      ).status_code == 303
    response = officer.post(f"/producers/{pid}/edit", data=dict(stale, phone="0977 000 222"))
    assert soup(response).find(id="stale") is not None
    with app.app_context():
        assert db.session.get(Producer, pid).phone == "0988 000 111"


def test_delete_only_without_products(officer, app, catalogue):
    with app.app_context():
        busy = db.session.scalar(db.select(Producer.id).filter_by(tax_code="5300654321"))
    response = officer.post(f"/producers/{busy}/delete", follow_redirects=True)
    assert "còn 1 sản phẩm" in response.text
    officer.post("/producers/new", data=data())
    with app.app_context():
        idle = db.session.scalar(db.select(Producer.id).filter_by(tax_code="5300111222"))
    assert officer.post(f"/producers/{idle}/delete").status_code == 303
    with app.app_context():
        assert db.session.get(Producer, idle) is None
        assert db.session.get(Producer, busy) is not None


def test_delete_refused_while_an_account_signs_in_for_the_producer(officer, app):
    with app.app_context():
        pid = db.session.scalar(db.select(Producer.id).filter_by(tax_code="5300123456"))
    response = officer.post(f"/producers/{pid}/delete", follow_redirects=True)
    assert response.status_code == 200
    assert "còn 1 tài khoản đăng nhập" in response.text
    with app.app_context():
        assert db.session.get(Producer, pid) is not None
