"""The JSON API: endpoints, filters, pages, the public/officer split, tokens, errors, OpenAPI."""

import hashlib
import json
import re
from datetime import datetime, timedelta

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from sqlalchemy import event

from ocop.api import serialize, tokens
from ocop.api.openapi import document
from ocop.extensions import db
from ocop.models import ApiToken, Check, CheckRun, Listing, Marketplace, Product, User, utcnow

from .conftest import make_product, producer_named
from .helpers import HTMX, assert_fragment, assert_full_page

PERSONAL = ("0912345678", "htx.huongtam@example.vn", "5300123456", "Hoàng Văn Tâm",
            "Thôn 3, Bản Phố", "captcha-free", "https://shopee.vn/final")
PUBLIC_PRODUCT = {"code", "name", "group", "stars", "status", "certified_on", "expires_on",
                  "commune", "province", "producer", "listings"}
PUBLIC_LISTING = {"id", "marketplace", "url", "status", "last_verdict", "verified_at",
                  "last_checked_at", "stale", "seen"}


@pytest.fixture
def registry(app, catalogue):
    """The catalogue with a producer's contacts, a checked listing with evidence, an
    unapproved proposal, a listing never decided, and a finished check run."""
    with app.app_context():
        own = producer_named("HTX Chè Hướng Tâm")
        own.phone, own.email, own.representative = PERSONAL[0], PERSONAL[1], PERSONAL[3]
        own.address = PERSONAL[4]
        shopee = db.session.scalar(db.select(Marketplace).filter_by(slug="shopee"))
        tiki = db.session.scalar(db.select(Marketplace).filter_by(slug="tiki"))
        tea = db.session.get(Product, catalogue["tea"])
        checked = tea.listings[0]
        now = utcnow()
        checked.status = checked.last_verdict = "active"
        checked.verified_at = checked.last_checked_at = now
        checked.evidence = {"rule": "jsonld-availability", "detail": PERSONAL[5],
                            "final_url": PERSONAL[6], "chain": [{"status": 200,
                                                                "url": PERSONAL[6]}],
                            "title": "Chè Bát tiên 100g", "price": 150000,
                            "availability": "InStock", "elapsed": 0.3, "attempts": 1}
        db.session.add(Listing(product=tea, marketplace=tiki, approved=False,
                               url="https://tiki.vn/che-p77.html",
                               canonical_url="https://tiki.vn/che-p77.html", item_id="77"))
        ham = db.session.get(Product, catalogue["ham"])
        db.session.add(Listing(product=ham, marketplace=shopee, url="https://shopee.vn/x-i.3.4",
                               canonical_url="https://shopee.vn/x-i.3.4", item_id="3.4"))
        run = CheckRun(scope="all", origin="cli", total=1, degraded=[], state="done",
                       created_at=now, started_at=now, finished_at=now)
        db.session.add(run)
        db.session.flush()
        db.session.add(Check(listing=checked, run=run, at=now, verdict="active",
                             rule="jsonld-availability", status_after="active",
                             evidence=checked.evidence))
        run.summary = {"total": 1, "checked": 1, "paused": 0, "done": 1,
                       "verdicts": {"active": 1}, "confirmed_removed": 0, "percent": 100,
                       "degraded": []}
        db.session.commit()
        return {**catalogue, "run": run.id, "checked": checked.id}


def token_for(app, email: str, name: str = "máy báo cáo") -> str:
    """A new API token of the account `email`: its secret."""
    with app.app_context():
        user = db.session.scalar(db.select(User).filter_by(email=email))
        return tokens.create_token(user, name)[1]


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def officer_token(app):
    return bearer(token_for(app, "officer@example.vn"))


@pytest.fixture
def producer_token(app):
    return bearer(token_for(app, "producer@example.vn"))


def get_json(client, url: str, status: int = 200, headers: dict | None = None) -> dict:
    """The JSON body of a GET, after checking its status and type."""
    response = client.get(url, headers=headers or {})
    assert response.status_code == status, response.text
    assert response.is_json
    return response.get_json()


# --- products ---------------------------------------------------------------------------------

def test_products_public(client, registry):
    response = client.get("/api/v1/products")
    body = response.get_json()
    assert (body["page"], body["pages"], body["total"]) == (1, 1, 3)
    assert [p["code"] for p in body["items"]] == ["LC-001", "LC-002", "LC-003"]
    tea = body["items"][0]
    assert set(tea) == PUBLIC_PRODUCT
    assert tea["group"] == {"number": 2, "label": "Đồ uống"}
    assert tea["producer"] == {"name": "HTX Chè Hướng Tâm", "kind": "htx"}
    assert (tea["stars"], tea["status"], tea["commune"]) == (4, "certified", "Bắc Hà")
    assert tea["certified_on"] == "2024-06-01"
    (listing,) = tea["listings"]  # the unapproved proposal is not public
    assert set(listing) == PUBLIC_LISTING
    assert listing["marketplace"] == {"slug": "shopee", "name": "Shopee"}
    assert listing["url"] == "https://shopee.vn/che-i.1.2"
    assert listing["status"] == "active" and listing["stale"] is False
    assert listing["seen"] == {"title": "Chè Bát tiên 100g", "price": 150000,
                               "availability": "InStock"}
    assert listing["verified_at"].endswith("Z")


@pytest.mark.parametrize("url", ["/api/v1/products", "/api/v1/products/LC-001",
                                 "/api/v1/listings", "/api/v1/listings?status=active"])
def test_personal_data_never_public(client, app, registry, producer_token, url):
    for headers in ({}, producer_token):
        text = client.get(url, headers=headers).get_data(as_text=True)
        decoded = json.dumps(json.loads(text), ensure_ascii=False)
        for secret in PERSONAL:
            assert secret not in text and secret not in decoded, (url, secret)
        assert "tiki.vn/che-p77" not in text  # the unapproved listing
        for key in ("tax_code", "phone", "email", "representative", "address", "added_by",
                    "evidence", "approved"):
            assert f'"{key}"' not in text


def test_products_officer_fields(client, registry, officer_token):
    tea = get_json(client, "/api/v1/products/LC-001", headers=officer_token)
    assert tea["producer"]["tax_code"] == "5300123456"
    assert tea["producer"]["phone"] == PERSONAL[0]
    assert tea["producer"]["email"] == PERSONAL[1]
    assert tea["producer"]["representative"] == PERSONAL[3]
    assert "address" not in tea["producer"]
    checked, proposal = tea["listings"]
    assert checked["evidence"] == {"rule": "jsonld-availability", "detail": PERSONAL[5],
                                   "final_url": PERSONAL[6],
                                   "chain": [{"status": 200, "url": PERSONAL[6]}]}
    assert checked["approved"] is True
    assert proposal["approved"] is False and proposal["status"] is None
    assert proposal["seen"] == {"title": None, "price": None, "availability": None}


def test_admin_token_sees_officer_fields(client, app, registry):
    tea = get_json(client, "/api/v1/products/LC-001",
                   headers=bearer(token_for(app, "admin@example.vn")))
    assert tea["producer"]["phone"] == PERSONAL[0]


@pytest.mark.parametrize("query, codes", [
    ("q=che+bat+tien", ["LC-001"]),
    ("q=BÁT+TIÊN", ["LC-001"]),
    ("q=huong+tam", ["LC-001", "LC-002"]),  # the producer's name
    ("q=lc-003", ["LC-003"]),
    ("q=khong+co", []),
    ("group=2", ["LC-001"]),
    ("stars=3", ["LC-002", "LC-003"]),
    ("commune=Mường+Khương", ["LC-003"]),
    ("group=1&stars=3&commune=Bắc+Hà", ["LC-002"]),
    ("q=&group=&stars=", ["LC-001", "LC-002", "LC-003"]),
])
def test_products_filters(client, registry, query, codes):
    body = get_json(client, f"/api/v1/products?{query}")
    assert [p["code"] for p in body["items"]] == codes
    assert body["total"] == len(codes)


def test_products_pagination(client, app, registry):
    app.config["PAGE_SIZE"] = 2
    first = get_json(client, "/api/v1/products")
    second = get_json(client, "/api/v1/products?page=2")
    assert (first["page"], first["pages"], first["total"], first["per_page"]) == (1, 2, 3, 2)
    assert [p["code"] for p in first["items"] + second["items"]] == ["LC-001", "LC-002",
                                                                    "LC-003"]
    past = get_json(client, "/api/v1/products?page=3")
    assert past["items"] == [] and (past["total"], past["pages"]) == (3, 2)


def test_unknown_product_is_404(client, registry):
    body = get_json(client, "/api/v1/products/LC-999", 404)
    assert body["error"] == "not_found" and "LC-999" in body["message"]


def test_product_lists_load_listings_in_one_query(client, app, registry):
    """The number of queries does not grow with the number of products on the page."""
    def statements(url):
        seen = []
        with app.app_context():
            engine = db.engine
            listen = lambda *args: seen.append(args[2])  # noqa: E731
            event.listen(engine, "before_cursor_execute", listen)
            try:
                client.get(url)
            finally:
                event.remove(engine, "before_cursor_execute", listen)
        return len(seen)

    few = statements("/api/v1/products?stars=4")
    with app.app_context():
        own = producer_named("HTX Chè Hướng Tâm")
        shopee = db.session.scalar(db.select(Marketplace).filter_by(slug="shopee"))
        for n in range(10):
            item = make_product(f"LC-1{n:02d}", f"Mật ong {n}", own, stars=4)
            db.session.add(Listing(product=item, marketplace=shopee, url=f"https://shopee.vn/m-i.9.{n}",
                                   canonical_url=f"https://shopee.vn/m-i.9.{n}",
                                   item_id=f"9.{n}"))
        db.session.commit()
    assert statements("/api/v1/products?stars=4") == few


# --- listings ---------------------------------------------------------------------------------

@pytest.mark.parametrize("query, urls", [
    ("", ["https://shopee.vn/che-i.1.2", "https://shopee.vn/x-i.3.4"]),
    ("status=active", ["https://shopee.vn/che-i.1.2"]),
    ("status=none", ["https://shopee.vn/x-i.3.4"]),
    ("status=removed", []),
    ("marketplace=shopee", ["https://shopee.vn/che-i.1.2", "https://shopee.vn/x-i.3.4"]),
    ("marketplace=tiki", []),
    ("marketplace=shopee&status=active", ["https://shopee.vn/che-i.1.2"]),
])
def test_listings_filters(client, registry, query, urls):
    body = get_json(client, f"/api/v1/listings?{query}")
    assert [item["url"] for item in body["items"]] == urls
    assert body["total"] == len(urls)
    for item in body["items"]:
        assert set(item) == PUBLIC_LISTING | {"product"}


def test_listings_officer_sees_proposals(client, registry, officer_token):
    body = get_json(client, "/api/v1/listings?marketplace=tiki", headers=officer_token)
    (proposal,) = body["items"]
    assert proposal["approved"] is False
    assert proposal["product"] == {"code": "LC-001", "name": "Chè Bát tiên Hướng Tâm"}
    assert get_json(client, "/api/v1/listings?status=none", headers=officer_token)["total"] == 2


def test_listings_pagination_and_stale(client, app, registry):
    app.config["PAGE_SIZE"] = 1
    with app.app_context():
        listing = db.session.get(Listing, registry["checked"])
        listing.verified_at = utcnow() - timedelta(days=100)
        db.session.commit()
    first = get_json(client, "/api/v1/listings")
    assert (first["pages"], first["total"], len(first["items"])) == (2, 2, 1)
    assert first["items"][0]["stale"] is True
    assert get_json(client, "/api/v1/listings?page=2")["items"][0]["url"].endswith("3.4")
    assert get_json(client, "/api/v1/listings?page=7")["items"] == []


# --- runs -------------------------------------------------------------------------------------

def test_run_for_officers(client, registry, officer_token):
    body = get_json(client, f"/api/v1/runs/{registry['run']}", headers=officer_token)
    assert (body["scope"], body["state"], body["origin"]) == ("all", "done", "cli")
    assert body["progress"]["verdicts"] == {"active": 1}
    assert body["progress"]["percent"] == 100
    assert body["summary"]["checked"] == 1
    assert body["finished_at"].endswith("Z")


def test_run_refused_without_an_officers_token(client, registry, producer_token):
    url = f"/api/v1/runs/{registry['run']}"
    response = client.get(url)
    assert response.status_code == 401 and response.get_json()["error"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    body = get_json(client, url, 403, producer_token)
    assert body["error"] == "forbidden" and body["message"]


def test_unknown_run_is_404(client, registry, officer_token):
    assert get_json(client, "/api/v1/runs/999", 404, officer_token)["error"] == "not_found"


# --- tokens -----------------------------------------------------------------------------------

@pytest.mark.parametrize("header", ["Bearer ocop_wrong", "Bearer ", "Basic b2NvcDp4", "ocop_x"])
def test_wrong_token_is_401(client, registry, header):
    body = get_json(client, "/api/v1/products", 401, {"Authorization": header})
    assert body["error"] == "unauthorized" and body["message"]


def test_revoked_token_and_locked_account_are_401(client, app, registry):
    secret = token_for(app, "officer@example.vn")
    assert client.get("/api/v1/products", headers=bearer(secret)).status_code == 200
    with app.app_context():
        tokens.revoke_token(db.session.scalar(db.select(ApiToken)))
    assert client.get("/api/v1/products", headers=bearer(secret)).status_code == 401
    other = token_for(app, "admin@example.vn")
    with app.app_context():
        db.session.scalar(db.select(User).filter_by(email="admin@example.vn")).active = False
        db.session.commit()
    assert client.get("/api/v1/products", headers=bearer(other)).status_code == 401


def test_token_stored_only_as_hash_and_use_noted(client, app, registry):
    secret = token_for(app, "officer@example.vn", "báo cáo")
    assert secret.startswith("ocop_") and len(secret) > 40
    with app.app_context():
        token = db.session.scalar(db.select(ApiToken))
        assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert token.prefix == secret[:len(token.prefix)] and len(token.prefix) < 16
        assert token.last_used_at is None
        stored = [str(v) for v in db.session.execute(db.select(ApiToken.__table__)).one()]
        assert not any(secret in value for value in stored)
    client.get("/api/v1/listings", headers=bearer(secret))
    with app.app_context():
        used = db.session.scalar(db.select(ApiToken)).last_used_at
        assert used is not None and utcnow() - used < timedelta(minutes=1)


def test_producer_token_sees_public_fields(client, registry, producer_token):
    tea = get_json(client, "/api/v1/products/LC-001", headers=producer_token)
    assert set(tea) == PUBLIC_PRODUCT and set(tea["producer"]) == {"name", "kind"}
    assert len(tea["listings"]) == 1


# --- the API keys page ------------------------------------------------------------------------

def test_keys_page_creates_a_key_shown_once(officer, app, client):
    html = assert_full_page(officer.get("/users/me/api-keys"), "keys")
    assert html.find(id="new-key") is None
    response = officer.post("/users/me/api-keys", data={"name": "Máy báo cáo"})
    html = assert_full_page(response, "new-key")
    secret = html.find(id="new-key-secret").text.strip()
    assert client.get("/api/v1/products", headers=bearer(secret)).status_code == 200
    page = officer.get("/users/me/api-keys")
    assert secret not in page.text and secret[:11] in page.text and "Máy báo cáo" in page.text
    with app.app_context():
        token = db.session.scalar(db.select(ApiToken))
        assert token.user.email == "officer@example.vn"
        assert token.token_hash == tokens.digest(secret)


def test_keys_page_as_fragment(officer):
    response = officer.post("/users/me/api-keys", data={"name": "Bảng tính"}, headers=HTMX)
    html = assert_fragment(response, "keys")
    assert html.find(id="new-key-secret").text.startswith("ocop_")
    response = officer.post("/users/me/api-keys", data={"name": ""}, headers=HTMX)
    html = assert_fragment(response, "keys")
    assert html.find(id="new-key") is None and html.select("small.field-error")[0].text.strip()


def test_revoke_a_key_inline(officer, app, client):
    secret = token_for(app, "officer@example.vn")
    with app.app_context():
        key = db.session.scalar(db.select(ApiToken)).id
    response = officer.post(f"/users/me/api-keys/{key}/revoke", headers=HTMX)
    row = assert_fragment(response, f"api-key-{key}")
    assert row.find(id=f"revoke-api-key-{key}") is None and "Đã thu hồi" in row.text
    assert client.get("/api/v1/products", headers=bearer(secret)).status_code == 401
    response = officer.post(f"/users/me/api-keys/{key}/revoke")
    assert response.status_code == 303


def test_cannot_revoke_someone_elses_key(admin, app):
    token_for(app, "officer@example.vn")
    with app.app_context():
        key = db.session.scalar(db.select(ApiToken)).id
    assert admin.post(f"/users/me/api-keys/{key}/revoke").status_code == 404
    with app.app_context():
        assert db.session.get(ApiToken, key).revoked_at is None


def test_keys_page_needs_an_officer(client, producer_client):
    assert producer_client.get("/users/me/api-keys").status_code == 403
    assert producer_client.post("/users/me/api-keys", data={"name": "x"}).status_code == 403
    response = client.get("/users/me/api-keys")
    assert response.status_code == 302 and "/login" in response.location


def test_keys_page_needs_csrf(officer, app):
    app.config["WTF_CSRF_ENABLED"] = True
    assert officer.post("/users/me/api-keys", data={"name": "x"}).status_code == 400
    page = officer.get("/users/me/api-keys").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
    response = officer.post("/users/me/api-keys", data={"name": "x", "csrf_token": token})
    assert_full_page(response, "new-key")


# --- errors -----------------------------------------------------------------------------------

@pytest.mark.parametrize("url, parameter", [
    ("/api/v1/products?group=7", "group"), ("/api/v1/products?group=0", "group"),
    ("/api/v1/products?group=food", "group"), ("/api/v1/products?stars=2", "stars"),
    ("/api/v1/products?stars=6", "stars"), ("/api/v1/products?page=0", "page"),
    ("/api/v1/products?page=-1", "page"), ("/api/v1/products?page=abc", "page"),
    ("/api/v1/products?page=1.5", "page"), ("/api/v1/products?page=99999999999999", "page"),
    ("/api/v1/listings?status=stale", "status"), ("/api/v1/listings?status=Active", "status"),
    ("/api/v1/listings?marketplace=amazon", "marketplace"), ("/api/v1/listings?page=x", "page"),
])
def test_bad_input_is_400_json(client, registry, url, parameter):
    body = get_json(client, url, 400)
    assert body["error"] == "invalid_parameter" and body["parameter"] == parameter
    assert body["message"]


@pytest.mark.parametrize("url", ["/api/v1/nothing", "/api/v1/runs/x", "/api/v1/runs/-1",
                                 "/api/", "/api/v2/products", "/api/v1/products/"])
def test_unknown_addresses_are_404_json(client, url):
    body = get_json(client, url, 404)
    assert body["error"] == "not_found" and body["message"]


def test_errors_follow_the_interface_language(client):
    with client.session_transaction() as session:
        session["lang"] = "en"
    assert get_json(client, "/api/v1/nothing", 404)["message"] == \
        "There is no such address in the API."


def test_no_api_route_accepts_a_change(app, client, registry):
    rules = [r for r in app.url_map.iter_rules() if r.rule.startswith("/api/")]
    assert len(rules) == 6  # products, one product, listings, stats/share, runs, openapi.json
    for rule in rules:
        assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule
    for method in ("post", "put", "patch", "delete"):
        response = getattr(client, method)("/api/v1/products")
        assert response.status_code == 405 and response.is_json
        assert response.get_json()["error"] == "method_not_allowed"
        assert response.headers["Allow"] == "GET, HEAD, OPTIONS"


def test_a_crash_is_500_json(client, app, registry, monkeypatch):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(serialize, "product", broken)
    body = get_json(client, "/api/v1/products", 500)
    assert body["error"] == "server_error" and "boom" not in json.dumps(body)


def test_html_pages_keep_html_errors(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and not response.is_json


# --- OpenAPI ----------------------------------------------------------------------------------

def openapi_path(rule: str) -> str:
    """A Flask rule as an OpenAPI path: <int:run_id> becomes {run_id}."""
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


def test_openapi_covers_every_route(app, client):
    served = get_json(client, "/api/v1/openapi.json")
    with app.app_context():  # the allowed marketplaces and communes come from the database
        assert served == json.loads(json.dumps(document()))
    assert served["openapi"] == "3.1.0"
    routes = {openapi_path(r.rule) for r in app.url_map.iter_rules()
              if r.rule.startswith("/api/v1")}
    assert routes == set(served["paths"])
    assert served["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": "An API key from the API keys "
                                                            "page (ocop_…)."}
    for path, item in served["paths"].items():
        assert set(item) == {"get"}
        operation = item["get"]
        assert operation["responses"]["200"]
        in_path = set(re.findall(r"{(\w+)}", path))
        assert {p["name"] for p in operation.get("parameters", [])
                if p["in"] == "path"} == in_path
        Draft202012Validator.check_schema({"$defs": served["components"]["schemas"]})
    # The query arguments the views read are the documented ones.
    assert {p["name"] for p in served["paths"]["/api/v1/products"]["get"]["parameters"]} == \
        {"q", "group", "stars", "commune", "page"}
    assert {p["name"] for p in served["paths"]["/api/v1/listings"]["get"]["parameters"]} == \
        {"status", "marketplace", "page"}
    assert {p["name"] for p in served["paths"]["/api/v1/stats/share"]["get"]["parameters"]} == \
        {"date", "by", "group", "stars", "commune", "marketplace"}


def validator(spec: dict, name: str) -> Draft202012Validator:
    """A validator for the document's schema `name`, its references resolved in the document."""
    resource = Resource.from_contents(spec, default_specification=DRAFT202012)
    registry = Registry().with_resource("urn:ocop-api", resource)
    return Draft202012Validator({"$ref": f"urn:ocop-api#/components/schemas/{name}"},
                                registry=registry)


def test_responses_match_the_document(client, registry, officer_token):
    spec = get_json(client, "/api/v1/openapi.json")
    cases = [("/api/v1/products", "ProductPage", 200), ("/api/v1/products/LC-001", "Product", 200),
             ("/api/v1/listings", "ListingPage", 200),
             (f"/api/v1/runs/{registry['run']}", "Run", 200),
             ("/api/v1/products?stars=9", "Error", 400), ("/api/v1/products/NO", "Error", 404),
             ("/api/v1/runs/999", "Error", 404)]
    for headers in ({}, officer_token):
        for url, schema, status in cases:
            if "/runs/" in url and not headers:
                status, schema = 401, "Error"
            body = get_json(client, url, status, headers)
            validator(spec, schema).validate(body)
            documented = spec["paths"][next(p for p in spec["paths"]
                                            if re.fullmatch(re.sub(r"{\w+}", "[^/]+", p),
                                                            url.split("?")[0]))]
            assert str(status) in documented["get"]["responses"], url


def test_timestamps_are_utc():
    assert serialize.when(datetime(2026, 1, 2, 3, 4, 5)) == "2026-01-02T03:04:05Z"
    assert serialize.when(None) is None
