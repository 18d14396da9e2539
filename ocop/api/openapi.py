"""The OpenAPI 3.1 document of the API, built from the same constants the views check against;
built per request, since the allowed marketplaces, communes and dates live in the database and
the calendar."""

import calendar
from datetime import date

from sqlalchemy import select

from ..bounds import EARLIEST_DAY, MAX_ID, MAX_PAGE
from ..dashboard.figures import DIMENSIONS
from ..extensions import db
from ..localtime import local_date
from ..models import (
    CATEGORIES,
    LISTING_STATUSES,
    METHODS,
    PRODUCER_KINDS,
    PRODUCT_STATUSES,
    RUN_SCOPES,
    RUN_STATES,
    Marketplace,
    utcnow,
)
from ..products.queries import communes

STARS = (3, 4, 5)

# The dimensions `stats/share?by=` names, in the API's words (its product group is `group`).
SHARE_BY = {("group" if name == "category" else name): name for name in DIMENSIONS}


def ref(name: str) -> dict:
    """A reference to a schema of the document."""
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(kind: str, **more) -> dict:
    """A value of JSON type `kind`, or null."""
    return {"type": [kind, "null"], **more}


def obj(required: dict, optional: dict | None = None, description: str = "") -> dict:
    """An object whose `required` properties are always present; `optional` ones sometimes."""
    schema = {"type": "object", "required": list(required),
              "properties": {**required, **(optional or {})}}
    return {"description": description, **schema} if description else schema


STRING, INTEGER, BOOLEAN = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
TEXT = {"type": "string", "pattern": "^[^\\u0000]*$",
        "description": "any text but NUL (answered 400)"}
TIME = nullable("string", format="date-time", description="UTC, ISO 8601 with Z")
LISTING_STATUS = {"type": ["string", "null"], "enum": [*LISTING_STATUSES, None],
                  "description": "last decisive status; null: never decided"}
OFFICER = "Only with an officer's (or administrator's) token."

SCHEMAS = {
    "Error": obj({"error": {"type": "string", "examples": ["invalid_parameter", "not_found"]},
                  "message": {"type": "string", "description": "in the interface language"}},
                 {"parameter": {"type": "string", "description": "the query argument at fault"}}),
    "Marketplace": obj({"slug": STRING, "name": STRING}),
    "Seen": obj({"title": nullable("string"),
                 "price": nullable("integer", description="VND"),
                 "availability": nullable("string", description="as written on the page")},
                description="What the latest check saw on the page."),
    "Evidence": obj({"rule": nullable("string"), "detail": nullable("string"),
                     "final_url": nullable("string"),
                     "chain": {"type": "array", "items": obj(
                         {"status": nullable("integer"), "url": STRING})}},
                    description="Why the latest check decided as it did. " + OFFICER),
    "ProductRef": obj({"code": STRING, "name": STRING}),
    "Listing": obj(
        {"id": INTEGER, "marketplace": ref("Marketplace"),
         "url": {"type": "string", "format": "uri", "description": "canonical URL"},
         "status": LISTING_STATUS,
         "last_verdict": {"type": ["string", "null"], "enum": [*LISTING_STATUSES, None]},
         "verified_at": TIME, "last_checked_at": TIME,
         "stale": {"type": "boolean", "description": "checked, but not verified decisively "
                   "within the freshness window (OCOP_FRESHNESS_DAYS)"},
         "seen": ref("Seen")},
        {"product": ref("ProductRef"),
         "approved": {"type": "boolean", "description": OFFICER + " Public callers see only "
                      "approved listings."},
         "evidence": ref("Evidence")}),
    "Producer": obj(
        {"name": STRING, "kind": {"type": "string", "enum": list(PRODUCER_KINDS)}},
        {key: nullable("string", description=OFFICER)
         for key in ("tax_code", "phone", "email", "representative")}),
    "Product": obj(
        {"code": STRING, "name": STRING,
         "group": obj({"number": {"type": "integer", "minimum": 1, "maximum": len(CATEGORIES)},
                       "label": STRING}, description="Decision 148/QĐ-TTg product group"),
         "stars": {"type": "integer", "enum": [3, 4, 5]},
         "status": {"type": "string", "enum": list(PRODUCT_STATUSES)},
         "certified_on": {"type": "string", "format": "date"},
         "expires_on": {"type": "string", "format": "date"},
         "commune": nullable("string"), "province": STRING,
         "producer": ref("Producer"),
         "listings": {"type": "array", "items": ref("Listing")}},
        {"decision_no": nullable("string", description=OFFICER)}),
    "Progress": obj({"total": INTEGER, "checked": INTEGER, "paused": INTEGER, "done": INTEGER,
                     "verdicts": {"type": "object", "additionalProperties": INTEGER},
                     "confirmed_removed": INTEGER,
                     "percent": {"type": "integer", "minimum": 0, "maximum": 100}}),
    "Run": obj(
        {"id": INTEGER, "scope": {"type": "string", "enum": list(RUN_SCOPES)},
         "scope_id": nullable("integer"), "scope_label": nullable("string"),
         "origin": STRING, "state": {"type": "string", "enum": list(RUN_STATES)},
         "created_at": TIME, "started_at": TIME, "heartbeat_at": TIME, "finished_at": TIME,
         "degraded": {"type": "array", "items": STRING,
                      "description": "marketplaces the circuit breaker paused"},
         "error": nullable("string"), "progress": ref("Progress"),
         "summary": {"anyOf": [ref("Progress"), {"type": "null"}],
                     "description": "the final figures, once the run is done"}}),
}
_SHARE = {"counted": {"type": "integer", "description": "products whose certificate was valid"},
          "online": {"type": "integer", "description": "counted products with a listing online"},
          "buyable": {"type": "integer", "description": "counted products with one on sale"},
          "share_online": nullable("number", description="percent, one decimal; null: none "
                                   "counted"),
          "share_buyable": nullable("number", description="percent, one decimal"),
          "online_by_method": obj(
              {method: INTEGER for method in METHODS},
              description="online products by the strongest way one of their listings was "
                          "known online: the marketplace's API with the seller's authorization, "
                          "a browser, the page over HTTP, an officer's (or officer-confirmed) "
                          "attestation. Their sum is `online` except in months closed before "
                          "methods were kept, where the rest is unknown"),
          "share_machine": nullable("number", description="percent, one decimal, of counted "
                                    "products a machine saw online (all methods but person)")}
SCHEMAS["ShareGroup"] = obj({"key": STRING, "label": STRING, **_SHARE})
SCHEMAS["Share"] = obj(
    {"date": {"type": "string", "format": "date"}, **_SHARE},
    {"by": {"type": "string", "enum": list(SHARE_BY)},
     "groups": {"type": "array", "items": ref("ShareGroup")}},
    description="A listing is online when its last decisive check (active or out of stock) is "
                "within the freshness window, or while a person's attestation counts for it "
                "(made or confirmed by an officer, until the end of the month it was made in, "
                "unless withdrawn or a removal is confirmed after it); a product counts when "
                "its certificate is valid on the date. A closed month's last day is read "
                "from the figures frozen when the month was closed; other past dates from the "
                "check history (slower).")
for _item in ("Product", "Listing"):
    SCHEMAS[f"{_item}Page"] = obj({
        "page": {"type": "integer", "minimum": 1}, "pages": {"type": "integer", "minimum": 1},
        "per_page": INTEGER, "total": INTEGER,
        "items": {"type": "array", "items": ref(_item),
                  "description": "empty on a page past the last one"}})


def parameter(name: str, schema: dict, description: str, where: str = "query",
              empty: bool = False) -> dict:
    """One parameter of an operation; `empty`: an empty value counts as leaving it out."""
    return {"name": name, "in": where, "required": where == "path", "schema": schema,
            "description": description, **({"allowEmptyValue": True} if empty else {})}


def option(name: str, schema: dict, description: str) -> dict:
    """A query filter that an empty value leaves off (as an HTML form sends it)."""
    return parameter(name, schema, description + "; empty: no filter", empty=True)


def answer(description: str, schema: str = "Error") -> dict:
    """A JSON response of `schema`."""
    return {"description": description,
            "content": {"application/json": {"schema": ref(schema)}}}


PAGE = parameter("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
                 "page number; past the last page the list is empty (200), not an error")
GROUP = {"type": "integer", "enum": list(CATEGORIES)}
BAD = answer("a parameter value that is not allowed (empty included), a page number out of "
             "range, or a NUL character in the address")
UNAUTHORIZED = answer("a token that is wrong or revoked, or an account that is locked")
FAILED = answer("the server failed")
PUBLIC_OR_TOKEN = [{}, {"bearerAuth": []}]  # anyone; a token adds officer fields


def operation(summary: str, schema: str, parameters: list, errors: dict,
              security: list | None = None) -> dict:
    """A GET operation answering `schema`, with its error responses (any may fail with 500)."""
    return {"get": {"summary": summary, "parameters": parameters,
                    "security": security or PUBLIC_OR_TOKEN,
                    "responses": {"200": answer("OK", schema), "400": BAD,
                                  "401": UNAUTHORIZED, **errors, "500": FAILED}}}


def marketplace_slugs() -> list[str]:
    """Every registered marketplace's slug: the values `marketplace` may take."""
    return list(db.session.scalars(select(Marketplace.slug).order_by(Marketplace.slug)))


def one_of(values: list[str]) -> dict:
    """A string that is one of `values` (one that can never be valid when there are none)."""
    return {"type": "string", "enum": values} if values else {"not": {}}


def days(last: int) -> str:
    """A regular expression of the two-digit days 01 to `last`."""
    return "|".join(f"{day:02d}" for day in range(1, last + 1))


def date_pattern(first: date, last: date) -> str:
    """A regular expression of exactly the dates YYYY-MM-DD from `first` (a 1 January) to
    `last`: JSON Schema cannot compare dates, so the range is spelled out."""
    def year(number: int, months: int, final_day: int | None = None) -> str:
        spelled = [f"{month:02d}-(?:{days(calendar.monthrange(number, month)[1])})"
                   for month in range(1, months + 1)]
        if final_day is not None:
            spelled[-1] = f"{months:02d}-(?:{days(final_day)})"
        return f"{number}-(?:{'|'.join(spelled)})"

    whole = [year(number, 12) for number in range(first.year, last.year)]
    return f"^(?:{'|'.join([*whole, year(last.year, last.month, last.day)])})$"


def document(today: date | None = None) -> dict:
    """The whole document, as of the province's `today` (the real one by default)."""
    today = today or local_date(utcnow())
    slugs = marketplace_slugs()
    marketplace = one_of(slugs)
    places = communes()
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "OCOP listing tracker API", "version": "1",
            "description": "Read-only. Without a token: public fields only. With an officer's "
                           "token (Authorization: Bearer …, made on the API keys page): "
                           "producers' contacts, unapproved listings, check evidence and "
                           "runs. Errors are {\"error\", \"message\"} JSON. Every route "
                           "is GET only: any other method is answered 405.",
        },
        "paths": {
            "/api/v1/products": operation(
                "Products with their listings", "ProductPage",
                [parameter("q", TEXT, "words of the code, name or producer; diacritics "
                           "and case are ignored"),
                 option("group", GROUP, "product group"),
                 option("stars", {"type": "integer", "enum": list(STARS)}, "stars"),
                 option("commune", TEXT, "the producer's commune, exactly; an unknown "
                           "one finds nothing"), PAGE],
                {}),
            "/api/v1/products/{code}": operation(
                "One product", "Product",
                [parameter("code", TEXT, "registry code", "path")],
                {"404": answer("no product has this code")}),
            "/api/v1/listings": operation(
                "Listings", "ListingPage",
                [option("status", {"type": "string", "enum": [*LISTING_STATUSES, "none"]},
                           "last decisive status; none: never decided"),
                 option("marketplace", marketplace, "a registered marketplace's slug"),
                 PAGE],
                {}),
            "/api/v1/stats/share": operation(
                "The share of counted products online on a date", "Share",
                [parameter("date", {"type": "string", "format": "date",
                                    "pattern": date_pattern(EARLIEST_DAY, today)},
                           f"YYYY-MM-DD, from {EARLIEST_DAY.isoformat()} to today "
                           f"({today.isoformat()}, the province's calendar); default today"),
                 option("by", {"type": "string", "enum": list(SHARE_BY)},
                           "also give the figures per group of this dimension"),
                 option("group", GROUP, "product group"),
                 option("stars", {"type": "integer", "enum": list(STARS)}, "stars"),
                 option("commune", one_of(places), "a producer's commune, exactly"),
                 option("marketplace", marketplace, "count only listings on this "
                           "marketplace")],
                {}),
            "/api/v1/runs/{run_id}": operation(
                "A check run and its progress (officers only)", "Run",
                [parameter("run_id", {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                           "run number", "path")],
                {"401": answer("no token, or a wrong or revoked one"),
                 "403": answer("the token's account is not an officer's"),
                 "404": answer("no run has this number")},
                security=[{"bearerAuth": []}]),
            "/api/v1/openapi.json": {"get": {
                "summary": "This document", "security": [{}],
                "responses": {"200": {"description": "OpenAPI 3.1",
                                      "content": {"application/json": {}}},
                              "400": BAD, "401": UNAUTHORIZED, "500": FAILED}}},
        },
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearerAuth": {
                "type": "http", "scheme": "bearer",
                "description": "An API key from the API keys page (ocop_…)."}},
        },
    }
