"""Security findings of issue 9: the public search is no tax-code oracle, and no number or date
in an address answers 500."""

import re

import pytest

from ocop.bounds import MAX_ID

from .conftest import make_producer, make_product
from .test_api import bearer, get_json, token_for

TAX = "5300123456"  # HTX Chè Hướng Tâm's, in conftest


def codes(body: dict) -> list[str]:
    return [item["code"] for item in body["items"]]


@pytest.mark.parametrize("q", [TAX, TAX[:4], "53001", TAX[-5:]])
def test_public_api_search_never_reads_tax_codes(client, app, catalogue, q):
    """Anonymous and producer callers learn nothing of a tax code: whole, prefix or suffix."""
    assert get_json(client, f"/api/v1/products?q={q}")["items"] == []
    producer = bearer(token_for(app, "producer@example.vn"))
    assert get_json(client, f"/api/v1/products?q={q}", headers=producer)["items"] == []


def test_officer_key_still_searches_by_tax_code(client, app, catalogue):
    officer = bearer(token_for(app, "officer@example.vn"))
    found = get_json(client, f"/api/v1/products?q={TAX}", headers=officer)
    assert codes(found) == ["LC-001", "LC-002"]


def test_public_search_still_reads_producer_names_with_numbers(client, app):
    """The rule cuts the tax code off the producer's text, not every number: a producer named
    with a number is found by it, and its tax code still is not."""
    with app.app_context():
        from ocop.extensions import db

        numbered = make_producer("Cơ sở 68", tax_code="5300686868")
        make_product("LC-068", "Mật ong rừng", numbered)
        db.session.commit()
    assert codes(get_json(client, "/api/v1/products?q=68")) == ["LC-068"]
    assert get_json(client, "/api/v1/products?q=5300686868")["items"] == []
    assert "LC-068" in client.get("/tra-cuu/?q=co+so+68").text
    assert "LC-068" not in client.get("/tra-cuu/?q=5300686868").text


def test_html_product_list_reads_tax_codes_for_officers_only(officer, producer_client, catalogue):
    assert "LC-001" in officer.get(f"/products/?q={TAX}").text
    assert "LC-001" not in producer_client.get(f"/products/?q={TAX}").text


HUGE = [str(MAX_ID), str(MAX_ID + 1), str(2**63), "99999999999999999999999"]


def int_routes(app) -> list:
    """Every GET route with an <int:…> part."""
    return [rule for rule in app.url_map.iter_rules()
            if "GET" in rule.methods and any(type(c).__name__ == "BoundedInt"
                                             for c in rule._converters.values())]


def test_every_int_route_survives_huge_numbers(app, admin, catalogue):
    """Signed in as admin, each <int:…> part given numbers past what the database holds."""
    routes = int_routes(app)
    assert len(routes) > 5
    for rule in routes:
        for number in HUGE:
            path = rule.rule
            for name, converter in rule._converters.items():
                value = number if type(converter).__name__ == "BoundedInt" else "x"
                path = _fill(path, name, value)
            response = admin.get(path)
            assert response.status_code < 500, (path, response.status_code)
            if number != str(MAX_ID):
                assert response.status_code == 404, (path, response.status_code)


def _fill(path: str, name: str, value: str) -> str:
    """Put `value` in place of the rule's <…:name> part."""
    return re.sub(rf"<(?:[a-z]+(?:\([^)]*\))?:)?{name}>", value, path)


@pytest.mark.parametrize("url", ["/products/?page=99999999999999999999",
                                 "/tra-cuu/?q=che&page=99999999999999999999",
                                 "/listings/99999999999999999999999"])
def test_html_huge_numbers_are_not_found(admin, catalogue, url):
    assert admin.get(url).status_code == 404


@pytest.mark.parametrize("day", ["0001-01-01", "0001-02-01", "1999-12-31", "9999-12-31", ""])
def test_share_refuses_dates_out_of_range(client, catalogue, day):
    body = get_json(client, f"/api/v1/stats/share?date={day}&by=marketplace", status=400)
    assert body["parameter"] == "date" and "2000-01-01" in body["message"]


def test_share_answers_the_first_day(client, catalogue):
    assert get_json(client, "/api/v1/stats/share?date=2000-01-01")["counted"] == 0


@pytest.mark.parametrize("page, message", [("68719476735", "Số trang tối đa là 999999999"),
                                           ("9" * 5000, "Số trang tối đa là 999999999"),
                                           ("0", "Số trang phải là số nguyên")])
def test_api_page_messages(client, catalogue, page, message):
    body = get_json(client, f"/api/v1/products?page={page}", status=400)
    assert message in body["message"] and body["parameter"] == "page"


def test_api_page_maximum_is_a_page(client, catalogue):
    assert get_json(client, "/api/v1/listings?page=999999999.0")["items"] == []


def test_document_lists_registered_marketplaces(client, catalogue):
    served = get_json(client, "/api/v1/openapi.json")
    params = {p["name"]: p for p in served["paths"]["/api/v1/listings"]["get"]["parameters"]}
    assert "shopee" in params["marketplace"]["schema"]["enum"]
    assert params["page"]["schema"]["maximum"] == 999_999_999
    for item in served["paths"].values():
        assert {"400", "401", "500"} <= set(item["get"]["responses"])
