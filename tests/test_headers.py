"""Security headers on every kind of response, pages that keep to the CSP, and the production
server (gunicorn) naming no version."""

import http.client
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from ocop.extensions import db
from ocop.headers import CONTENT_SECURITY_POLICY, HEADERS, add_security_headers
from ocop.models import Listing

from .helpers import HTMX, soup

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"


def assert_security_headers(headers) -> None:
    """Every header of ocop.headers, with its value."""
    for name, value in HEADERS.items():
        assert headers.get(name) == value, name


def directives(policy: str) -> dict[str, list[str]]:
    """A CSP split into its directives and their sources."""
    parts = (d.split() for d in policy.split(";") if d.strip())
    return {name: sources for name, *sources in parts}


@pytest.mark.parametrize(("path", "status"), [
    ("/login", 200),  # a page
    ("/api/v1/openapi.json", 200),  # JSON
    ("/api/v1/runs/999", 401),  # a JSON error
    ("/static/app.css", 200),  # a static file
    ("/static/vendor/htmx/htmx.min.js", 200),
    ("/no-such-page", 404),  # an error page
    ("/products/", 302),  # a redirect to the sign-in page
])
def test_every_kind_of_response_carries_the_headers(client, path, status):
    response = client.get(path)
    response.close()  # a static file is streamed from an open file
    assert response.status_code == status
    assert_security_headers(response.headers)


def test_fragments_and_405s_carry_them_too(officer, catalogue):
    assert_security_headers(officer.get("/products/?q=che", headers=HTMX).headers)
    refused = officer.put("/products/")
    assert refused.status_code == 405
    assert_security_headers(refused.headers)


def test_the_policy_allows_no_inline_script_and_no_framing():
    policy = directives(CONTENT_SECURITY_POLICY)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    assert "'unsafe-eval'" not in CONTENT_SECURITY_POLICY
    assert HEADERS["X-Frame-Options"] == "DENY"


def test_a_header_a_view_set_on_purpose_is_kept(app):
    with app.test_request_context():
        response = app.make_response(("report", 200, {"Referrer-Policy": "no-referrer"}))
        add_security_headers(response)
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Frame-Options"] == "DENY"


JINJA = re.compile(r"{{.*?}}|{%.*?%}|{#.*?#}", re.S)
IN_MARKUP = [  # searched in the markup with the Jinja taken out
    (re.compile(r"<script\b(?![^>]*\bsrc=)", re.I), "a <script> without src"),
    (re.compile(r"<script\b[^>]*>[^<]+</script>", re.I), "a <script> with a body"),
    (re.compile(r"<style\b", re.I), "a <style> element"),
    (re.compile(r"<[^>]*\sstyle\s*=", re.I), "a style attribute"),
    (re.compile(r"<[^>]*\s(hx-)?on[a-z:-]*\s*=", re.I), "an on…= or hx-on handler"),
]
ANYWHERE = [  # attributes passed to macros as dictionaries, and URLs
    (re.compile(r"[\"'](style|on[a-z]+|hx-on[a-z:-]*)[\"']\s*:", re.I), "a style or handler"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
]


@pytest.mark.parametrize("template", sorted(TEMPLATES.rglob("*.html")),
                         ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_no_template_holds_inline_script_or_style(template):
    source = template.read_text()
    markup = JINJA.sub("x", source)
    for text, patterns in ((markup, IN_MARKUP), (source, ANYWHERE)):
        for pattern, what in patterns:
            found = pattern.search(text)
            assert found is None, f"{what}: {text[max(found.start() - 60, 0):found.end()]!r}"


def assert_keeps_to_the_policy(html: BeautifulSoup) -> None:
    """No inline script, style or handler anywhere in a rendered page."""
    assert not html.find("style")
    for script in html.find_all("script"):
        assert script.get("src") and not script.string, script
    for tag in html.find_all(True):
        for name, value in tag.attrs.items():
            assert name != "style" and not name.startswith(("on", "hx-on")), (tag.name, name)
            assert "javascript:" not in str(value).lower(), (tag.name, name)


def test_the_rendered_pages_keep_to_the_policy(admin, app, catalogue):
    with app.app_context():
        listing = db.session.scalar(db.select(Listing))
        producer_id = listing.product.producer_id
    pages = ["/login", "/tra-cuu/?q=che", "/products/", "/products/LC-001",
             "/products/LC-001/edit", "/products/new", "/producers/",
             f"/producers/{producer_id}", f"/producers/{producer_id}/edit",
             f"/listings/{listing.id}", "/marketplaces/", "/marketplaces/new", "/users/",
             "/users/new", "/users/me/api-keys", "/workbook/", "/history/", "/checks/",
             "/dashboard/", "/dashboard/target", "/no-such-page"]
    for path in pages:
        response = admin.get(path)
        assert response.status_code in (200, 404), path
        assert_keeps_to_the_policy(soup(response))


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def head(port: int, path: str) -> http.client.HTTPResponse:
    """A HEAD request to the local server, its body already read."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("HEAD", path)
        response = connection.getresponse()
        response.read()
        return response
    finally:
        connection.close()


@pytest.fixture
def gunicorn(database_uri):
    """The app under gunicorn, the production server, as `wsgi:app` on a free local port."""
    port = free_port()
    env = {"PATH": "/usr/bin:/bin", "OCOP_DATABASE_URL": database_uri,
           "OCOP_SECRET_KEY": "test"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1",
         "--chdir", str(ROOT), "--no-control-socket", "wsgi:app"],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, server.communicate()[0].decode()
            try:
                head(port, "/static/app.css")
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.1)
        yield port
    finally:
        server.terminate()
        server.communicate(timeout=30)


def test_gunicorn_names_no_version_and_sends_the_headers(gunicorn):
    for path, status in (("/static/app.css", 200), ("/login", 200), ("/no-such-page", 404)):
        response = head(gunicorn, path)
        assert response.status == status, path
        assert response.headers.get_all("Server") == ["gunicorn"]  # one, and no version
        assert not re.search(r"\d", response.headers["Server"])
        assert_security_headers(response.headers)
