"""What a careful attacker tried on the sign-in and the sessions (issue 9, findings 1, 2, 3 and 6)
and the password rules that came with the fixes: each test failed before them."""

import hashlib
import time
import uuid

import pytest

from ocop.auth import passwords, throttle
from ocop.extensions import db
from ocop.models import AuditEntry, SignIn, User

from .conftest import PASSWORD, build_app
from .helpers import soup

NEW = "mot cau ngan chi toi biet"


def sign_in(client, email: str, password: str = PASSWORD, **kwargs):
    return client.post("/login", data={"email": email, "password": password}, **kwargs)


def user(app, email: str) -> User:
    with app.app_context():
        found = db.session.scalar(db.select(User).filter_by(email=email))
        db.session.expunge(found)
        return found


def copy_of(app, client):
    """A second browser holding a copy of `client`'s session cookie."""
    other = app.test_client()
    other.set_cookie("session", client.get_cookie("session").value)
    return other


# 1. Open redirect after sign-in, and the language switch's `next`.
@pytest.mark.parametrize("target", ["////evil.example/", "///evil.example", "/\t/evil.example",
                                    "/\\evil.example", "https:evil.example", "/\n/evil.example",
                                    "javascript:alert(1)", "//evil.example/"])
def test_sign_in_never_redirects_off_site(client, target):
    response = sign_in(client, "officer@example.vn", query_string={"next": target})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    response = client.post("/lang/en", data={"next": target})
    assert response.headers["Location"] == "/"


def test_sign_in_still_returns_to_a_local_page(client):
    response = sign_in(client, "officer@example.vn", query_string={"next": "/products/?q=chè"})
    assert response.headers["Location"] == "/products/?q=ch%C3%A8"


def test_the_sign_in_prompt_speaks_the_users_language(client):
    response = client.get("/products/", follow_redirects=True)
    assert "Hãy đăng nhập để xem trang này." in response.text
    client.post("/lang/en")
    assert "Please sign in to see this page." in client.get("/users/me",
                                                            follow_redirects=True).text


# 2. Brute force: failures lock the account and the address for a while.
def test_ten_wrong_passwords_lock_the_account_even_against_the_right_one(client, app):
    for _ in range(10):
        assert "Sai thư điện tử hoặc mật khẩu" in sign_in(client, "officer@example.vn", "sai").text
    response = sign_in(client, "officer@example.vn")
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 15 * 60
    assert "Đã thử sai quá nhiều lần. Hãy thử lại sau 15 phút." in response.text
    # Another account from the same address is not affected; an unknown address locks alike.
    assert sign_in(app.test_client(), "admin@example.vn").status_code == 303
    for _ in range(10):
        sign_in(client, "khong-co@example.vn", "sai")
    assert sign_in(client, "khong-co@example.vn", "sai").status_code == 429


@pytest.mark.parametrize("app_overrides", [{"SIGN_IN_LIMIT_ACCOUNT": "3 per 5 seconds"}])
def test_a_lockout_ends_by_itself(client, app_overrides):
    sign_in(client, "officer@example.vn", "sai")
    first = time.monotonic()  # after the failure was counted, however long hashing took
    for _ in range(2):
        sign_in(client, "officer@example.vn", "sai")
    assert sign_in(client, "officer@example.vn").status_code == 429
    time.sleep(max(0.0, first + 5.2 - time.monotonic()))  # the first failure has aged out
    assert sign_in(client, "officer@example.vn").status_code == 303


@pytest.mark.parametrize("app_overrides", [{"SIGN_IN_LIMIT_ADDRESS": "5 per 15 minutes",
                                            "PROXY_COUNT": 1}])
def test_the_address_is_the_client_behind_a_trusted_proxy(client, app_overrides):
    office, attacker = {"X-Forwarded-For": "203.0.113.7"}, {"X-Forwarded-For": "198.51.100.9"}
    for n in range(5):
        sign_in(client, f"thu{n}@example.vn", "sai", headers=attacker)
    assert sign_in(client, "officer@example.vn", headers=attacker).status_code == 429
    assert sign_in(client, "officer@example.vn", headers=office).status_code == 303


@pytest.mark.parametrize("app_overrides", [{"SIGN_IN_LIMIT_ADDRESS": "5 per 15 minutes"}])
def test_without_a_trusted_proxy_a_forged_forwarded_for_changes_nothing(client, app_overrides):
    for n in range(5):
        sign_in(client, f"thu{n}@example.vn", "sai", headers={"X-Forwarded-For": f"10.0.0.{n}"})
    response = sign_in(client, "officer@example.vn", headers={"X-Forwarded-For": "10.9.9.9"})
    assert response.status_code == 429


def test_an_administrator_sees_and_lifts_a_lockout(client, admin, officer, app):
    for _ in range(10):
        sign_in(client, "producer@example.vn", "sai")
    page = admin.get("/users/sign-ins")
    locked = soup(page).find(id="locked")
    assert "producer@example.vn" in locked.text
    assert officer.get("/users/sign-ins").status_code == 403
    admin.post("/users/sign-ins/unlock", data={"email": "producer@example.vn"})
    assert "producer@example.vn" not in soup(admin.get("/users/sign-ins")).find(id="locked").text
    assert sign_in(client, "producer@example.vn").status_code == 303


@pytest.mark.parametrize("app_overrides", [{"REDIS_URL": "redis://127.0.0.1:6379/15",
                                            "PROXY_COUNT": 1}])
def test_with_redis_every_process_sees_the_same_lockout(app, client, database_uri,
                                                         app_overrides):
    # Redis outlives the test: an account and an address of its own, that no other test trips.
    email = f"{uuid.uuid4().hex}@example.vn"
    address = {"X-Forwarded-For": f"198.51.100.{uuid.uuid4().int % 250 + 1}"}
    for _ in range(10):
        sign_in(client, email, "sai", headers=address)
    other_process = build_app(database_uri, **app_overrides)
    try:
        assert sign_in(other_process.test_client(), email, "sai",
                       headers=address).status_code == 429
    finally:
        with other_process.app_context():
            throttle.unlock(email)
            db.engine.dispose()


# 3. Enumeration by timing: the same hash work whether the account exists or not.
def test_every_sign_in_hashes_once_whether_the_account_exists_or_not(client, monkeypatch):
    calls = []
    real = hashlib.scrypt
    monkeypatch.setattr(hashlib, "scrypt", lambda *a, **k: calls.append(1) or real(*a, **k))
    for email, password in (("khong-co@example.vn", "sai-mat-khau"),
                            ("officer@example.vn", "sai-mat-khau"),
                            ("officer@example.vn", PASSWORD)):
        calls.clear()
        sign_in(client, email, password)
        assert len(calls) == 1, email
        client.post("/logout")


# The sign-in audit.
def test_sign_ins_are_recorded_without_the_password(client, admin, app):
    sign_in(client, "officer@example.vn", "mot-mat-khau-sai")
    sign_in(client, "Khong-Co@Example.vn", "mot-mat-khau-sai")
    with app.app_context():
        rows = db.session.scalars(db.select(SignIn).order_by(SignIn.id)).all()
        seen = [(r.email, r.outcome, r.address, r.user_id is not None) for r in rows]
        dumped = repr([vars(r) for r in rows])
    assert ("officer@example.vn", "failed", "127.0.0.1", True) in seen
    assert ("khong-co@example.vn", "failed", "127.0.0.1", False) in seen
    assert ("admin@example.vn", "success", "127.0.0.1", True) in seen
    assert "mot-mat-khau-sai" not in dumped and PASSWORD not in dumped
    page = admin.get("/users/sign-ins", query_string={"outcome": "failed"})
    rows = soup(page).select("#results tbody tr")
    assert len(rows) == 2 and all("sign-in-failed" in r["class"] for r in rows)
    fragment = admin.get("/users/sign-ins?q=khong", headers={"HX-Request": "true"})
    assert soup(fragment).find("html") is None and "khong-co@example.vn" in fragment.text


# 6. Sessions end: sign-out, a new password, deactivation and a reset end every copy.
def test_a_cookie_copied_before_sign_out_opens_nothing_after(app, officer):
    stolen = copy_of(app, officer)
    assert stolen.get("/products/").status_code == 200
    officer.post("/logout")
    assert stolen.get("/products/").status_code == 302


def test_a_new_password_ends_other_sessions_but_not_this_one(app, officer):
    stolen = copy_of(app, officer)
    response = officer.post("/users/me", data={"current_password": PASSWORD,
                                               "new_password": NEW, "confirm": NEW})
    assert response.status_code == 303
    assert officer.get("/products/").status_code == 200
    assert stolen.get("/products/").status_code == 302
    assert sign_in(app.test_client(), "officer@example.vn", NEW).status_code == 303
    assert sign_in(app.test_client(), "officer@example.vn", PASSWORD).status_code == 200


def test_deactivation_ends_the_accounts_sessions(app, admin, officer):
    officer_id = user(app, "officer@example.vn").id
    admin.post(f"/users/{officer_id}/active", data={"active": "0"})
    admin.post(f"/users/{officer_id}/active", data={"active": "1"})
    assert officer.get("/products/").status_code == 302


def test_a_session_from_before_epochs_is_signed_out(app, officer):
    with officer.session_transaction() as session:
        session["_user_id"] = session["_user_id"].partition(".")[0]
    assert officer.get("/products/").status_code == 302


# Passwords: the policy, changing one's own, resets.
@pytest.mark.parametrize(("password", "reason"), [
    ("          ", "chỉ gồm dấu cách"), ("1234567890", "quá phổ biến"),
    ("Password123", "quá phổ biến"), ("aaaaaaaaaaaa", "quá đơn giản"),
    ("ngan", "ít nhất 10 ký tự"), ("canbo2@example.vn", "trùng với thư điện tử"),
])
def test_the_policy_refuses_weak_passwords_with_the_reason(app, password, reason):
    with app.test_request_context():
        assert reason in passwords.problem(password, "canbo2@example.vn")
        assert passwords.problem(NEW) is None


def test_a_user_form_refuses_a_common_password(admin, app):
    response = admin.post("/users/new", data={"email": "canbo2@example.vn", "name": "",
                                              "role": "officer", "producer": "",
                                              "password": "1234567890"})
    assert "quá phổ biến" in soup(response).find(id="error-password").text
    with app.app_context():
        assert db.session.scalar(db.select(User).filter_by(email="canbo2@example.vn")) is None


def test_changing_ones_password_needs_the_current_one(officer, app):
    response = officer.post("/users/me", data={"current_password": "sai-roi-nhe",
                                               "new_password": NEW, "confirm": NEW})
    assert "Mật khẩu hiện tại không đúng." in soup(response).find(id="error-current_password").text
    response = officer.post("/users/me", data={"current_password": PASSWORD,
                                               "new_password": NEW, "confirm": NEW + "x"})
    assert "Hai lần nhập mật khẩu mới khác nhau." in response.text
    response = officer.post("/users/me", data={"current_password": PASSWORD,
                                               "new_password": "qwertyuiop",
                                               "confirm": "qwertyuiop"})
    assert "quá phổ biến" in soup(response).find(id="error-new_password").text
    assert sign_in(app.test_client(), "officer@example.vn").status_code == 303


def test_a_weak_old_password_must_be_changed_at_the_next_sign_in(app, client):
    with app.app_context():
        officer = db.session.scalar(db.select(User).filter_by(email="officer@example.vn"))
        officer.set_password("1234567890")  # set before the policy existed
        db.session.commit()
    response = sign_in(client, "officer@example.vn", "1234567890")
    assert response.status_code == 303
    response = client.get("/products/")
    assert response.status_code == 303 and response.headers["Location"] == "/users/me"
    assert "Hãy đặt mật khẩu mới" in client.get("/users/me").text
    client.post("/users/me", data={"current_password": "1234567890", "new_password": NEW,
                                   "confirm": NEW})
    assert client.get("/products/").status_code == 200


def test_an_officer_resets_a_producers_password_shown_once_and_audited(app, officer):
    stolen_producer = app.test_client()
    sign_in(stolen_producer, "producer@example.vn")
    producer = user(app, "producer@example.vn")
    page = officer.get(f"/producers/{producer.producer_id}")
    assert soup(page).find(id=f"reset-user-{producer.id}") is not None
    response = officer.post(f"/users/{producer.id}/reset-password")
    assert response.headers["Cache-Control"] == "no-store"
    temporary = soup(response).find(id="temporary-password-value").text
    assert len(temporary) == 19 and passwords.problem(temporary) is None
    assert stolen_producer.get("/products/").status_code == 302
    client = app.test_client()
    assert sign_in(client, "producer@example.vn", temporary).status_code == 303
    assert client.get("/products/").headers["Location"] == "/users/me"
    with app.app_context():
        entry = db.session.scalars(db.select(AuditEntry).where(
            AuditEntry.entity == "user", AuditEntry.entity_id == producer.id)
            .order_by(AuditEntry.id.desc())).first()
        assert entry.actor == "officer@example.vn"
        assert entry.changes["password_hash"] == ["***", "***"]


def test_only_an_administrator_resets_staff_passwords(app, officer, admin, producer_client):
    officer_id = user(app, "officer@example.vn").id
    admin_id = user(app, "admin@example.vn").id
    producer_id = user(app, "producer@example.vn").id
    assert officer.post(f"/users/{admin_id}/reset-password").status_code == 403
    assert officer.post(f"/users/{officer_id}/reset-password").status_code == 403
    assert producer_client.post(f"/users/{producer_id}/reset-password").status_code == 403
    assert admin.post(f"/users/{admin_id}/reset-password").status_code == 403
    assert admin.post(f"/users/{officer_id}/reset-password").status_code == 200
