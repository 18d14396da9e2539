"""CSRF protection switched on, as in production."""

import re

import pytest

from ocop.extensions import db
from ocop.models import Listing

from .conftest import PASSWORD


@pytest.fixture
def app_overrides():
    return {"WTF_CSRF_ENABLED": True}


def token(client, path="/login") -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get(path).text)[1]


def test_sign_in_needs_the_token(client):
    response = client.post("/login", data={"email": "officer@example.vn", "password": PASSWORD})
    assert response.status_code == 400
    assert "mã bảo vệ" in response.text
    response = client.post("/login", data={"email": "officer@example.vn", "password": PASSWORD,
                                           "csrf_token": token(client)})
    assert response.status_code == 303


def test_htmx_requests_carry_the_token_in_a_header(client, app, catalogue):
    client.post("/login", data={"email": "officer@example.vn", "password": PASSWORD,
                                "csrf_token": token(client)})
    page = client.get("/products/LC-001").text
    header_token = re.search(r'"X-CSRFToken": "([^"]+)"', page)[1]
    data = {"url": "https://voso.vn/che-p1.html"}
    assert client.post("/products/LC-001/listings", data=data,
                       headers={"HX-Request": "true"}).status_code == 400
    response = client.post("/products/LC-001/listings", data=data,
                           headers={"HX-Request": "true", "X-CSRFToken": header_token})
    assert response.status_code == 200
    with app.app_context():
        assert db.session.scalar(db.select(Listing).filter_by(item_id="1")) is not None


def test_logout_and_language_switch_need_the_token(client):
    assert client.post("/logout").status_code == 400
    assert client.post("/lang/en").status_code == 400
