"""Marketplace administration: list, create, edit, stale edits, the htmx toggle, deletion."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ocop.extensions import db
from ocop.listings.resolve import Resolver
from ocop.models import AuditEntry, Marketplace

from .helpers import HTMX as HX
from .helpers import assert_fragment, assert_full_page, soup


def marketplace(app, slug: str) -> Marketplace | None:
    """The marketplace with `slug`, hosts loaded, detached from the session."""
    with app.app_context():
        found = db.session.scalar(db.select(Marketplace).filter_by(slug=slug))
        if found is not None:
            found.host_names  # noqa: B018  (load the hosts before the session closes)
        return found


def form_data(**changes) -> dict:
    """A valid marketplace form, with `changes`."""
    data = {"name": "Chợ Lào Cai", "slug": "cho-lao-cai", "adapter": "generic",
            "hosts": "cholaocai.vn\nwww.cholaocai.vn", "enabled": "y", "concurrency": "2",
            "min_interval": "1.5"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def version_in(response) -> str:
    return soup(response).find("input", attrs={"name": "version"})["value"]


PAGES = ["/marketplaces/", "/marketplaces/new", "/marketplaces/1/edit"]
POSTS = ["/marketplaces/new", "/marketplaces/1/edit", "/marketplaces/1/enabled",
         "/marketplaces/1/delete"]


@pytest.mark.parametrize("path", PAGES)
def test_admin_sees_pages(admin, path):
    assert admin.get(path).status_code == 200


@pytest.mark.parametrize("path", PAGES)
def test_officer_forbidden(officer, path):
    assert officer.get(path).status_code == 403


@pytest.mark.parametrize("path", POSTS)
def test_officer_cannot_post(officer, app, path):
    assert officer.post(path, data=form_data(enabled="0")).status_code == 403
    assert marketplace(app, "shopee").enabled


@pytest.mark.parametrize("path", PAGES)
def test_producer_forbidden(producer_client, path):
    assert producer_client.get(path).status_code == 403


@pytest.mark.parametrize("path", PAGES + POSTS)
def test_anonymous_redirected_to_login(client, path):
    response = client.get(path) if path in PAGES else client.post(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_list_shows_hosts_settings_and_counts(admin, catalogue):
    page = assert_full_page(admin.get("/marketplaces/"), "marketplaces")
    rows = {r.find("a").text: r for r in page.select("#marketplaces tbody tr")}
    assert set(rows) >= {"Shopee", "Lazada", "Tiki", "TikTok Shop", "Sendo", "Postmart", "Voso"}
    shopee = rows["Shopee"]
    assert "shopee.vn" in shopee.text and "www.shopee.vn" in shopee.text
    assert "0/1" in shopee.text  # one listing, not yet seen online
    assert shopee.find_all("td")[5].text == "0,5"  # seeded min interval, decimal comma
    assert "Đang bật" in shopee.text


def test_list_fragment(admin):
    page = assert_fragment(admin.get("/marketplaces/", headers=HX), "marketplaces")
    assert [s["id"] for s in page.find_all("section")] == ["marketplaces"]
    assert len(page.select("tr[id^=marketplace-]")) == 7


def test_create(admin, app):
    response = admin.post("/marketplaces/new", data=form_data(
        hosts="https://CHOLAOCAI.vn/\nwww.cholaocai.vn\n\n"))
    assert response.status_code == 303
    assert response.headers["Location"] == "/marketplaces/"
    created = marketplace(app, "cho-lao-cai")
    assert created.host_names == ["cholaocai.vn", "www.cholaocai.vn"]
    assert (created.adapter, created.enabled, created.concurrency, created.min_interval) == (
        "generic", True, 2, 1.5)
    assert "Đã lưu sàn Chợ Lào Cai." in admin.get("/marketplaces/").text


def test_create_without_slug_derives_it(admin, app):
    response = admin.post("/marketplaces/new", data=form_data(name="Sàn Đặc Sản Tây Bắc",
                                                              slug=""))
    assert response.status_code == 303
    assert marketplace(app, "san-ddac-san-tay-bac") is not None


def test_create_disabled(admin, app):
    admin.post("/marketplaces/new", data=form_data(enabled=None))
    assert marketplace(app, "cho-lao-cai").enabled is False


def test_local_test_server_with_generic_adapter(admin, app):
    """Hosts are data: a marketplace can point the generic adapter at a local server."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"<html><title>ok</title></html>")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        response = admin.post("/marketplaces/new", data=form_data(
            name="Máy chủ thử", slug="may-chu-thu", hosts=f"127.0.0.1:{port}"))
        assert response.status_code == 303, response.text
        with app.app_context():
            found, parsed = Resolver().resolve(f"http://127.0.0.1:{port}/san-pham/che?utm_source=x")
            assert found.slug == "may-chu-thu"
            assert found.adapter == "generic"
            assert parsed.host == f"127.0.0.1:{port}"
            assert parsed.item_id == "/san-pham/che"
    finally:
        server.shutdown()
        server.server_close()
    assert f"127.0.0.1:{port}" in admin.get("/marketplaces/").text


def errors_of(response) -> dict[str, str]:
    """Field name -> the error text shown beside it."""
    return {e["id"].removeprefix("error-"): e.text.strip()
            for e in soup(response).select("small.field-error") if e.text.strip()}


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"hosts": "shopee.vn"}, "hosts", "Tên miền shopee.vn đã thuộc sàn Shopee."),
    ({"hosts": "cholaocai.vn\nwww.tiki.vn"}, "hosts", "Tên miền www.tiki.vn đã thuộc sàn Tiki."),
    ({"hosts": "ftp://bad host"}, "hosts", "Tên miền không hợp lệ"),
    ({"hosts": ""}, "hosts", "Trường này bắt buộc."),
    ({"adapter": "amazon"}, "adapter", "Bộ đọc không tồn tại: amazon"),
    ({"slug": "Chợ Lào Cai"}, "slug", "Tên ngắn chỉ gồm chữ thường không dấu"),
    ({"slug": "-bad"}, "slug", "Tên ngắn chỉ gồm chữ thường không dấu"),
    ({"slug": "shopee"}, "slug", "Đã có sàn mang tên này."),
    ({"name": "Tiki"}, "name", "Đã có sàn mang tên này."),
    ({"name": ""}, "name", "Trường này bắt buộc."),
    ({"concurrency": "0"}, "concurrency", "Số yêu cầu đồng thời từ 1 đến 64."),
    ({"concurrency": "65"}, "concurrency", "Số yêu cầu đồng thời từ 1 đến 64."),
    ({"concurrency": "hai"}, "concurrency", "Cần một số nguyên."),
    ({"min_interval": "-1"}, "min_interval", "Khoảng cách tối thiểu không được âm."),
    ({"min_interval": "nhanh"}, "min_interval", "Cần một số."),
])
def test_create_refused(admin, app, changes, field, message):
    response = admin.post("/marketplaces/new", data=form_data(**changes))
    assert response.status_code == 200
    assert message in errors_of(response)[field]
    assert marketplace(app, "cho-lao-cai") is None


def test_refused_form_as_fragment(admin):
    response = admin.post("/marketplaces/new", data=form_data(hosts="shopee.vn"), headers=HX)
    page = assert_fragment(response, "marketplace-form")
    assert page.find(id="error-hosts").text.strip() == "Tên miền shopee.vn đã thuộc sàn Shopee."


@pytest.mark.parametrize(("field", "changes", "message"), [
    ("hosts", {"hosts": "lazada.vn"}, "Tên miền lazada.vn đã thuộc sàn Lazada."),
    ("adapter", {"adapter": "ebay"}, "Bộ đọc không tồn tại: ebay"),
    ("concurrency", {"concurrency": "100"}, "Số yêu cầu đồng thời từ 1 đến 64."),
    ("name", {}, ""),
])
def test_inline_validation(admin, field, changes, message):
    response = admin.post(f"/marketplaces/new?validate={field}", data=form_data(**changes),
                          headers=HX)
    assert response.status_code == 200
    error = soup(response).find("small")
    assert error["id"] == f"error-{field}"
    assert error.text.strip() == message


def test_inline_validation_of_edit_accepts_own_hosts(admin, app):
    tiki = marketplace(app, "tiki")
    response = admin.post(f"/marketplaces/{tiki.id}/edit?validate=hosts", headers=HX,
                          data=form_data(name="Tiki", slug="tiki", adapter="tiki",
                                         hosts="tiki.vn\nwww.tiki.vn"))
    assert soup(response).find(id="error-hosts").text.strip() == ""


def test_edit_form_shows_hosts_one_per_line(admin, app):
    shopee = marketplace(app, "shopee")
    page = soup(admin.get(f"/marketplaces/{shopee.id}/edit"))
    assert page.find("textarea", attrs={"name": "hosts"}).text.strip() == "shopee.vn\nwww.shopee.vn"
    assert page.find("select", attrs={"name": "adapter"}).find("option", selected=True)["value"] \
        == "shopee"
    assert [o["value"] for o in page.select("select[name=adapter] option")][0] == "generic"
    assert page.find("input", attrs={"name": "version"})["value"] == "1"
    assert page.find(id="delete-marketplace") is not None


def test_edit_form_fragment(admin, app):
    shopee = marketplace(app, "shopee")
    assert_full_page(admin.get(f"/marketplaces/{shopee.id}/edit"), "marketplace-form")
    page = assert_fragment(admin.get(f"/marketplaces/{shopee.id}/edit", headers=HX),
                           "marketplace-form")
    assert page.find(id="marketplace-more") is None


def test_edit(admin, app):
    tiki = marketplace(app, "tiki")
    response = admin.post(f"/marketplaces/{tiki.id}/edit", data=form_data(
        name="Tiki", slug="tiki", adapter="tiki", hosts="tiki.vn\nm.tiki.vn", concurrency="3",
        min_interval="0.5", version="1"))
    assert response.status_code == 303
    tiki = marketplace(app, "tiki")
    assert tiki.host_names == ["m.tiki.vn", "tiki.vn"]
    assert (tiki.concurrency, tiki.min_interval, tiki.version) == (3, 0.5, 2)
    with app.app_context():
        entry = db.session.scalars(db.select(AuditEntry).where(
            AuditEntry.entity == "marketplace", AuditEntry.entity_id == tiki.id)
            .order_by(AuditEntry.id.desc())).first()
        assert entry.action == "update"
        assert entry.actor == "admin@example.vn"
        assert entry.changes["concurrency"] == [4, 3]
        assert entry.changes["min_interval"] == [1.0, 0.5]
        assert entry.changes["hosts"] == [["tiki.vn", "www.tiki.vn"], ["m.tiki.vn", "tiki.vn"]]


def test_host_can_move_only_after_its_owner_lets_go(admin, app):
    tiki = marketplace(app, "tiki")
    admin.post(f"/marketplaces/{tiki.id}/edit", data=form_data(
        name="Tiki", slug="tiki", adapter="tiki", hosts="tiki.vn", version="1"))
    response = admin.post("/marketplaces/new", data=form_data(hosts="www.tiki.vn"))
    assert response.status_code == 303
    assert marketplace(app, "cho-lao-cai").host_names == ["www.tiki.vn"]


def test_stale_edit_refused(admin, app):
    shopee = marketplace(app, "shopee")
    url = f"/marketplaces/{shopee.id}/edit"
    version = version_in(admin.get(url))
    # Someone else changes the record in the meantime.
    assert admin.post(url, data=form_data(name="Shopee", slug="shopee", adapter="shopee",
                                           hosts="shopee.vn\nwww.shopee.vn", concurrency="5",
                                           version=version)).status_code == 303
    response = admin.post(url, data=form_data(name="Shopee VN", slug="shopee", adapter="shopee",
                                              hosts="shopee.vn", concurrency="1", version=version))
    assert response.status_code == 200
    stale = soup(response).find(id="stale")
    assert "Bản ghi này vừa được người khác sửa." in stale.text
    shopee = marketplace(app, "shopee")
    assert (shopee.name, shopee.concurrency, shopee.host_names) == (
        "Shopee", 5, ["shopee.vn", "www.shopee.vn"])


def test_stale_edit_after_toggle_as_fragment(admin, app):
    shopee = marketplace(app, "shopee")
    url = f"/marketplaces/{shopee.id}/edit"
    version = version_in(admin.get(url))
    admin.post(f"/marketplaces/{shopee.id}/enabled", data={"enabled": "0"})
    response = admin.post(url, headers=HX, data=form_data(
        name="Shopee", slug="shopee", adapter="shopee", hosts="shopee.vn", version=version))
    page = soup(response)
    assert page.find("form")["id"] == "marketplace-form"
    assert page.find(id="stale") is not None
    assert marketplace(app, "shopee").host_names == ["shopee.vn", "www.shopee.vn"]


def test_unknown_marketplace_404(admin):
    assert admin.get("/marketplaces/999/edit").status_code == 404
    assert admin.post("/marketplaces/999/enabled", data={"enabled": "0"}).status_code == 404


def test_toggle_as_fragment(admin, app):
    shopee = marketplace(app, "shopee")
    response = admin.post(f"/marketplaces/{shopee.id}/enabled", data={"enabled": "0"},
                          headers=HX)
    page = assert_fragment(response, f"marketplace-{shopee.id}")
    rows = page.find_all("tr")
    assert [r["id"] for r in rows] == [f"marketplace-{shopee.id}"]
    assert "Đã tắt" in rows[0].text
    assert page.find("input", attrs={"name": "enabled"})["value"] == "1"  # the button now enables
    assert page.find(id=f"toggle-marketplace-{shopee.id}").text.strip() == "Bật"
    assert marketplace(app, "shopee").enabled is False
    # The flash is not left waiting for the next full page.
    assert "Đã tắt kiểm tra" not in admin.get("/marketplaces/").text

    response = admin.post(f"/marketplaces/{shopee.id}/enabled", data={"enabled": "1"},
                          headers=HX)
    assert "Đang bật" in soup(response).find("tr").text
    assert marketplace(app, "shopee").enabled is True


def test_toggle_as_full_page(admin, app):
    shopee = marketplace(app, "shopee")
    response = admin.post(f"/marketplaces/{shopee.id}/enabled", data={"enabled": "0"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/marketplaces/"
    page = admin.get("/marketplaces/")
    assert "Đã tắt kiểm tra sàn Shopee." in page.text
    assert marketplace(app, "shopee").enabled is False


def test_toggle_is_idempotent(admin, app):
    shopee = marketplace(app, "shopee")
    admin.post(f"/marketplaces/{shopee.id}/enabled", data={"enabled": "1"}, headers=HX)
    assert marketplace(app, "shopee").version == 1


def test_delete_unused(admin, app):
    voso = marketplace(app, "voso")
    response = admin.post(f"/marketplaces/{voso.id}/delete")
    assert response.status_code == 303
    assert response.headers["Location"] == "/marketplaces/"
    assert marketplace(app, "voso") is None
    assert "Đã xoá sàn Voso." in admin.get("/marketplaces/").text
    with app.app_context():
        entry = db.session.scalar(db.select(AuditEntry).where(
            AuditEntry.entity == "marketplace", AuditEntry.action == "delete"))
        assert entry.entity_id == voso.id and entry.label == "Voso"


def test_delete_with_listings_refused(admin, app, catalogue):
    shopee = marketplace(app, "shopee")
    page = soup(admin.get(f"/marketplaces/{shopee.id}/edit"))
    assert page.find(id="delete-marketplace") is None
    assert "còn 1 gian hàng" in page.find(id="delete-refused").text
    response = admin.post(f"/marketplaces/{shopee.id}/delete")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/marketplaces/{shopee.id}/edit"
    assert "Không thể xoá sàn Shopee vì còn 1 gian hàng" in admin.get(
        response.headers["Location"]).text
    assert marketplace(app, "shopee") is not None


def test_csrf_enforced(admin, app):
    """With CSRF switched on, a toggle without the token is refused."""
    client = admin
    app.config["WTF_CSRF_ENABLED"] = True
    shopee = marketplace(app, "shopee")
    response = client.post(f"/marketplaces/{shopee.id}/enabled", data={"enabled": "0"},
                           headers=HX)
    assert response.status_code == 400
    assert marketplace(app, "shopee").enabled is True
    page = soup(client.get("/marketplaces/"))
    token = page.find("input", attrs={"name": "csrf_token"})["value"]
    response = client.post(f"/marketplaces/{shopee.id}/enabled", headers=HX,
                           data={"enabled": "0", "csrf_token": token})
    assert response.status_code == 200
    assert marketplace(app, "shopee").enabled is False


def test_an_adapter_module_added_to_the_package_is_offered_and_used(admin, app, tmp_path,
                                                                   monkeypatch):
    import sys
    import textwrap

    from scrapers import adapters
    from tests.scrapers.test_registry import CHO_QUE

    (tmp_path / "cho_que.py").write_text(textwrap.dedent(CHO_QUE))
    monkeypatch.setattr(adapters, "__path__", [*adapters.__path__, str(tmp_path)])
    monkeypatch.setattr(adapters, "ADAPTERS", adapters.discover())
    try:
        options = soup(admin.get("/marketplaces/new")).select("select[name=adapter] option")
        assert "choque" in [option["value"] for option in options]
        response = admin.post("/marketplaces/new", data=form_data(
            name="Chợ Quê", slug="cho-que", adapter="choque", hosts="choque.test"))
        assert response.status_code == 303
        with app.app_context():
            found, parsed = Resolver().resolve("https://choque.test/mat-hang/7?mau=do&x=1")
            assert (found.slug, parsed.canonical, parsed.item_id) == (
                "cho-que", "https://choque.test/mat-hang/7?mau=do", "7")
    finally:
        sys.modules.pop("scrapers.adapters.cho_que", None)
