"""User administration: list, create, edit, stale edits, deactivation, self-protection."""

import pytest

from ocop.extensions import db
from ocop.models import AuditEntry, Producer, User

from .conftest import PASSWORD, sign_in
from .helpers import HTMX, assert_fragment, assert_full_page, soup

NEW_PASSWORD = "mot-mat-khau-moi-dai"


def account(app, email: str) -> User | None:
    """The account with `email`, detached, with its producer loaded."""
    with app.app_context():
        user = db.session.scalar(db.select(User).filter_by(email=email))
        if user is not None:
            user.producer  # noqa: B018  (load it before the session closes)
        return user


def producer_id(app, tax_code: str) -> int:
    with app.app_context():
        return db.session.scalar(db.select(Producer.id).filter_by(tax_code=tax_code))


def form_data(**changes) -> dict:
    """A valid new-account form, with `changes`."""
    data = {"email": "canbo2@example.vn", "name": "Nguyễn Thị Lan", "role": "officer",
            "producer": "", "password": NEW_PASSWORD}
    data.update(changes)
    return data


def errors_of(response) -> dict[str, str]:
    """Field name -> the error text shown beside it."""
    return {e["id"].removeprefix("error-"): e.text.strip()
            for e in soup(response).select("small.field-error") if e.text.strip()}


def uid(app, email: str) -> int:
    return account(app, email).id


PAGES = ["/users/", "/users/new", "/users/1/edit"]
POSTS = ["/users/new", "/users/1/edit", "/users/2/active"]


@pytest.mark.parametrize("path", PAGES)
def test_admin_sees_pages(admin, path):
    assert admin.get(path).status_code == 200


@pytest.mark.parametrize("path", PAGES)
def test_officer_forbidden(officer, path):
    assert officer.get(path).status_code == 403


@pytest.mark.parametrize("path", POSTS)
def test_officer_cannot_post(officer, app, path):
    response = officer.post(path, data=form_data(email="admin@example.vn", role="officer",
                                                 active="0"))
    assert response.status_code == 403
    assert account(app, "admin@example.vn").role == "admin"
    assert account(app, "officer@example.vn").active


@pytest.mark.parametrize("path", PAGES)
def test_producer_forbidden(producer_client, path):
    assert producer_client.get(path).status_code == 403


@pytest.mark.parametrize("path", PAGES + POSTS)
def test_anonymous_redirected_to_login(client, path):
    response = client.get(path) if path in PAGES else client.post(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_list(admin, app):
    page = assert_full_page(admin.get("/users/"), "results")
    rows = {r.find("a").text: r for r in page.select("#results tbody tr")}
    assert list(rows) == ["admin@example.vn", "officer@example.vn", "other@example.vn",
                          "producer@example.vn"]
    assert "Quản trị" in rows["admin@example.vn"].text
    assert "(bạn)" in rows["admin@example.vn"].text
    producer_link = rows["producer@example.vn"].find_all("a")[1]
    assert producer_link.text == "HTX Chè Hướng Tâm"
    assert producer_link["href"] == f"/producers/{producer_id(app, '5300123456')}"
    assert "Đang hoạt động" in rows["officer@example.vn"].text
    assert "password" not in page.text.lower() and "pbkdf2" not in page.text
    assert "scrypt" not in page.text


def test_list_filters_as_fragment(admin):
    page = assert_fragment(admin.get("/users/?role=producer", headers=HTMX), "results")
    assert [a.text for a in page.select("tbody tr td:first-child a")] == [
        "other@example.vn", "producer@example.vn"]
    page = assert_fragment(admin.get("/users/?q=OFFICER&role=nonsense", headers=HTMX), "results")
    assert [a.text for a in page.select("tbody tr td:first-child a")] == ["officer@example.vn"]
    page = assert_full_page(admin.get("/users/?q=nobody"), "results")
    assert "Không có tài khoản nào khớp." in page.text


def test_create_officer(admin, app):
    response = admin.post("/users/new", data=form_data(email=" CanBo2@Example.vn "))
    assert response.status_code == 303
    assert response.headers["Location"] == "/users/"
    user = account(app, "canbo2@example.vn")
    assert (user.name, user.role, user.producer, user.active) == (
        "Nguyễn Thị Lan", "officer", None, True)
    assert user.password_hash != NEW_PASSWORD
    assert "Đã lưu tài khoản canbo2@example.vn." in admin.get("/users/").text
    assert sign_in_with(app, "canbo2@example.vn", NEW_PASSWORD).status_code == 303


def sign_in_with(app, email: str, password: str):
    return app.test_client().post("/login", data={"email": email, "password": password})


def test_create_producer_account(admin, app):
    pid = producer_id(app, "5300654321")
    response = admin.post("/users/new", data=form_data(
        email="sonhoa@example.vn", role="producer", producer=f"HTX Sơn Hòa [#{pid}]"))
    assert response.status_code == 303
    assert account(app, "sonhoa@example.vn").producer.id == pid


def test_create_producer_account_by_unique_name(admin, app):
    response = admin.post("/users/new", data=form_data(
        email="sonhoa@example.vn", role="producer", producer="htx son hoa"))
    assert response.status_code == 303
    assert account(app, "sonhoa@example.vn").producer.name == "HTX Sơn Hòa"


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"email": "OFFICER@example.vn"}, "email", "Đã có tài khoản với thư điện tử "
                                               "officer@example.vn."),
    ({"email": "khong-phai-thu"}, "email", "Địa chỉ thư không hợp lệ."),
    ({"email": ""}, "email", "Trường này bắt buộc."),
    ({"role": "producer"}, "producer", "Tài khoản chủ thể phải gắn với một chủ thể."),
    ({"producer": "HTX Sơn Hòa"}, "producer", "Chỉ tài khoản chủ thể mới gắn với chủ thể."),
    ({"role": "producer", "producer": "HTX Không Có"}, "producer",
     "Chọn một chủ thể có trong danh sách."),
    ({"role": "superuser"}, "role", "Lựa chọn không hợp lệ."),
    ({"password": "ngan"}, "password", "Mật khẩu cần ít nhất 10 ký tự."),
    ({"password": ""}, "password", "Mật khẩu cần ít nhất 10 ký tự."),
])
def test_create_refused(admin, app, changes, field, message):
    response = admin.post("/users/new", data=form_data(**changes))
    assert response.status_code == 200
    assert errors_of(response)[field] == message
    assert account(app, "canbo2@example.vn") is None
    assert soup(response).find("input", attrs={"name": "password"}).get("value", "") == ""


def test_refused_form_as_fragment(admin):
    response = admin.post("/users/new", data=form_data(role="producer"), headers=HTMX)
    page = assert_fragment(response, "user-form")
    assert page.find(id="error-producer").text.strip() == (
        "Tài khoản chủ thể phải gắn với một chủ thể.")
    assert NEW_PASSWORD not in response.text


@pytest.mark.parametrize(("field", "changes", "message"), [
    ("email", {"email": "producer@example.vn"}, "Đã có tài khoản với thư điện tử "
                                                "producer@example.vn."),
    ("password", {"password": "123"}, "Mật khẩu cần ít nhất 10 ký tự."),
    ("producer", {"role": "producer"}, "Tài khoản chủ thể phải gắn với một chủ thể."),
    ("email", {}, ""),
])
def test_inline_validation(admin, field, changes, message):
    response = admin.post(f"/users/new?validate={field}", data=form_data(**changes),
                          headers=HTMX)
    assert response.status_code == 200
    error = soup(response).find("small")
    assert (error["id"], error.text.strip()) == (f"error-{field}", message)


def test_edit_form_prefilled_without_password(admin, app):
    user = account(app, "producer@example.vn")
    url = f"/users/{user.id}/edit"
    page = assert_full_page(admin.get(url), "user-form")
    assert page.find("input", attrs={"name": "email"})["value"] == "producer@example.vn"
    assert page.find("select", attrs={"name": "role"}).find("option", selected=True)["value"] \
        == "producer"
    assert page.find("input", attrs={"name": "producer"})["value"] == (
        f"HTX Chè Hướng Tâm [#{user.producer.id}]")
    assert page.find("input", attrs={"name": "password"}).get("value", "") == ""
    assert page.find("input", attrs={"name": "version"})["value"] == "1"
    assert user.password_hash not in admin.get(url).text
    assert_fragment(admin.get(url, headers=HTMX), "user-form")


def test_edit_keeps_password_when_blank(admin, app):
    user = account(app, "officer@example.vn")
    response = admin.post(f"/users/{user.id}/edit", data=form_data(
        email="officer@example.vn", name="Cán bộ Một", password="", version="1"))
    assert response.status_code == 303
    changed = account(app, "officer@example.vn")
    assert (changed.name, changed.password_hash, changed.version) == (
        "Cán bộ Một", user.password_hash, 2)
    assert sign_in_with(app, "officer@example.vn", PASSWORD).status_code == 303


def test_edit_sets_new_password_and_audits_it_masked(admin, app):
    user = account(app, "officer@example.vn")
    response = admin.post(f"/users/{user.id}/edit", data=form_data(
        email="officer@example.vn", name="", password=NEW_PASSWORD, version="1"))
    assert response.status_code == 303
    assert sign_in_with(app, "officer@example.vn", PASSWORD).status_code == 200
    assert sign_in_with(app, "officer@example.vn", NEW_PASSWORD).status_code == 303
    with app.app_context():
        entry = db.session.scalars(db.select(AuditEntry).where(
            AuditEntry.entity == "user", AuditEntry.entity_id == user.id)
            .order_by(AuditEntry.id.desc())).first()
        assert (entry.action, entry.actor) == ("update", "admin@example.vn")
        assert entry.changes["password_hash"] == ["***", "***"]
        assert "name" not in entry.changes  # empty stays None


def test_change_role_to_producer(admin, app):
    user = account(app, "officer@example.vn")
    pid = producer_id(app, "5300654321")
    response = admin.post(f"/users/{user.id}/edit", data=form_data(
        email="officer@example.vn", role="producer", producer=f"x [#{pid}]", password="",
        version="1"))
    assert response.status_code == 303
    changed = account(app, "officer@example.vn")
    assert (changed.role, changed.producer.id) == ("producer", pid)


def test_admin_cannot_demote_themselves(admin, app):
    me = account(app, "admin@example.vn")
    response = admin.post(f"/users/{me.id}/edit", data=form_data(
        email="admin@example.vn", role="officer", password="", version="1"))
    assert response.status_code == 200
    assert errors_of(response)["role"] == (
        "Bạn không thể tự hạ quyền quản trị của chính mình; hãy nhờ một quản trị viên khác.")
    assert account(app, "admin@example.vn").role == "admin"
    # Editing their own name is fine.
    response = admin.post(f"/users/{me.id}/edit", data=form_data(
        email="admin@example.vn", role="admin", name="Quản trị", password="", version="1"))
    assert response.status_code == 303


def test_admin_can_demote_another_admin(admin, app):
    with app.app_context():
        db.session.add(User(email="admin2@example.vn", role="admin", password_hash="x"))
        db.session.commit()
    other = account(app, "admin2@example.vn")
    response = admin.post(f"/users/{other.id}/edit", data=form_data(
        email="admin2@example.vn", role="officer", password="", version="1"))
    assert response.status_code == 303
    assert account(app, "admin2@example.vn").role == "officer"


def test_stale_edit_refused(admin, app):
    user = account(app, "officer@example.vn")
    url = f"/users/{user.id}/edit"
    version = soup(admin.get(url)).find("input", attrs={"name": "version"})["value"]
    # Someone else changes the account in the meantime.
    assert admin.post(url, data=form_data(email="officer@example.vn", name="Người khác",
                                          password="", version=version)).status_code == 303
    response = admin.post(url, data=form_data(email="officer2@example.vn", name="Tôi",
                                              password=NEW_PASSWORD, version=version))
    assert response.status_code == 200
    assert "Bản ghi này vừa được người khác sửa." in soup(response).find(id="stale").text
    changed = account(app, "officer@example.vn")
    assert changed.name == "Người khác"
    assert changed.password_hash == user.password_hash
    assert account(app, "officer2@example.vn") is None


def test_stale_edit_after_deactivation_as_fragment(admin, app):
    user = account(app, "officer@example.vn")
    url = f"/users/{user.id}/edit"
    version = soup(admin.get(url)).find("input", attrs={"name": "version"})["value"]
    admin.post(f"/users/{user.id}/active", data={"active": "0"}, headers=HTMX)
    response = admin.post(url, headers=HTMX, data=form_data(
        email="officer@example.vn", name="Tôi", password="", version=version))
    page = assert_fragment(response, "user-form")
    assert page.find(id="stale") is not None
    assert account(app, "officer@example.vn").name is None


def test_deactivate_and_reactivate_as_fragment(admin, app):
    user = account(app, "officer@example.vn")
    response = admin.post(f"/users/{user.id}/active", data={"active": "0"}, headers=HTMX)
    page = assert_fragment(response, f"user-{user.id}")
    assert [tr["id"] for tr in page.find_all("tr")] == [f"user-{user.id}"]
    assert "Đã khoá" in page.text
    assert page.find(id=f"toggle-user-{user.id}").text.strip() == "Mở lại"
    assert account(app, "officer@example.vn").active is False
    assert "Tài khoản này đã bị khoá." in sign_in_with(app, "officer@example.vn", PASSWORD).text
    assert "Đã khoá tài khoản" not in admin.get("/users/").text  # no flash left behind

    page = assert_fragment(admin.post(f"/users/{user.id}/active", data={"active": "1"},
                                      headers=HTMX), f"user-{user.id}")
    assert "Đang hoạt động" in page.text
    assert account(app, "officer@example.vn").active is True
    assert sign_in_with(app, "officer@example.vn", PASSWORD).status_code == 303


def test_deactivate_as_full_page(admin, app):
    user = account(app, "officer@example.vn")
    response = admin.post(f"/users/{user.id}/active", data={"active": "0"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/users/"
    assert "Đã khoá tài khoản officer@example.vn." in admin.get("/users/").text
    response = admin.post(f"/users/{user.id}/active", data={"active": "1"})
    assert "Đã mở lại tài khoản officer@example.vn." in admin.get("/users/").text
    assert account(app, "officer@example.vn").active is True


def test_admin_cannot_deactivate_themselves(admin, app):
    me = account(app, "admin@example.vn")
    page = soup(admin.get("/users/"))
    assert page.find(id=f"toggle-user-{me.id}") is None  # no button to press
    response = admin.post(f"/users/{me.id}/active", data={"active": "0"}, headers=HTMX)
    page = assert_fragment(response, f"user-{me.id}")
    assert page.find(id=f"user-{me.id}-error").text == (
        "Bạn không thể tự khoá tài khoản của chính mình.")
    assert account(app, "admin@example.vn").active is True

    response = admin.post(f"/users/{me.id}/active", data={"active": "0"})
    assert response.status_code == 303
    assert "Bạn không thể tự khoá tài khoản của chính mình." in admin.get("/users/").text
    assert account(app, "admin@example.vn").active is True


def test_unknown_user_404(admin):
    assert admin.get("/users/999/edit").status_code == 404
    assert admin.post("/users/999/active", data={"active": "0"}).status_code == 404


def test_deactivation_ends_open_sessions(app, admin):
    """A deactivated account is refused at once, even in a session signed in before."""
    officer = sign_in(app, "officer@example.vn")
    assert officer.get("/producers/").status_code == 200
    user = account(app, "officer@example.vn")
    assert admin.post(f"/users/{user.id}/active", data={"active": "0"}).status_code == 303
    response = officer.get("/producers/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
