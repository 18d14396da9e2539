"""The workbook page: upload, preview, confirm; exports; who may use it."""

import io
import re

import pytest
from openpyxl import load_workbook

from ocop.extensions import db
from ocop.models import AuditEntry

from .conftest import sign_in
from .helpers import HTMX, assert_fragment, assert_full_page, soup
from .workbooks import counts, product_row, sample_workbook


@pytest.fixture
def settings() -> dict:
    """Settings a test adds (by parametrizing this fixture) to the module's own."""
    return {}


@pytest.fixture
def app_overrides(tmp_path, settings) -> dict:
    """Uploads go to the test's own folder, never the instance folder."""
    return {"WORKBOOK_UPLOAD_FOLDER": str(tmp_path / "uploads"), **settings}


def upload(client, path, name=None, headers=None):
    """Post a file to the upload form."""
    data = {"file": (io.BytesIO(path.read_bytes()), name or path.name)}
    return client.post("/workbook/upload", data=data, content_type="multipart/form-data",
                       headers=headers or {})


def token(response) -> str:
    """The confirmation token the preview carries."""
    return soup(response).find(id="confirm-form").find("input", {"name": "token"})["value"]


def test_the_page_as_a_full_page_and_as_a_fragment(officer):
    html = assert_full_page(officer.get("/workbook/"), "upload-form")
    assert html.find(id="export-xlsx")["href"] == "/workbook/export.xlsx"
    assert html.find(id="export-xlsx")["hx-boost"] == "false"
    assert html.find(id="result") is not None
    assert_fragment(officer.get("/workbook/", headers=HTMX), "result")


@pytest.mark.parametrize(("method", "path"), [
    ("get", "/workbook/"), ("post", "/workbook/upload"), ("post", "/workbook/confirm"),
    ("get", "/workbook/export.xlsx"), ("get", "/workbook/export-products.csv")])
def test_producers_may_not_use_it(producer_client, client, method, path):
    assert getattr(producer_client, method)(path).status_code == 403
    response = getattr(client, method)(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_upload_previews_then_confirm_applies(app, officer, tmp_path):
    response = upload(officer, sample_workbook(tmp_path / "tinh.xlsx"))
    html = assert_full_page(response, "preview")
    cells = [td.text for td in html.select("#count-products td")]
    assert cells == ["3", "0", "0"]
    assert [td.text for td in html.select("#count-listings td")] == ["3", "", "0"]
    assert len(html.select("#changes tr.change-new")) == 9  # 3 products, producers, listings
    with app.app_context():
        assert counts()["Product"] == 0  # a preview writes nothing
    response = officer.post("/workbook/confirm", data={"token": token(response)})
    assert response.status_code == 303 and response.headers["Location"] == "/workbook/"
    page = officer.get("/workbook/")
    assert "Đã nhập tinh.xlsx." in page.text and "Sản phẩm: 3 mới" in page.text
    with app.app_context():
        assert counts()["Product"] == 3 and counts()["Listing"] == 3
        actors = set(db.session.scalars(db.select(AuditEntry.actor).where(
            AuditEntry.entity.in_(("product", "listing", "producer")),
            AuditEntry.actor != "test-setup")))
        assert actors == {"officer@example.vn"}
    assert list((tmp_path / "uploads").iterdir()) == []  # applied: the upload is gone


def test_upload_as_an_htmx_fragment(officer, tmp_path):
    response = upload(officer, sample_workbook(tmp_path / "tinh.xlsx"), headers=HTMX)
    html = assert_fragment(response, "result")
    assert html.find(id="preview") is not None and html.find(id="confirm-form") is not None


def test_reuploading_an_applied_file_has_nothing_to_confirm(officer, tmp_path):
    path = sample_workbook(tmp_path / "tinh.xlsx")
    officer.post("/workbook/confirm", data={"token": token(upload(officer, path))})
    html = assert_fragment(upload(officer, path, headers=HTMX), "nothing")
    assert html.find(id="confirm-form") is None
    assert [td.text for td in html.select("#count-products td")] == ["0", "0", "3"]


def test_a_file_with_errors_shows_the_report_and_writes_nothing(app, officer, tmp_path):
    path = sample_workbook(tmp_path / "tinh.xlsx", products=[product_row(stars=2),
                                                             product_row("LC-102")])
    for headers in ({}, HTMX):
        response = upload(officer, path, headers=headers)
        html = soup(response)
        assert response.status_code == 200
        rows = [[td.text for td in tr.find_all("td")] for tr in html.select("#problems tr.problem")]
        assert rows[0] == ["Sản phẩm", "2", "Số sao", "2", "Số sao phải từ 3 đến 5."]
        assert html.find(id="confirm-form") is None
    assert_fragment(response, "problems")
    with app.app_context():
        assert counts()["Product"] == 0


def test_the_report_speaks_the_users_language(app, officer, tmp_path):
    from flask_babel import force_locale, gettext

    with app.test_request_context(), force_locale("en"):
        expected = gettext("Số sao phải từ 3 đến 5.")  # the English catalogue's, if it has it
    officer.post("/lang/en", data={"next": "/workbook/"})
    response = upload(officer, sample_workbook(tmp_path / "a.xlsx", products=[product_row(
        stars=2)]))
    assert soup(response).html["lang"] == "en"
    assert expected in soup(response).find(id="problems").text


@pytest.mark.parametrize(("name", "content", "where", "message"), [
    ("so-lieu.pdf", b"%PDF-1.4", "upload-errors", "Chỉ nhận tệp Excel .xlsx hoặc tệp .csv."),
    ("so-lieu.xlsx", b"<html>not a workbook</html>", "problems", "không phải là một bảng tính"),
    ("so-lieu.csv", b"\x00\x01\x02binary", "problems", "không phải là tệp CSV"),
])
def test_non_workbook_uploads_get_a_clear_message(officer, tmp_path, name, content, where,
                                                  message):
    path = tmp_path / name
    path.write_bytes(content)
    for headers in ({}, HTMX):
        response = upload(officer, path, headers=headers)
        assert response.status_code == 200
        assert message in soup(response).find(id=where).text


def test_an_upload_without_a_file(officer):
    response = officer.post("/workbook/upload", data={}, headers=HTMX)
    assert "Hãy chọn một tệp." in assert_fragment(response, "upload-errors").text


@pytest.mark.parametrize("settings", [{"MAX_CONTENT_LENGTH": 4096}])
def test_an_oversized_upload_is_refused_beside_the_form(app, officer, tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(b"a" * 10_000)
    response = upload(officer, path, headers=HTMX)
    assert "Tệp quá lớn" in assert_fragment(response, "upload-errors").text
    response = upload(officer, path)
    assert "Tệp quá lớn" in assert_full_page(response, "upload-errors").text


def test_confirm_needs_the_sessions_own_token(app, officer, tmp_path):
    upload(officer, sample_workbook(tmp_path / "tinh.xlsx"))
    for bad in ("", "../../secret_key", "A" * 22):
        response = officer.post("/workbook/confirm", data={"token": bad})
        assert response.status_code == 303
    assert "Không còn tệp chờ xác nhận" in officer.get("/workbook/").text
    with app.app_context():
        assert counts()["Product"] == 0


def test_another_officer_cannot_confirm_my_upload(app, officer, tmp_path):
    response = upload(officer, sample_workbook(tmp_path / "tinh.xlsx"))
    admin = sign_in(app, "admin@example.vn")
    admin.post("/workbook/confirm", data={"token": token(response)})
    with app.app_context():
        assert counts()["Product"] == 0


def test_confirm_checks_again_and_refuses_a_file_gone_stale(app, officer, tmp_path):
    path = sample_workbook(tmp_path / "tinh.xlsx")
    preview = upload(officer, path)
    # Meanwhile someone lists the Shopee item on another product.
    other = sample_workbook(tmp_path / "khac.xlsx", products=[product_row("LC-900")],
                            listings=[["LC-900", "", "https://shopee.vn/buoi-muc-i.100.200"]])
    officer_two = sign_in(app, "admin@example.vn")
    officer_two.post("/workbook/confirm", data={"token": token(upload(officer_two, other))})
    response = officer.post("/workbook/confirm", data={"token": token(preview)})
    html = assert_full_page(response, "stale")
    assert "LC-900" in html.find(id="problems").text
    with app.app_context():
        assert counts()["Product"] == 1


def test_confirming_twice_applies_once(app, officer, tmp_path):
    value = token(upload(officer, sample_workbook(tmp_path / "tinh.xlsx")))
    officer.post("/workbook/confirm", data={"token": value})
    with app.app_context():
        before = counts()
    response = officer.post("/workbook/confirm", data={"token": value})
    assert response.status_code == 303
    with app.app_context():
        assert counts() == before


def test_exports_download(officer, catalogue):
    response = officer.get("/workbook/export.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    disposition = response.headers["Content-Disposition"]
    assert re.search(r"filename=ocop-\d{4}-\d\d-\d\d\.xlsx", disposition)
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Sản phẩm", "Gian hàng"]
    products = officer.get("/workbook/export-products.csv")
    assert products.mimetype == "text/csv"
    assert products.data.startswith(b"\xef\xbb\xbf") and b"LC-003" in products.data
    listings = officer.get("/workbook/export-listings.csv")
    assert b"shopee.vn/che-i.1.2" in listings.data
    assert officer.get("/workbook/export-users.csv").status_code == 404


@pytest.mark.parametrize("settings", [{"WTF_CSRF_ENABLED": True}])
def test_uploads_and_confirmations_need_the_csrf_token(app, tmp_path):
    client = app.test_client()
    page = client.get("/login")
    csrf = soup(page).find("input", {"name": "csrf_token"})["value"]
    client.post("/login", data={"email": "officer@example.vn", "password":
                                "mat-khau-thu-nghiem", "csrf_token": csrf})
    path = sample_workbook(tmp_path / "tinh.xlsx")
    assert upload(client, path).status_code == 400
    csrf = soup(client.get("/workbook/")).find(id="upload-form").find(
        "input", {"name": "csrf_token"})["value"]
    response = client.post("/workbook/upload", data={
        "file": (io.BytesIO(path.read_bytes()), "tinh.xlsx"), "csrf_token": csrf},
        content_type="multipart/form-data")
    assert soup(response).find(id="preview") is not None
    assert client.post("/workbook/confirm", data={"token": token(response)}).status_code == 400
    response = client.post("/workbook/confirm", data={"token": token(response),
                                                      "csrf_token": csrf})
    assert response.status_code == 303
    with app.app_context():
        assert counts()["Product"] == 3


def test_unconfirmed_uploads_are_swept_after_a_day(officer, tmp_path):
    import os
    import time

    upload(officer, sample_workbook(tmp_path / "tinh.xlsx"))
    (old,) = (tmp_path / "uploads").iterdir()
    os.utime(old, (time.time() - 2 * 86400,) * 2)
    upload(officer, sample_workbook(tmp_path / "tinh.xlsx"))
    assert old not in list((tmp_path / "uploads").iterdir())


def test_the_preview_shows_what_changes(app, officer, tmp_path):
    path = sample_workbook(tmp_path / "tinh.xlsx")
    officer.post("/workbook/confirm", data={"token": token(upload(officer, path))})
    changed = sample_workbook(tmp_path / "sua.xlsx", listings=[], products=[
        product_row(stars=4, commune="Xã Thái Niên", category=3, kind="Doanh nghiệp",
                    certified_on="16/12/2021", expires_on="16/12/2024")])
    html = assert_fragment(upload(officer, changed, headers=HTMX), "changes")
    rows = [tr.text for tr in html.select("#changes tr.change-update")]
    assert "Số sao: 3 → 4" in rows[0] and "Ngày công nhận: 15/12/2021 → 16/12/2021" in rows[0]
    assert "Nhóm sản phẩm: 1. Thực phẩm → 3. Dược liệu" in rows[0]
    assert "Xã/Phường: Thái Niên → Xã Thái Niên" in rows[1]
    assert "Loại hình chủ thể: Hợp tác xã → Doanh nghiệp" in rows[1]


def test_a_clash_while_writing_is_explained(app, officer, tmp_path, monkeypatch):
    from ocop.workbook import views
    from ocop.workbook.apply import ApplyConflict

    def clash(plan, user_id):
        raise ApplyConflict()

    value = token(upload(officer, sample_workbook(tmp_path / "tinh.xlsx")))
    monkeypatch.setattr(views, "apply", clash)
    assert officer.post("/workbook/confirm", data={"token": value}).status_code == 303
    assert "không có gì được ghi" in officer.get("/workbook/").text


def test_the_export_stays_in_vietnamese_for_an_english_user(officer, catalogue):
    officer.post("/lang/en", data={"next": "/workbook/"})
    book = load_workbook(io.BytesIO(officer.get("/workbook/export.xlsx").data))
    rows = list(book["Sản phẩm"].values)
    assert rows[0][0] == "Mã sản phẩm"
    assert rows[1][3] == "Hợp tác xã" and rows[1][7] == "Đồ uống"
