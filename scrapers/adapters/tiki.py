"""Tiki: the public product API (`api/v2/products/<id>`), the page when it is refused.

`inventory_status` "available" is in stock (DOMAIN.md). "out_of_stock" and "discontinued" are
read like schema.org OutOfStock and Discontinued; "pre_order"/"backorder" like PreOrder.
Assumption: a JSON 404 from this API means the product does not exist (an HTML 404 may mean
the endpoint moved, so the page decides then). Other values are unknown: the page decides.

Listing URLs (DOMAIN.md): `/<slug>-p<id>.html`, `spid` (the seller's product) kept with the
item, every other query parameter dropped.
"""

import re
from urllib.parse import parse_qs, quote, urlsplit

from scrapers.adapters.api import ApiAdapter
from scrapers.adapters.base import base_url
from scrapers.extract import parse_price
from scrapers.model import Finding, Page, Target

INVENTORY = {
    "available": "active", "pre_order": "active", "preorder": "active", "backorder": "active",
    "out_of_stock": "out_of_stock", "discontinued": "removed",
}


class Tiki(ApiAdapter):
    """tiki.vn: `/<slug>-p<id>.html[?spid=<seller product id>]`."""

    name = "tiki"
    item_patterns = (re.compile(r"^/(?:[^/]*-)?p(?P<item>\d+)\.html$"),)
    item_params = frozenset({"spid"})

    def api_url(self, target: Target) -> str | None:
        """`/api/v2/products/<id>?platform=web[&spid=]` on the listing's host."""
        item = target.item_id or self.item_id(target.url)
        if not item:
            return None
        url = f"{base_url(target)}/api/v2/products/{item}?platform=web"
        spid = parse_qs(urlsplit(target.url).query).get("spid")
        return f"{url}&spid={quote(spid[0])}" if spid else url

    def not_found(self, page: Page) -> Finding:
        """The API says there is no such product."""
        return Finding("removed", "api-not-found",
                       f"API answered HTTP {page.status}: {page.body[:80]!r}")

    def judge_json(self, body: dict) -> Finding:
        """`inventory_status` with `name` and `price`."""
        title = body.get("name") if isinstance(body.get("name"), str) else None
        price = parse_price(body.get("price"))
        status = body.get("inventory_status")
        verdict = INVENTORY.get(str(status).lower()) if status else None
        if verdict is None:
            return Finding("unknown", "api-inventory-status", f"inventory_status {status!r}",
                           title, price)
        return Finding(verdict, "api-inventory-status", f"inventory_status {status!r}",
                       title, price, status)


ADAPTER = Tiki()
