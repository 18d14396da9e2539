"""Signing in and out, who may see what, and the language switch."""

import pytest

from ocop.extensions import db
from ocop.models import User

from .conftest import PASSWORD
from .helpers import soup

PROTECTED = ["/products/", "/products/new", "/products/LC-001", "/producers/", "/marketplaces/",
             "/users/", "/history/", "/workbook/"]


@pytest.mark.parametrize("path", PROTECTED)
def test_anonymous_is_sent_to_sign_in(client, catalogue, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]


@pytest.mark.parametrize("path", ["/products/new", "/products/LC-001/delete",
                                  "/products/LC-001/listings", "/listings/1/delete",
                                  "/producers/new"])
def test_anonymous_cannot_change_anything(client, catalogue, path):
    assert client.post(path, data={"url": "https://shopee.vn/a-i.1.9"}).status_code == 302


def test_home_page_is_public(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "Đăng nhập" in response.text


def test_wrong_password_and_locked_account(client, app):
    response = client.post("/login", data={"email": "officer@example.vn", "password": "sai"})
    assert "Sai thư điện tử hoặc mật khẩu" in response.text
    with app.app_context():
        db.session.scalar(db.select(User).filter_by(email="officer@example.vn")).active = False
        db.session.commit()
    response = client.post("/login", data={"email": "officer@example.vn", "password": PASSWORD})
    assert "đã bị khoá" in response.text


def test_sign_in_returns_to_the_page_asked_for_but_never_off_site(client):
    response = client.post("/login?next=/producers/",
                           data={"email": "Officer@Example.vn", "password": PASSWORD})
    assert response.headers["Location"] == "/producers/"
    client.post("/logout")
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = client.post("/login", query_string={"next": target},
                               data={"email": "officer@example.vn", "password": PASSWORD})
        assert response.headers["Location"] == "/"
        client.post("/logout")


def test_sign_out(officer):
    assert officer.post("/logout").status_code == 303
    assert officer.get("/products/").status_code == 302


def test_language_switch(officer, catalogue):
    assert "Sản phẩm OCOP" in officer.get("/products/").text
    response = officer.post("/lang/en", data={"next": "/products/"})
    assert response.headers["Location"] == "/products/"
    page = officer.get("/products/")
    assert soup(page).html["lang"] == "en"
    assert "OCOP products" in page.text
    officer.post("/lang/vi")
    assert "Sản phẩm OCOP" in officer.get("/products/").text
    assert officer.post("/lang/fr").status_code == 404
