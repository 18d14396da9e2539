"""The audit trail pages: the filterable list and the history of one record."""

from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import insert

from ocop.extensions import db
from ocop.models import AuditEntry, Listing, Marketplace, Producer, Product, User

from .helpers import HTMX, assert_fragment, assert_full_page, soup


def ids(app, model, **where) -> int:
    with app.app_context():
        return db.session.scalar(db.select(model.id).filter_by(**where))


def entry_rows(html) -> list:
    return html.select("#results table.history > tbody > tr")


def changes_of(row) -> dict[str, tuple[str, str]]:
    """Field label -> (before, after) as the page shows them."""
    return {tr.th.text.strip(): (tr.select_one(".before").text.strip(),
                                 tr.select_one(".after").text.strip())
            for tr in row.select("table.changes tbody tr")}


def add_entries(app, rows: list[dict]) -> None:
    """Audit rows written straight into the table, with the times a test needs."""
    base = {"actor_id": None, "actor": "cli:import", "action": "update", "entity": "producer",
            "entity_id": 999, "label": "Đã xoá", "changes": {}}
    with app.app_context():
        db.session.execute(insert(AuditEntry), [{**base, **row} for row in rows])
        db.session.commit()


def producer_form(**changes) -> dict:
    return {"name": "HTX Sơn Hòa", "kind": "htx", "tax_code": "5300654321",
            "province": "Lào Cai", "commune": "Mường Khương", **changes}


# Access ----------------------------------------------------------------------------------------

def test_officer_and_admin_see_the_trail(officer, admin, app):
    pid = ids(app, Producer, tax_code="5300123456")
    for client in (officer, admin):
        assert client.get("/history/").status_code == 200
        assert client.get(f"/history/producer/{pid}").status_code == 200


@pytest.mark.parametrize("path", ["/history/", "/history/producer/1"])
def test_producer_accounts_forbidden(producer_client, path):
    assert producer_client.get(path).status_code == 403


@pytest.mark.parametrize("path", ["/history/", "/history/producer/1"])
def test_anonymous_redirected_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("path", ["/history/products/1", "/history/audit/1", "/history/User/1",
                                  "/history/producer/999", "/history/producer/abc"])
def test_unknown_entity_or_record_404(officer, path):
    assert officer.get(path).status_code == 404


# The list --------------------------------------------------------------------------------------

def test_list_full_page_and_fragment(officer):
    html = assert_full_page(officer.get("/history/"), "results")
    assert html.find("form", id="filters")["hx-target"] == "#results"
    # The fixture created 7 marketplaces, 2 producers and 4 accounts.
    assert "13 thay đổi" in html.find(id="results").text
    html = assert_fragment(officer.get("/history/", headers=HTMX), "results")
    assert html.find(id="filters") is None
    assert len(entry_rows(html)) == 13


def test_newest_first(officer, app):
    add_entries(app, [{"at": datetime(2030, 1, 1), "label": "Mới nhất"},
                      {"at": datetime(2001, 1, 1), "label": "Cũ nhất"}])
    rows = entry_rows(soup(officer.get("/history/")))
    assert "Mới nhất" in rows[0].text
    assert "Cũ nhất" in rows[-1].text


def test_filter_by_entity_action_and_actor(officer, app):
    add_entries(app, [{"actor": "Officer@Example.vn", "action": "delete", "label": "HTX Cũ"}])
    html = assert_fragment(officer.get("/history/?entity=user", headers=HTMX), "results")
    rows = entry_rows(html)
    assert len(rows) == 4 and all("Tài khoản:" in r.text for r in rows)
    html = soup(officer.get("/history/?action=delete"))
    assert [r.find_all("td")[3].a.text for r in entry_rows(html)] == ["HTX Cũ"]
    html = soup(officer.get("/history/?actor=officer@EXAMPLE"))
    assert len(entry_rows(html)) == 1
    html = soup(officer.get("/history/?actor=test-setup&entity=marketplace&action=create"))
    assert len(entry_rows(html)) == 7
    # The form shows what the list is filtered by.
    form = html.find("form", id="filters")
    assert form.find("select", attrs={"name": "entity"}).find("option", selected=True)[
        "value"] == "marketplace"
    assert form.find("input", attrs={"name": "actor"})["value"] == "test-setup"


def test_nonsense_filters_are_ignored(officer):
    html = soup(officer.get("/history/?entity=spaceship&action=explode&since=yesterday"
                            "&until=2024-13-40&page=-3"))
    assert len(entry_rows(html)) == 13


def test_date_range_in_vietnam_time(officer, app):
    # 17:30 UTC on 31 January is 00:30 on 1 February in Vietnam (UTC+7).
    add_entries(app, [{"at": datetime(2024, 1, 31, 17, 30), "label": "Đầu tháng Hai"},
                      {"at": datetime(2024, 1, 31, 16, 30), "label": "Cuối tháng Một"},
                      {"at": datetime(2024, 2, 29, 16, 59), "label": "Cuối tháng Hai"}])

    def labels(query: str) -> list[str]:
        return [r.find_all("td")[3].a.text for r in entry_rows(soup(officer.get(
            f"/history/?{query}")))]

    assert labels("since=2024-02-01&until=2024-02-29") == ["Cuối tháng Hai", "Đầu tháng Hai"]
    assert labels("until=2024-01-31") == ["Cuối tháng Một"]
    assert labels("since=2024-01-31&until=2024-01-31") == ["Cuối tháng Một"]
    assert labels("since=2024-03-01&until=2024-03-31") == []
    html = soup(officer.get("/history/?since=2024-02-01&until=2024-02-01"))
    assert html.find("time").text == "01/02/2024 00:30"
    assert html.find("input", attrs={"name": "since"})["value"] == "2024-02-01"
    assert "Không có thay đổi nào khớp." in soup(officer.get(
        "/history/?since=2030-01-01")).find(id="results").text


def test_pages_keep_the_filters(officer, app):
    add_entries(app, [{"at": datetime(2024, 5, d % 28 + 1, 3), "label": f"Bản ghi {d}"}
                      for d in range(60)])
    html = assert_full_page(officer.get("/history/?entity=producer&actor=import"), "results")
    assert "60 thay đổi" in html.text
    assert len(entry_rows(html)) == 50
    link = html.select_one(".pager a[rel=next]")
    query = parse_qs(urlsplit(link["href"]).query)
    assert query == {"entity": ["producer"], "actor": ["import"], "page": ["2"]}
    assert link["hx-target"] == "#results" and link["hx-push-url"] == "true"
    html = assert_fragment(officer.get(link["href"], headers=HTMX), "results")
    assert len(entry_rows(html)) == 10


# What an entry shows ---------------------------------------------------------------------------

def test_edit_through_the_page_appears_with_before_and_after(officer, app):
    pid = ids(app, Producer, tax_code="5300654321")
    response = officer.post(f"/producers/{pid}/edit", data=producer_form(
        name="HTX Sơn Hòa Mường Khương", kind="doanh_nghiep", phone="0912 345 678",
        version="1"))
    assert response.status_code == 303
    html = soup(officer.get("/history/?entity=producer&action=update"))
    (row,) = entry_rows(html)
    cells = row.find_all("td")
    assert cells[1].text.strip() == "officer@example.vn"
    assert cells[2].text.strip() == "Sửa"
    assert cells[3].a["href"] == f"/history/producer/{pid}"
    assert changes_of(row) == {
        "Tên chủ thể": ("HTX Sơn Hòa", "HTX Sơn Hòa Mường Khương"),
        "Loại hình": ("Hợp tác xã", "Doanh nghiệp"),
        "Điện thoại": ("—", "0912 345 678"),
    }


def test_record_page(officer, app):
    pid = ids(app, Producer, tax_code="5300654321")
    officer.post(f"/producers/{pid}/edit", data=producer_form(phone="0912 345 678",
                                                              version="1"))
    html = assert_full_page(officer.get(f"/history/producer/{pid}"), "results")
    assert html.find("h1").text == "HTX Sơn Hòa"
    assert html.select_one("#record-link a")["href"] == f"/producers/{pid}"
    rows = entry_rows(html)
    assert [r.find_all("td")[2].text.strip() for r in rows] == ["Sửa", "Tạo mới"]
    assert len(rows[0].find_all("td", recursive=False)) == 4  # no record column here
    assert changes_of(rows[1])["Mã số thuế"] == ("—", "5300654321")
    assert changes_of(rows[1])["Tỉnh"] == ("—", "Lào Cai")
    html = assert_fragment(officer.get(f"/history/producer/{pid}", headers=HTMX), "results")
    assert html.find(id="record-link") is None
    assert len(entry_rows(html)) == 2


def test_deleted_record_keeps_its_history(officer, app):
    assert officer.post("/producers/new", data=producer_form(
        name="HTX Quang Tom", tax_code="5300999888")).status_code == 303
    pid = ids(app, Producer, tax_code="5300999888")
    assert officer.post(f"/producers/{pid}/delete").status_code == 303
    html = soup(officer.get(f"/history/producer/{pid}"))
    assert html.find("h1").text == "HTX Quang Tom"
    assert "Bản ghi này đã bị xoá." in html.find(id="record-link").text
    assert html.select_one("#record-link a") is None
    deleted = entry_rows(html)[0]
    assert deleted.find_all("td")[2].text.strip() == "Xoá"
    assert changes_of(deleted)["Tên chủ thể"] == ("HTX Quang Tom", "—")
    assert [r.find_all("td")[1].text.strip() for r in entry_rows(html)] == [
        "officer@example.vn", "officer@example.vn"]


def test_product_values_in_words(officer, app, catalogue):
    html = soup(officer.get(f"/history/product/{catalogue['tea']}"))
    assert html.select_one("#record-link a")["href"] == "/products/LC-001"
    created = changes_of(entry_rows(html)[0])
    assert created["Mã sản phẩm"] == ("—", "LC-001")
    assert created["Chủ thể"] == ("—", "HTX Chè Hướng Tâm")
    assert created["Nhóm sản phẩm"] == ("—", "Đồ uống")
    assert created["Số sao"] == ("—", "4 ★")
    assert created["Ngày công nhận"] == ("—", "01/06/2024")
    assert created["Đã thu hồi chứng nhận"] == ("—", "Không")
    labels = list(created)
    assert labels[:3] == ["Mã sản phẩm", "Tên sản phẩm", "Chủ thể"]  # the form's order


def test_listing_links_to_its_product(officer, app, catalogue):
    lid = ids(app, Listing, item_id="1.2")
    html = soup(officer.get(f"/history/listing/{lid}"))
    assert html.select_one("#record-link a")["href"] == f"/products/LC-001#listing-{lid}"
    created = changes_of(entry_rows(html)[0])
    assert created["Sàn"] == ("—", "Shopee")
    assert created["Sản phẩm"] == ("—", "LC-001 – Chè Bát tiên Hướng Tâm")
    assert created["Đường dẫn"] == ("—", "https://shopee.vn/che-i.1.2")


def test_user_history_hides_passwords(admin, officer, app):
    uid = ids(app, User, email="officer@example.vn")
    pid = ids(app, Producer, tax_code="5300654321")
    response = admin.post(f"/users/{uid}/edit", data={
        "email": "officer@example.vn", "name": "Lan", "role": "producer",
        "producer": f"HTX Sơn Hòa [#{pid}]", "password": "mot-mat-khau-rat-dai", "version": "1"})
    assert response.status_code == 303
    html = assert_full_page(admin.get(f"/history/user/{uid}"), "results")
    assert html.select_one("#record-link a")["href"] == f"/users/{uid}/edit"
    changed = changes_of(entry_rows(html)[0])
    assert changed == {"Họ tên": ("—", "Lan"), "Vai trò": ("Cán bộ", "Chủ thể"),
                       "Chủ thể": ("—", "HTX Sơn Hòa"), "Mật khẩu": ("***", "***")}
    assert changes_of(entry_rows(html)[1])["Đang hoạt động"] == ("—", "Có")
    assert "mot-mat-khau" not in html.text
    with app.app_context():
        assert db.session.get(User, uid).password_hash not in html.text


def test_officer_gets_no_link_to_admin_pages(officer, app):
    uid = ids(app, User, email="admin@example.vn")
    mid = ids(app, Marketplace, slug="shopee")
    for path in (f"/history/user/{uid}", f"/history/marketplace/{mid}"):
        html = assert_full_page(officer.get(path), "results")
        assert html.select_one("#record-link a") is None
        assert "đã bị xoá" not in html.find(id="record-link").text


def test_marketplace_edit_shows_hosts(admin, app):
    mid = ids(app, Marketplace, slug="tiki")
    response = admin.post(f"/marketplaces/{mid}/edit", data={
        "name": "Tiki", "slug": "tiki", "adapter": "tiki", "hosts": "tiki.vn\nm.tiki.vn",
        "enabled": "y", "concurrency": "4", "min_interval": "0.5", "version": "1"})
    assert response.status_code == 303
    html = soup(admin.get(f"/history/marketplace/{mid}"))
    assert html.select_one("#record-link a")["href"] == f"/marketplaces/{mid}/edit"
    (edited, created) = entry_rows(html)
    assert edited.find_all("td")[1].text.strip() == "admin@example.vn"
    assert changes_of(edited) == {
        "Khoảng cách tối thiểu (giây)": ("1", "0,5"),
        "Tên miền": ("tiki.vn, www.tiki.vn", "m.tiki.vn, tiki.vn"),
    }
    assert changes_of(created)["Đang kiểm tra"] == ("—", "Có")
    assert created.find_all("td")[1].text.strip() == "test-setup"


def test_record_page_pages(officer, app):
    pid = ids(app, Producer, tax_code="5300654321")
    add_entries(app, [{"entity_id": pid, "at": datetime(2024, 1, 1), "label": "HTX Sơn Hòa"}
                      for _ in range(55)])
    html = soup(officer.get(f"/history/producer/{pid}"))
    assert len(entry_rows(html)) == 50
    link = html.select_one(".pager a[rel=next]")
    assert link["href"] == f"/history/producer/{pid}?page=2"
    html = assert_fragment(officer.get(link["href"], headers=HTMX), "results")
    assert len(entry_rows(html)) == 6


def test_product_that_was_deleted(officer, app, catalogue):
    with app.app_context():
        product = db.session.get(Product, catalogue["ham"])
        db.session.delete(product)
        db.session.commit()
    html = soup(officer.get(f"/history/product/{catalogue['ham']}"))
    assert html.find("h1").text == "LC-003 – Khẩu nhục Mường Khương"
    assert "Bản ghi này đã bị xoá." in html.find(id="record-link").text
