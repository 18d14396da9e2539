"""A request body over MAX_CONTENT_LENGTH, refused before any view runs (the CSRF check reads
the form first), must not show anything of a page the sender may not open."""

import io
import re

import pytest

from .conftest import PASSWORD
from .helpers import HTMX, soup

LIMIT = 4096


@pytest.fixture
def app_overrides():
    return {"WTF_CSRF_ENABLED": True, "MAX_CONTENT_LENGTH": LIMIT}


def oversized(client, path: str, headers=None):
    """POST an upload bigger than the limit to `path`."""
    return client.post(path, headers=headers, content_type="multipart/form-data",
                       data={"file": (io.BytesIO(b"x" * (LIMIT * 2)), "so-dang-ky.xlsx")})


def signed_in(app, email: str):
    client = app.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      client.get("/login").text)[1]
    response = client.post("/login", data={"email": email, "password": PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 303
    return client


def shows_nothing_of_the_workbook(response) -> bool:
    html = soup(response)
    return not any(html.find(id=i) for i in ("upload-form", "upload-errors", "result", "export",
                                             "import"))


# Every page that takes a body and needs a signed-in user.
OFFICER_POSTS = ["/workbook/upload", "/workbook/confirm", "/products/new", "/products/LC-001/edit",
                 "/products/LC-001/delete", "/products/LC-001/listings", "/producers/new",
                 "/marketplaces/new", "/users/new", "/dashboard/target", "/checks/",
                 "/listings/1/approve"]


@pytest.mark.parametrize("headers", [None, HTMX], ids=["page", "htmx"])
@pytest.mark.parametrize("path", ["/workbook/upload", "/workbook/confirm"])
def test_anonymous_gets_what_any_anonymous_request_to_the_workbook_gets(client, path, headers):
    response = oversized(client, path, headers)
    anonymous = client.get("/workbook/")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert response.status_code == anonymous.status_code
    assert response.headers["Location"].split("?")[0] == anonymous.headers["Location"].split("?")[0]
    assert shows_nothing_of_the_workbook(response)


@pytest.mark.parametrize("path", OFFICER_POSTS)
def test_no_anonymous_oversized_post_shows_a_page(client, catalogue, path):
    response = oversized(client, path)
    if response.status_code == 302:
        assert "/login" in response.headers["Location"]
    else:
        assert response.status_code == 413
        assert "Tệp quá lớn" in soup(response).find("h1").text
    assert shows_nothing_of_the_workbook(response)
    assert soup(response).find("form", id=re.compile(r"-form$")) is None


def test_a_producer_gets_403(app):
    response = oversized(signed_in(app, "producer@example.vn"), "/workbook/upload", HTMX)
    assert response.status_code == 403
    assert shows_nothing_of_the_workbook(response)


def test_an_officer_still_gets_the_error_beside_the_form(app):
    response = oversized(signed_in(app, "officer@example.vn"), "/workbook/upload", HTMX)
    assert "Tệp quá lớn" in soup(response).find(id="upload-errors").text


def test_every_page_blueprints_error_handler_checks_the_role(app):
    """A blueprint's error handler also answers requests its views never saw: each must say
    who may see what it renders (the API answers JSON of its own and checks its tokens)."""
    for blueprint, spec in app.error_handler_spec.items():
        if blueprint in (None, "api"):
            continue
        for handlers in spec.values():
            for handler in handlers.values():
                assert getattr(handler, "required_role", None), (blueprint, handler)
